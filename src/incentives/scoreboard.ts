/**
 * The validator's scoreboard: records its own signed probe reports, closes rounds into
 * per-miner scores, keeps per-miner windows and reputations across restarts in a datastore,
 * and produces the weight row and per-miner report figures.
 *
 * Datastore layout under `datastorePrefix` (default `/agora/incentives`):
 * - `/version`                     `1`, checked at start
 * - `/meta`                        dag-cbor `{ closedRounds: number[] }` (the last `retainRounds`)
 * - `/miners/<hotkey hex>`         dag-cbor miner record (state, last breakdown, code counts)
 * - `/reports/<round, 16 digits>/<sha256 of the signed report, hex>`   signed report bytes
 *
 * A report is stored when it is recorded; closing a round writes every miner record and the
 * meta in one batch, so a crash at any moment leaves either the round open (its reports are
 * reloaded at start) or fully closed.
 */
import * as dagCbor from '@ipld/dag-cbor'
import { sha256 } from '@noble/hashes/sha2.js'
import { Key } from 'interface-datastore'
import { NotStartedError } from '../errors.ts'
import { InvalidProbeReportError, RoundClosedError, ScoreboardVersionError } from './errors.ts'
import { equalBytes, toHex } from './bytes.ts'
import { createReportBatch, openProbeReport } from './probe-report.ts'
import { integrityReputation, onlineScore } from './reputation.ts'
import { assertScorePolicy, DEFAULT_SCORE_POLICY, initialMinerState, scoreRound } from './score.ts'
import { weightRow } from './weights.ts'
import type { ReportBatch, SignedProbeReport } from './probe-report.ts'
import type { ProbeResultCode } from './probe-result.ts'
import type { MinerState, ScoreBreakdown, ScorePolicy } from './score.ts'
import type { WeightRow, WeightRowInput } from './weights.ts'
import type { AbortOptions, Startable } from '@libp2p/interface'
import type { Datastore } from 'interface-datastore'

const VERSION = '1'

/** What the scoreboard needs from the node. */
export interface ScoreboardComponents {
  datastore: Datastore
}

/** Options of the scoreboard. */
export interface ScoreboardInit {
  /** The validator's own hotkey: only its reports are scored. */
  validatorHotkey: Uint8Array
  /** Scoring parameters. @default DEFAULT_SCORE_POLICY */
  policy?: ScorePolicy
  /** Key prefix, so several networks can share one datastore. @default '/agora/incentives' */
  datastorePrefix?: string
  /** Closed rounds whose reports are kept for audit. Policy: 216 (three days of 20-minute rounds). @default 216 */
  retainRounds?: number
}

/** Per-miner figures for `agora validator report`. */
export interface MinerReport {
  minerHotkey: string
  score: number
  lastRound: number
  integrityReputation: number
  onlineScore: number
  lastBreakdown: ScoreBreakdown | null
  /** Result codes over the scoring window. */
  codeCounts: Partial<Record<ProbeResultCode, number>>
}

interface MinerRecord {
  state: MinerState
  lastBreakdown: ScoreBreakdown | null
  codes: Array<{ round: number, counts: Partial<Record<ProbeResultCode, number>> }>
}

/** Result of closing a round. */
export interface ClosedRound {
  round: number
  /** The report batch of every round closed by this call that had reports, for publishing. */
  batches: ReportBatch[]
  /** The breakdown of every miner probed in the round, by hotkey hex. */
  breakdowns: Map<string, ScoreBreakdown>
}

const hex = toHex
const pad = (round: number): string => String(round).padStart(16, '0')

/** A validator's scoreboard over a datastore. */
export class Scoreboard implements Startable {
  readonly #ds: Datastore
  readonly #validator: Uint8Array
  readonly #policy: ScorePolicy
  readonly #prefix: string
  readonly #retain: number
  #miners = new Map<string, MinerRecord>()
  #pending = new Map<number, SignedProbeReport[]>()
  /** Digests (hex) of the pending reports, so a report recorded twice counts once. */
  #pendingDigests = new Set<string>()
  #closed: number[] = []
  #started = false

