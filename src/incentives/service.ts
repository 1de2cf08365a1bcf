/**
 * The incentives as a node service: the miner and validator roles of a daemon
 * (`agora daemon --role miner|validator --netuid n`).
 *
 * Both roles register the daemon's hotkey on the subnet by burn (the hotkey signs as its own
 * coldkey and pays the burn; it must be funded) and wait for inclusion; the node itself serves
 * and reprovides content. The validator role then runs the {@link Validator} on every ledger
 * block: a round every `roundBlocks` blocks (seeded by the hash of the round's first block),
 * tasks from the market's open listings × registered miners that provide them, probes over the
 * buyers' protocol, scores, and weights (set, or commit-reveal when the subnet has it on)
 * within the rate limit. A validator needs a validator permit (stake) for its rounds to run.
 *
 * It requires the ledger (`services.require(LEDGER)`) and uses the market's listing index when
 * the market runs (`services.get(MARKET)`). The API builds the `/api/v0/incentives/*` routes.
 */
import { logger } from '@libp2p/logger'
import { formatTao, fromAddress, hotkeySeed, LEDGER } from '../ledger/index.ts'
import { MARKET } from '../market/index.ts'
import { serviceKey } from '../service.ts'
import { HotkeyTxQueue, ledgerChainView, ledgerWeightSubmitter, marketEligibleSource, peerIdOfHotkey } from './adapters.ts'
import { NetworkProber } from './prober.ts'
import { ReportArchive } from './report-archive.ts'
import { Validator } from './validator.ts'
import type { MarketEligibleInit } from './adapters.ts'
import type { NetworkProberInit } from './prober.ts'
import type { MinerReport } from './scoreboard.ts'
import type { RoundOutcome, ValidatorInit } from './validator.ts'
import type { LedgerService } from '../ledger/index.ts'
import type { NodeComponents, NodeService, NodeServiceFactory, ServiceLookup } from '../service.ts'

const log = logger('agora:incentives:service')

/** A daemon role. */
export type Role = 'miner' | 'validator'

/** How the incentives service is built. */
export interface IncentivesServiceInit {
  roles: Role[]
  netuid: number
  /** Blocks per validator round. @default max(1, min(120, floor((tempo + 1) / 3))): 3 rounds per epoch */
  roundBlocks?: number
  /** Other validator options (probe concurrency, range length, policy). */
  validator?: Omit<Partial<ValidatorInit>, 'netuid' | 'secretKey' | 'roundBlocks'>
  prober?: NetworkProberInit
  eligible?: MarketEligibleInit
}

/** A peer's standing on the subnet (`agora status`). Money in rao, as decimal strings in JSON. */
export interface IncentivesStatus {
  roles: Role[]
  netuid: number
  hotkey: string
  peerId: string
  /** `registered`, `registering`, `waiting for funds` (balance below the burn), `no subnet`. */
  registration: string
  uid: number | null
  balance: bigint
  stake: bigint
  permit: boolean
  /** u16 figures of the last epoch (÷ 65535). */
  incentive: number
  dividends: number
  trust: number
  consensus: number
  /** What the last epoch paid this uid (rao). */
  lastEmission: bigint
  /** Total paid to this uid by the epochs this daemon has seen since it started (rao). */
  earnedSinceStart: bigint
  head: number
  validator: { roundBlocks: number, rounds: number, lastRound: number | null, lastWeights: string | null } | null
  lastError: string | null
}

/** One miner's figures in `agora validator report`. */
export interface MinerFigures extends MinerReport { uid: number, peerId: string }

/** The registry key of the incentives (`node.services.get(INCENTIVES)`). */
export const INCENTIVES = serviceKey<IncentivesService>('incentives')

/** The components the incentives use. */
export type IncentivesComponents = Pick<NodeComponents, 'peerId' | 'privateKey' | 'libp2p' | 'datastore' | 'blockstore' | 'content'> & Partial<Pick<NodeComponents, 'onWarning'>>

/** The incentives service (see the module comment). */
export class IncentivesService implements NodeService {
  readonly name = 'incentives'
  readonly #components: IncentivesComponents
  readonly #services: ServiceLookup
  readonly #init: IncentivesServiceInit
  readonly #chain: LedgerService
  readonly #txs: HotkeyTxQueue
  /** The report batches of closed rounds, published by CID for audit. */
  readonly archive: ReportArchive
  readonly #stopping = new AbortController()
  #validator?: Validator
  #roundBlocks = 0
  #registration = 'registering'
  #registering = false
  #nextRegistration = 0
  #ticking?: Promise<void>
  #rounds = 0
  #lastRound: RoundOutcome | null = null
  #lastWeights: string | null = null
  #lastError: string | null = null
  #lastEpochBlock = -1
  #earned = 0n
  readonly #onBlock = (): void => { this.#tick() }

