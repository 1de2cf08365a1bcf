/**
 * One validator round, end to end over the seams of validator-types.ts: draw the tasks from
 * the round seed, commit to a fresh secret nonce in a signed round record (revealing the
 * previous round's nonce), probe, sign and record every result, close the round in the
 * scoreboard, then set, commit or reveal weights as the schedule says. The daemon calls
 * {@link Validator.runRound} from a repeating task; a call in a round already run does nothing.
 *
 * Loop state (`<prefix>/loop`: last round, last nonce, pending commit) and round records
 * (`<prefix>/rounds/<round>`) live in the same datastore as the scoreboard. A round's nonce is
 * written before any probe uses it, and a commit's row and salt as soon as the commit is
 * included, so a restart can still reveal both. (A crash between a commit's inclusion and that
 * write loses the commit; the next epoch commits anew.)
 */
import * as dagCbor from '@ipld/dag-cbor'
import { logger } from '@libp2p/logger'
import { ed25519 } from '@noble/curves/ed25519.js'
import { Key } from 'interface-datastore'
import { equalBytes, toHex } from './bytes.ts'
import { commitHash, weightAction } from './commit-reveal.ts'
import { MiB } from './constants.ts'
import { signProbeReport } from './probe-report.ts'
import { signRoundRecord } from './round-record.ts'
import { Scoreboard } from './scoreboard.ts'
import { eligibleTasks, nonceCommitment, selectTasks, tuneK } from './tasks.ts'
import type { WeightAction } from './commit-reveal.ts'
import type { ReportBatch } from './probe-report.ts'
import type { ProbeResult } from './probe-result.ts'
import type { RoundRecord } from './round-record.ts'
import type { ScorePolicy } from './score.ts'
import type { ProbeTask } from './tasks.ts'
import type { ChainView, EligibleSource, NeuronView, Prober, SubnetWeightParams, WeightSubmitter } from './validator-types.ts'
import type { AbortOptions, Startable } from '@libp2p/interface'
import type { Datastore } from 'interface-datastore'

const log = logger('agora:incentives')

/** What the validator needs from the node. */
export interface ValidatorComponents {
  datastore: Datastore
  chain: ChainView
  eligible: EligibleSource
  prober: Prober
  weights: WeightSubmitter
  /** Source of secret randomness (nonces, salts). @default crypto.getRandomValues */
  randomBytes?: (n: number) => Uint8Array
}

/** Options of the validator. */
export interface ValidatorInit {
  netuid: number
  /** The hotkey's ed25519 secret key (32-byte seed): signs reports and round records. */
  secretKey: Uint8Array
  /** Blocks per round. Policy: 120 (24 min), 3 rounds per 360-block tempo. @default 120 */
  roundBlocks?: number
  /** Probes in flight at once. @default 4 */
  probeConcurrency?: number
  /** Bound on checks per miner per tempo over all validators (see tuneK). @default 60 */
  maxChecksPerMinerPerTempo?: number
  /** Most tasks per round. @default 64 */
  kMax?: number
  /** Range length asked per task. @default 1_048_576 */
  rangeLength?: number
  /** Scoring policy. @default DEFAULT_SCORE_POLICY */
  policy?: ScorePolicy
  /** Version key sent with weights. @default the subnet's weightsVersionKey */
  versionKey?: number
  /** Datastore prefix. @default '/agora/incentives' */
  datastorePrefix?: string
}

interface PendingCommit { block: number, uids: number[], values: number[], salt: Uint8Array, versionKey: number }
interface LoopState { lastRound: number, lastNonce: { round: number, nonce: Uint8Array } | null, pendingCommit: PendingCommit | null }

/** What one call of {@link Validator.runRound} did. */
export interface RoundOutcome {
  round: number
  k: number
  /** The signed round record (publish it before the results). */
  record: Uint8Array
  /** Probe results recorded, and results refused because they did not match their task. */
  recorded: number
  refused: number
  /** The closed rounds' report batches, to publish for audit. */
  batches: ReportBatch[]
  /** The weight actions taken (a reveal may be followed by a commit). */
  weightActions: WeightAction[]
}

/** A validator over the node's chain view, eligible set, prober and weight submitter. */
export class Validator implements Startable {
  /** The validator's scoreboard (scores, reports, `report(miner)` figures). */
  readonly scoreboard: Scoreboard
  /** The validator's hotkey (public key). */
  readonly hotkey: Uint8Array
  readonly #c: ValidatorComponents
  readonly #init: ValidatorInit
  readonly #prefix: string
  readonly #random: (n: number) => Uint8Array
  #loop: LoopState = { lastRound: -1, lastNonce: null, pendingCommit: null }
  #started = false