  constructor (components: ScoreboardComponents, init: ScoreboardInit) {
    if (!(init.validatorHotkey instanceof Uint8Array) || init.validatorHotkey.length !== 32) throw new RangeError('validatorHotkey must be 32 bytes')
    this.#ds = components.datastore
    this.#validator = init.validatorHotkey
    this.#policy = init.policy ?? DEFAULT_SCORE_POLICY
    assertScorePolicy(this.#policy)
    this.#prefix = init.datastorePrefix ?? '/agora/incentives'
    this.#retain = init.retainRounds ?? 216
  }

  #key (...parts: string[]): Key {
    return new Key([this.#prefix, ...parts].join('/'))
  }

  isStarted (): boolean {
    return this.#started
  }

  /** Checks the datastore version, then loads miner records and the open rounds' reports. */
  async start (options?: AbortOptions): Promise<void> {
    if (this.#started) return
    const vkey = this.#key('version')
    if (await this.#ds.has(vkey, options)) {
      const v = new TextDecoder().decode(await this.#ds.get(vkey, options))
      if (v !== VERSION) throw new ScoreboardVersionError(`scoreboard data is version ${v}, this program reads ${VERSION}`)
    } else {
      await this.#ds.put(vkey, new TextEncoder().encode(VERSION), options)
    }
    const mkey = this.#key('meta')
    this.#closed = (await this.#ds.has(mkey, options)) ? (dagCbor.decode<{ closedRounds: number[] }>(await this.#ds.get(mkey, options))).closedRounds : []
    this.#miners.clear()
    for await (const { key, value } of this.#ds.query({ prefix: this.#key('miners').toString() }, options)) {
      this.#miners.set(key.baseNamespace(), dagCbor.decode<MinerRecord>(value))
    }
    this.#pending.clear()
    this.#pendingDigests.clear()
    const last = this.#lastClosed()
    for await (const { value } of this.#ds.query({ prefix: this.#key('reports').toString() }, options)) {
      const r = await openProbeReport(value)
      if (r.result.round > last) this.#addPending(r)
    }
    this.#started = true
  }

  async stop (): Promise<void> {
    this.#started = false
  }

  #lastClosed (): number {
    return this.#closed.length > 0 ? this.#closed[this.#closed.length - 1] : -1
  }

  /** Adds a report to its open round unless it is already there. */
  #addPending (r: SignedProbeReport): void {
    const digest = hex(sha256(r.bytes))
    if (this.#pendingDigests.has(digest)) return
    this.#pendingDigests.add(digest)
    const list = this.#pending.get(r.result.round) ?? []
    list.push(r)
    this.#pending.set(r.result.round, list)
  }

  #assertStarted (): void {
    if (!this.#started) throw new NotStartedError('the scoreboard is not started')
  }

  /**
   * Records one signed report of this validator (opened and verified here if given as bytes).
   *
   * @throws InvalidProbeReportError for another validator's report; RoundClosedError for a closed
   * round; NotStartedError before `start()`
   */
  async record (report: SignedProbeReport | Uint8Array, options?: AbortOptions): Promise<SignedProbeReport> {
    this.#assertStarted()
    const r = report instanceof Uint8Array ? await openProbeReport(report) : await openProbeReport(report.bytes)
    if (!equalBytes(r.result.validatorHotkey, this.#validator)) throw new InvalidProbeReportError('the report is not signed by this validator')
    if (r.result.round <= this.#lastClosed()) throw new RoundClosedError(`round ${r.result.round} is closed`)
    const digest = hex(sha256(r.bytes))
    if (this.#pendingDigests.has(digest)) return r
    await this.#ds.put(this.#key('reports', pad(r.result.round), digest), r.bytes, options)
    this.#addPending(r)
    return r
  }

  /**
   * Closes every open round up to `round`, in order: folds each miner's results into its
   * state, then writes all miner records and the meta in one batch. Reports of rounds beyond
   * `retainRounds` closed rounds ago are deleted.
   */
  async closeRound (round: number, options?: AbortOptions): Promise<ClosedRound> {
    this.#assertStarted()
    if (round <= this.#lastClosed()) throw new RoundClosedError(`round ${round} is closed`)
    const rounds = [...this.#pending.keys()].filter(r => r < round).sort((a, b) => a - b)
    const breakdowns = new Map<string, ScoreBreakdown>()
    const batch = this.#ds.batch()
    for (const r of [...rounds, round]) {
      for (const [miner, b] of this.#foldRound(r)) breakdowns.set(miner, b)
      this.#closed.push(r)
    }
    for (const [miner, rec] of this.#miners) batch.put(this.#key('miners', miner), dagCbor.encode(rec))
    const dropped = this.#closed.slice(0, Math.max(0, this.#closed.length - this.#retain))
    this.#closed = this.#closed.slice(dropped.length)
    batch.put(this.#key('meta'), dagCbor.encode({ closedRounds: this.#closed }))
    for (const d of dropped) {
      for await (const k of this.#ds.queryKeys({ prefix: this.#key('reports', pad(d)).toString() }, options)) batch.delete(k)
    }
    await batch.commit(options)
    const batches: ReportBatch[] = []
    for (const r of [...rounds, round]) {
      const own = this.#pending.get(r) ?? []
      this.#pending.delete(r)
      for (const x of own) this.#pendingDigests.delete(hex(sha256(x.bytes)))
      if (own.length > 0) batches.push(await createReportBatch(r, this.#validator, own))
    }
    return { round, batches, breakdowns }
  }

  /** Folds one round into the in-memory miner records. Miners not probed get an empty round. */
  #foldRound (round: number): Map<string, ScoreBreakdown> {
    const byMiner = new Map<string, SignedProbeReport[]>()
    for (const r of this.#pending.get(round) ?? []) {
      const m = hex(r.result.minerHotkey)
      byMiner.set(m, [...(byMiner.get(m) ?? []), r])
    }
    const out = new Map<string, ScoreBreakdown>()
    for (const miner of new Set([...this.#miners.keys(), ...byMiner.keys()])) {
      const reports = byMiner.get(miner) ?? []
      const rec = this.#miners.get(miner) ?? { state: initialMinerState(this.#policy), lastBreakdown: null, codes: [] }
      const { state, breakdown } = scoreRound(rec.state, round, reports.map(r => r.result), this.#policy)
      const counts: Partial<Record<ProbeResultCode, number>> = {}
      for (const r of reports) counts[r.result.resultCode] = (counts[r.result.resultCode] ?? 0) + 1
      const codes = reports.length > 0 ? [...rec.codes, { round, counts }].slice(-this.#policy.windowRounds) : rec.codes
      this.#miners.set(miner, { state, lastBreakdown: reports.length > 0 ? breakdown : rec.lastBreakdown, codes })
      if (reports.length > 0) out.set(miner, breakdown)
    }
    return out
  }

  /** The smoothed score of every miner seen, by hotkey hex. */
  scores (): Map<string, number> {
    return new Map([...this.#miners].map(([m, r]) => [m, r.state.smoothed]))
  }

  /**
   * The weight row to set: each registered miner's smoothed score under its uid (miners not
   * yet scored get 0), quantised by {@link weightRow}.
   *
   * @param uidOf - the metagraph's hotkey hex → uid of every registered neuron
   */
  weightRow (uidOf: ReadonlyMap<string, number>, opts: Omit<WeightRowInput, 'scores'>): WeightRow {
    const scores = [...uidOf].map(([m, uid]) => ({ uid, score: this.#miners.get(m)?.state.smoothed ?? 0 }))
    return weightRow({ ...opts, scores })
  }

  /** Figures about one miner, or `undefined` if it was never probed. */
  report (minerHotkey: Uint8Array | string): MinerReport | undefined {
    const m = typeof minerHotkey === 'string' ? minerHotkey : hex(minerHotkey)
    const rec = this.#miners.get(m)
    if (rec == null) return undefined
    const codeCounts: Partial<Record<ProbeResultCode, number>> = {}
    for (const { counts } of rec.codes) {
      for (const [c, n] of Object.entries(counts) as Array<[ProbeResultCode, number]>) codeCounts[c] = (codeCounts[c] ?? 0) + n
    }
    return {
      minerHotkey: m,
      score: rec.state.smoothed,
      lastRound: rec.state.lastRound,
      integrityReputation: integrityReputation(rec.state.integrity),
      onlineScore: onlineScore(rec.state.online),
      lastBreakdown: rec.lastBreakdown,
      codeCounts
    }
  }

  /** Reports of every miner, sorted by score, highest first. */
  reportAll (): MinerReport[] {
    return [...this.#miners.keys()].map(m => this.report(m) as MinerReport).sort((a, b) => b.score - a.score || (a.minerHotkey < b.minerHotkey ? -1 : 1))
  }

  /** The stored signed reports of a round (open or closed and retained), for audit. */
  async reportsOfRound (round: number, options?: AbortOptions): Promise<SignedProbeReport[]> {
    const out: SignedProbeReport[] = []
    for await (const { value } of this.#ds.query({ prefix: this.#key('reports', pad(round)).toString() }, options)) out.push(await openProbeReport(value))
    return out
  }
}

/** Factory in the libp2p style: `scoreboard(init)(components)`. */
export function scoreboard (init: ScoreboardInit): (components: ScoreboardComponents) => Scoreboard {
  return (components) => new Scoreboard(components, init)
}