  /** @param services - must hold the ledger (`ServiceNotFoundError` otherwise); the market is used when present */
  constructor (components: IncentivesComponents, init: IncentivesServiceInit, services: ServiceLookup) {
    const chain = services.require(LEDGER)
    this.#components = components
    this.#services = services
    this.#init = init
    this.#chain = chain
    this.#txs = new HotkeyTxQueue(chain)
    this.archive = new ReportArchive(components)
  }

  /** The validator (validator role, once the subnet exists). */
  get validator (): Validator | undefined { return this.#validator }

  async start (): Promise<void> {
    this.#chain.ledger.events.addEventListener('block', this.#onBlock)
    this.#tick()
  }

  async stop (): Promise<void> {
    this.#chain.ledger.events.removeEventListener('block', this.#onBlock)
    this.#stopping.abort(new Error('incentives stopping'))
    await this.#ticking
    await this.#validator?.stop()
  }

  /** Runs one step per block, never two at once (a long round skips the blocks it spans). */
  #tick (): void {
    if (this.#ticking != null || this.#stopping.signal.aborted) return
    this.#ticking = this.#step()
      .then(() => { this.#lastError = null })
      .catch(err => {
        if (this.#stopping.signal.aborted) return
        this.#lastError = `${(err as Error).name}: ${(err as Error).message}`
        log.error('incentives step failed - %e', err)
      })
      .finally(() => { this.#ticking = undefined })
  }

  async #step (): Promise<void> {
    const signal = this.#stopping.signal
    const l = this.#chain.ledger
    const { netuid } = this.#init
    this.#noteEpoch()
    const uid = l.uidOf(netuid, this.#chain.hotkey.address)
    if (uid == null) {
      await this.#register()
      return
    }
    this.#registration = 'registered'
    if (!this.#init.roles.includes('validator')) return
    const v = await this.#ensureValidator()
    if (v == null) return
    const outcome = await v.runRound({ signal })
    if (outcome != null) {
      this.#rounds++
      this.#lastRound = outcome
      const acted = outcome.weightActions.filter(a => a.action !== 'wait')
      if (acted.length > 0) this.#lastWeights = `${acted.map(a => a.action).join('+')} at block ${l.status().height}`
      log('round %d: k=%d, %d probes recorded', outcome.round, outcome.k, outcome.recorded)
      for (const b of await this.archive.publish(outcome.batches, { signal })) log('published the reports of round %d as %s', b.round, b.cid)
      return
    }
    const acted = (await v.updateWeights({ signal })).filter(a => a.action !== 'wait')
    if (acted.length > 0) this.#lastWeights = `${acted.map(a => a.action).join('+')} at block ${l.status().height}`
  }

  /** Adds what the last epoch paid us when an epoch ran since the last block we saw. */
  #noteEpoch (): void {
    const l = this.#chain.ledger
    const s = l.subnet(this.#init.netuid)
    const uid = l.uidOf(this.#init.netuid, this.#chain.hotkey.address)
    if (s == null || uid == null) return
    if (s.lastMechanismStepBlock !== this.#lastEpochBlock) {
      if (this.#lastEpochBlock >= 0) this.#earned += l.neuron(this.#init.netuid, uid)?.emission ?? 0n
      this.#lastEpochBlock = s.lastMechanismStepBlock
    }
  }

  /**
   * Burn registration of our hotkey, paid by the hotkey itself as coldkey.
   * Policy: one attempt at a time, retried 2 blocks after a refusal (e.g. the subnet's
   * registrations-per-block limit), never while the balance is below the burn.
   */
  async #register (): Promise<void> {
    const l = this.#chain.ledger
    const s = l.subnet(this.#init.netuid)
    const head = l.status().height
    if (s == null) { this.#waiting('no subnet', `subnet ${this.#init.netuid} does not exist on this chain yet: the ${this.#init.roles.join(' and ')} role waits for it (agora subnet create, then --netuid)`); return }
    const balance = l.balance(this.#chain.hotkey.address)
    if (balance < s.burn) { this.#waiting('waiting for funds', `registering on subnet ${this.#init.netuid} costs ${formatTao(s.burn)} TAO and hotkey ${this.#chain.hotkey.address} holds ${formatTao(balance)}: waiting for funds (agora wallet transfer --dest ${this.#chain.hotkey.address} --amount <TAO>)`); return }
    if (this.#registering || head < this.#nextRegistration) return
    this.#registration = 'registering'
    this.#registering = true
    try {
      const { block } = await this.#txs.send({ kind: 'burnedRegister', netuid: this.#init.netuid, hotkey: this.#chain.hotkey.address }, { signal: this.#stopping.signal })
      log('registered on subnet %d at block %d', this.#init.netuid, block)
    } catch (err) {
      this.#nextRegistration = head + 2
      throw err
    } finally {
      this.#registering = false
    }
  }

  /** Enter a waiting state; the operator is told once each time it is entered. */
  #waiting (state: string, why: string): void {
    if (this.#registration === state) return
    this.#registration = state
    log('%s', why)
    this.#components.onWarning?.(why)
  }

  async #ensureValidator (): Promise<Validator | undefined> {
    if (this.#validator != null) return this.#validator
    const l = this.#chain.ledger
    const s = l.subnet(this.#init.netuid)
    if (s == null) return undefined
    this.#roundBlocks = this.#init.roundBlocks ?? Math.max(1, Math.min(120, Math.floor((s.params.tempo + 1) / 3)))
    const c = this.#components
    const findProviders = c.content.findProviders
    const chain = ledgerChainView(l)
    const v = new Validator({
      datastore: c.datastore,
      chain,
      eligible: marketEligibleSource({
        chain,
        index: () => this.#services.get(MARKET)?.index,
        findProviders,
        selfHotkey: this.#chain.hotkey.publicKey,
        isKnown: publisher => l.knowsHotkey(publisher),
        isReported: listing => this.#services.get(MARKET)?.fraud.has(listing.id) === true
      }, this.#init.eligible),
      prober: new NetworkProber({ libp2p: c.libp2p, findProviders, createProbePeer: c.content.createProbePeer }, this.#init.prober),
      weights: ledgerWeightSubmitter(this.#txs)
    }, { ...this.#init.validator, netuid: this.#init.netuid, roundBlocks: this.#roundBlocks, secretKey: hotkeySeed(c.privateKey) })
    await v.start()
    this.#validator = v
    return v
  }

  /** This peer's standing on the subnet. */
  status (): IncentivesStatus {
    const l = this.#chain.ledger
    const { netuid } = this.#init
    const hotkey = this.#chain.hotkey.address
    const uid = l.uidOf(netuid, hotkey) ?? null
    const row = uid == null ? undefined : l.metagraph(netuid)[uid]
    return {
      roles: this.#init.roles,
      netuid,
      hotkey,
      peerId: this.#components.peerId.toString(),
      registration: uid != null ? 'registered' : this.#registration,
      uid,
      balance: l.balance(hotkey),
      stake: row?.stake ?? 0n,
      permit: row?.permit ?? false,
      incentive: row?.incentive ?? 0,
      dividends: row?.dividends ?? 0,
      trust: row?.trust ?? 0,
      consensus: row?.consensus ?? 0,
      lastEmission: row?.emission ?? 0n,
      earnedSinceStart: this.#earned,
      head: l.status().height,
      validator: this.#init.roles.includes('validator')
        ? { roundBlocks: this.#roundBlocks, rounds: this.#rounds, lastRound: this.#lastRound?.round ?? null, lastWeights: this.#lastWeights }
        : null,
      lastError: this.#lastError
    }
  }

  /** The validator's figures for every registered neuron it has probed (validator role). */
  report (): MinerFigures[] {
    const v = this.#validator
    if (v == null) return []
    const out: MinerFigures[] = []
    for (const row of this.#chain.ledger.metagraph(this.#init.netuid)) {
      const key = fromAddress(row.hotkey)
      const r = v.scoreboard.report(key)
      if (r != null) out.push({ ...r, uid: row.uid, peerId: peerIdOfHotkey(key) })
    }
    return out
  }
}

/** The incentives service factory: the ledger must come before it, the market (if any) too. */
export function incentivesService (init: IncentivesServiceInit): NodeServiceFactory<IncentivesService> {
  return {
    key: INCENTIVES,
    requires: [LEDGER],
    optional: [MARKET],
    create: (components, services) => new IncentivesService(components, init, services)
  }
}