  constructor (components: ValidatorComponents, init: ValidatorInit) {
    if (!(init.secretKey instanceof Uint8Array) || init.secretKey.length !== 32) throw new RangeError('secretKey must be 32 bytes')
    if (!Number.isInteger(init.netuid) || init.netuid < 0 || init.netuid > 65535) throw new RangeError('netuid must be a u16')
    this.#c = components
    this.#init = init
    this.#prefix = init.datastorePrefix ?? '/agora/incentives'
    this.#random = components.randomBytes ?? ((n) => crypto.getRandomValues(new Uint8Array(n)))
    this.hotkey = ed25519.getPublicKey(init.secretKey)
    this.scoreboard = new Scoreboard({ datastore: components.datastore }, { validatorHotkey: this.hotkey, policy: init.policy, datastorePrefix: this.#prefix })
  }

  isStarted (): boolean {
    return this.#started
  }

  async start (options?: AbortOptions): Promise<void> {
    if (this.#started) return
    await this.scoreboard.start(options)
    const k = this.#key('loop')
    if (await this.#c.datastore.has(k, options)) this.#loop = dagCbor.decode<LoopState>(await this.#c.datastore.get(k, options))
    this.#started = true
  }

  async stop (): Promise<void> {
    await this.scoreboard.stop()
    await this.#c.prober.stop?.()
    this.#started = false
  }

  #key (...parts: string[]): Key {
    return new Key([this.#prefix, ...parts].join('/'))
  }

  async #saveLoop (options?: AbortOptions): Promise<void> {
    await this.#c.datastore.put(this.#key('loop'), dagCbor.encode(this.#loop), options)
  }

  /**
   * Runs the current round if it has not been run: tasks, round record, probes, scoring,
   * weights. Returns `null` if this round was already run, or if this hotkey holds no uid
   * with a validator permit on the subnet.
   */
  async runRound (options?: AbortOptions): Promise<RoundOutcome | null> {
    const { netuid } = this.#init
    const roundBlocks = this.#init.roundBlocks ?? 120
    const block = await this.#c.chain.head(options)
    const round = Math.floor(block / roundBlocks) * roundBlocks
    if (round <= this.#loop.lastRound) return null
    const seed = await this.#c.chain.blockHash(round, options)
    const [params, neurons, eligible] = await Promise.all([
      this.#c.chain.subnet(netuid, options),
      this.#c.chain.metagraph(netuid, options),
      this.#c.eligible.eligible(netuid, { ...options, seed })
    ])
    const self = neurons.find(n => equalBytes(n.hotkey, this.hotkey))
    // Policy: a hotkey without a uid and a validator permit cannot set weights that count, so
    // it does not load miners with probes either.
    if (self?.permit !== true) {
      log('round %d skipped: this hotkey has no validator permit on subnet %d', round, netuid)
      return null
    }
    const k = this.#chooseK(eligible, seed, params, neurons)
    const nonce = this.#random(32)
    const record: RoundRecord = {
      round,
      validatorHotkey: this.hotkey,
      seed,
      k,
      rangeLength: this.#init.rangeLength ?? MiB,
      nonceCommitment: nonceCommitment(nonce),
      revealed: this.#loop.lastNonce
    }
    const recordBytes = await signRoundRecord(record, this.#init.secretKey)
    // Persist the nonce and the record before probing: a crash mid-round skips the round but
    // can still reveal its nonce, and its recorded reports are closed with the next round.
    this.#loop = { ...this.#loop, lastRound: round, lastNonce: { round, nonce } }
    await this.#c.datastore.put(this.#key('rounds', String(round).padStart(16, '0')), recordBytes, options)
    await this.#saveLoop(options)
    const tasks = selectTasks({ eligible, seed, validatorHotkey: this.hotkey, nonce, k, rangeLength: record.rangeLength })
    const { recorded, refused } = await this.#probeAll(round, tasks, options)
    const closed = await this.scoreboard.closeRound(round, options)
    const weightActions = await this.#weights(block, params, neurons, options)
    return { round, k, record: recordBytes, recorded, refused, batches: closed.batches, weightActions }
  }

  /** Sets, commits or reveals weights if one is due at the current head (between rounds too). */
  async updateWeights (options?: AbortOptions): Promise<WeightAction[]> {
    const { netuid } = this.#init
    const [block, params, neurons] = await Promise.all([this.#c.chain.head(options), this.#c.chain.subnet(netuid, options), this.#c.chain.metagraph(netuid, options)])
    return this.#weights(block, params, neurons, options)
  }

  #chooseK (eligible: Parameters<typeof eligibleTasks>[0], seed: Uint8Array, params: SubnetWeightParams, neurons: NeuronView[]): number {
    const tasks = eligibleTasks(eligible, seed)
    const perMiner = new Map<string, number>()
    for (const t of tasks) perMiner.set(t.minerPeerId, (perMiner.get(t.minerPeerId) ?? 0) + 1)
    return tuneK({
      taskCount: tasks.length,
      maxTasksPerMiner: Math.max(0, ...perMiner.values()),
      validators: Math.max(1, neurons.filter(n => n.permit).length),
      roundsPerTempo: Math.max(1, Math.round((params.tempo + 1) / (this.#init.roundBlocks ?? 120))),
      maxChecksPerMinerPerTempo: this.#init.maxChecksPerMinerPerTempo,
      kMax: this.#init.kMax
    })
  }

  /** Probes the tasks with bounded concurrency, signing and recording each matching result. */
  async #probeAll (round: number, tasks: ProbeTask[], options?: AbortOptions): Promise<{ recorded: number, refused: number }> {
    let next = 0
    let recorded = 0
    let refused = 0
    const worker = async (): Promise<void> => {
      while (next < tasks.length) {
        options?.signal?.throwIfAborted()
        const task = tasks[next++]
        const result = await this.#c.prober.probe(task, { round, validatorHotkey: this.hotkey }, options)
        if (!matchesTask(result, task, round, this.hotkey)) {
          // Policy: a result that is not about the task asked (a prober bug) is never scored.
          refused++
          log.error('probe result for %s does not match its task; not recorded', task.fileCid)
          continue
        }
        await this.scoreboard.record(await signProbeReport(result, this.#init.secretKey), options)
        recorded++
      }
    }
    await Promise.all(Array.from({ length: Math.max(1, this.#init.probeConcurrency ?? 4) }, worker))
    return { recorded, refused }
  }

  /** Takes the weight actions due at `block` (a reveal may be followed by a commit). */
  async #weights (block: number, params: SubnetWeightParams, neurons: NeuronView[], options?: AbortOptions): Promise<WeightAction[]> {
    const self = neurons.find(n => equalBytes(n.hotkey, this.hotkey))
    if (self == null) return []
    const done: WeightAction[] = []
    let lastUpdate = self.lastUpdate
    for (let step = 0; step < 2; step++) {
      const action = weightAction({
        block,
        netuid: this.#init.netuid,
        tempo: params.tempo,
        lastUpdate,
        rateLimit: params.weightsSetRateLimit,
        commitReveal: params.commitReveal,
        revealPeriodEpochs: params.revealPeriodEpochs,
        pendingCommitBlock: this.#loop.pendingCommit?.block ?? null
      })
      done.push(action)
      if (action.action === 'wait') break
      if (action.action === 'reveal') {
        await this.#reveal(options)
        continue
      }
      const row = this.scoreboard.weightRow(new Map(neurons.map(n => [toHex(n.hotkey), n.uid])), {
        subnetN: params.n, selfUid: self.uid, minAllowedWeights: params.minAllowedWeights, maxWeightsLimit: params.maxWeightsLimit
      })
      const versionKey = this.#init.versionKey ?? params.weightsVersionKey
      if (action.action === 'set') {
        await this.#c.weights.setWeights({ netuid: this.#init.netuid, ...row, versionKey }, options)
      } else {
        lastUpdate = await this.#commit(row, versionKey, options)
      }
      break
    }
    return done
  }

  async #commit (row: { uids: number[], values: number[] }, versionKey: number, options?: AbortOptions): Promise<number> {
    const salt = this.#random(32)
    const hash = commitHash({ hotkey: this.hotkey, netuid: this.#init.netuid, ...row, salt, versionKey })
    const { block } = await this.#c.weights.commitWeights({ netuid: this.#init.netuid, hash }, options)
    this.#loop = { ...this.#loop, pendingCommit: { block, ...row, salt, versionKey } }
    await this.#saveLoop(options)
    return block
  }

  async #reveal (options?: AbortOptions): Promise<void> {
    const p = this.#loop.pendingCommit
    if (p == null) return
    try {
      await this.#c.weights.revealWeights({ netuid: this.#init.netuid, uids: p.uids, values: p.values, salt: p.salt, versionKey: p.versionKey }, options)
    } catch (err) {
      // Policy: a refused reveal is dropped, not retried forever; the next epoch commits anew.
      log.error('reveal of the commit at block %d failed: %e', p.block, err)
    }
    this.#loop = { ...this.#loop, pendingCommit: null }
    await this.#saveLoop(options)
  }
}

function matchesTask (r: ProbeResult, t: ProbeTask, round: number, hotkey: Uint8Array): boolean {
  return r.round === round && equalBytes(r.validatorHotkey, hotkey) && equalBytes(r.minerHotkey, t.minerHotkey) &&
    r.minerPeerId === t.minerPeerId && r.fileCid === t.fileCid && r.rangeStart === t.rangeStart && r.rangeLen === t.rangeLen
}

/** Factory in the libp2p style: `validator(init)(components)`. */
export function validator (init: ValidatorInit): (components: ValidatorComponents) => Validator {
  return (components) => new Validator(components, init)
}
