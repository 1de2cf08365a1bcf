/**
 * Per-miner scoring, pure and deterministic.
 *
 * For each miner, at the end of each round, the validator folds that round's probe results
 * into the miner's state and computes
 *
 *   s = RSR_wilson^e × (0.5 + 0.5·latency) × (0.5 + 0.5·throughput) × integrity × online
 *       × discoverability × (1 + β·log2(1 + breadth))
 *
 * over the last `windowRounds` rounds (one tempo by default), then smooths it with an EMA whose
 * step is clamped. Disqualification (integrity) and suspension (online) zero the smoothed score
 * at once. Only `+ − × ÷` and the deterministic helpers of det-math.ts are used, so two honest
 * validators with the same reports compute the same scores bit for bit (see det-math.ts).
 */
import { clamp, log2, nearestRank, sqrt } from './det-math.ts'
import { InvalidPolicyError } from './errors.ts'
import { OUTCOME_OF, Outcome, ResultCode, onlineEvidence } from './probe-result.ts'
import { DEFAULT_INTEGRITY_POLICY, DEFAULT_ONLINE_POLICY, initialIntegrity, integrityFactor, onlineFactor, recordOnline, updateIntegrity } from './reputation.ts'
import { MiB } from './constants.ts'
import type { ProbeResult } from './probe-result.ts'
import type { IntegrityPolicy, IntegrityState, OnlinePolicy, OnlineWindow } from './reputation.ts'

/** Every tunable of the scoring pipeline. */
export interface ScorePolicy {
  /** Wilson bound's z. Policy: 1.96, a 95 % lower bound (FileTAO). @default 1.96 */
  wilsonZ: number
  /** Integer exponent on the Wilson RSR. Policy: 2, so reliability dominates. @default 2 */
  rsrExponent: number
  /** TTFB that scores 1 on the latency log scale. @default 100 */
  latencyBestMs: number
  /** TTFB that scores 0 on the latency log scale. @default 2000 */
  latencyWorstMs: number
  /** Smallest range whose throughput counts. Policy: 1 MiB, below it setup time dominates. @default 1_048_576 */
  throughputMinRange: number
  /** Throughput that scores 0 (log scale). Policy: 128 KiB/s, half the slow-drip floor. @default 131_072 */
  throughputFloorBps: number
  /** Throughput that scores 1; faster links gain nothing more. Policy: 32 MiB/s cap. @default 33_554_432 */
  throughputCapBps: number
  /**
   * Weight of discoverability: factor `1 − w·(1 − share advertised)`.
   * Policy: 0.5; a miner whose provider records are missing is half as useful to buyers.
   * @default 0.5
   */
  discoverabilityWeight: number
  /** β in `1 + β·log2(1 + distinct verified files)`. Policy: 0.05, so breadth barely helps whales or Sybils. @default 0.05 */
  breadthBeta: number
  /** Rounds (in which the miner was probed) that the per-window metrics look back over. Policy: 3 = one 360-block tempo. @default 3 */
  windowRounds: number
  /** EMA factor α per round. Policy: 0.2 (within 0.1–0.3). @default 0.2 */
  emaAlpha: number
  /** Largest change of the smoothed score in one round. Policy: 0.1 (Hippius-style clamp). @default 0.1 */
  maxStep: number
  integrity: IntegrityPolicy
  online: OnlinePolicy
}

/** Default scoring policy. */
export const DEFAULT_SCORE_POLICY: Readonly<ScorePolicy> = Object.freeze({
  wilsonZ: 1.96,
  rsrExponent: 2,
  latencyBestMs: 100,
  latencyWorstMs: 2000,
  throughputMinRange: MiB,
  throughputFloorBps: 128 * 1024,
  throughputCapBps: 32 * MiB,
  discoverabilityWeight: 0.5,
  breadthBeta: 0.05,
  windowRounds: 3,
  emaAlpha: 0.2,
  maxStep: 0.1,
  integrity: DEFAULT_INTEGRITY_POLICY,
  online: DEFAULT_ONLINE_POLICY
})

/** Checks a policy's ranges. @throws InvalidPolicyError */
export function assertScorePolicy (p: ScorePolicy): void {
  const bad = (m: string): never => { throw new InvalidPolicyError(m) }
  if (!(p.wilsonZ > 0)) bad('wilsonZ must be positive')
  if (!Number.isSafeInteger(p.rsrExponent) || p.rsrExponent < 1) bad('rsrExponent must be a positive integer')
  if (!(p.latencyBestMs > 0 && p.latencyWorstMs > p.latencyBestMs)) bad('need 0 < latencyBestMs < latencyWorstMs')
  if (!(p.throughputFloorBps > 0 && p.throughputCapBps > p.throughputFloorBps)) bad('need 0 < throughputFloorBps < throughputCapBps')
  if (!(p.discoverabilityWeight >= 0 && p.discoverabilityWeight <= 1)) bad('discoverabilityWeight must be in [0, 1]')
  if (!(p.breadthBeta >= 0)) bad('breadthBeta must be non-negative')
  if (!Number.isSafeInteger(p.windowRounds) || p.windowRounds < 1) bad('windowRounds must be a positive integer')
  if (!(p.emaAlpha > 0 && p.emaAlpha <= 1)) bad('emaAlpha must be in (0, 1]')
  if (!(p.maxStep > 0)) bad('maxStep must be positive')
  if (!(p.integrity.lambda > 0 && p.integrity.lambda <= 1)) bad('integrity.lambda must be in (0, 1]')
  if (!(p.integrity.disqualifyBelow >= 0 && p.integrity.disqualifyBelow < 1)) bad('integrity.disqualifyBelow must be in [0, 1)')
  if (!(p.online.suspendBelow >= 0 && p.online.suspendBelow <= 1)) bad('online.suspendBelow must be in [0, 1]')
}

/**
 * Wilson score interval lower bound for `successes` out of `n`:
 * `(p̂ + z²/2n − z·√(p̂(1−p̂)/n + z²/4n²)) / (1 + z²/n)`; 0 when `n = 0`.
 */
export function wilsonLowerBound (successes: number, n: number, z: number = DEFAULT_SCORE_POLICY.wilsonZ): number {
  if (!Number.isSafeInteger(n) || !Number.isSafeInteger(successes) || successes < 0 || successes > n) {
    throw new RangeError(`need integers 0 ≤ successes ≤ n, got ${successes}/${n}`)
  }
  if (n === 0) return 0
  const p = successes / n
  const z2 = z * z
  const centre = p + z2 / (2 * n)
  const spread = z * sqrt(p * (1 - p) / n + z2 / (4 * n * n))
  return clamp((centre - spread) / (1 + z2 / n), 0, 1)
}

/** Latency factor of one TTFB: 1 at or below `best`, 0 at or above `worst`, log-linear between. */
export function latencyFactor (ttfbMs: number, policy: ScorePolicy = DEFAULT_SCORE_POLICY): number {
  if (ttfbMs <= policy.latencyBestMs) return 1
  if (ttfbMs >= policy.latencyWorstMs) return 0
  return 1 - log2(ttfbMs / policy.latencyBestMs) / log2(policy.latencyWorstMs / policy.latencyBestMs)
}

/** Throughput factor: 0 at or below the floor, 1 at or above the cap, log-linear between. */
export function throughputFactor (bps: number, policy: ScorePolicy = DEFAULT_SCORE_POLICY): number {
  if (bps <= policy.throughputFloorBps) return 0
  if (bps >= policy.throughputCapBps) return 1
  return log2(bps / policy.throughputFloorBps) / log2(policy.throughputCapBps / policy.throughputFloorBps)
}

/** What one round contributed for one miner. */
export interface RoundTally {
  round: number
  /** Probes that counted and succeeded. */
  successes: number
  /** Probes that counted and failed (availability or integrity). */
  failures: number
  /** Of those, integrity failures. */
  integrityFailures: number
  /** TTFBs of successful probes. */
  ttfbMs: number[]
  /** Transfer throughputs of successful probes of at least `throughputMinRange` bytes. */
  throughputBps: number[]
  /** Counted probes whose provider lookup found the miner, and those whose lookup was made. */
  advertised: number
  lookups: number
  /** Distinct files verified. */
  verifiedFiles: string[]
}

/** Everything the validator keeps about one miner between rounds. */
export interface MinerState {
  integrity: IntegrityState
  online: OnlineWindow[]
  /** The last `windowRounds` round tallies, ascending by round. */
  recent: RoundTally[]
  /** The smoothed score. */
  smoothed: number
  /** The last round folded in, or -1. */
  lastRound: number
}

/** A new miner's state. Policy: it starts at score 0 and earns its way up through the EMA. */
export function initialMinerState (policy: ScorePolicy = DEFAULT_SCORE_POLICY): MinerState {
  return { integrity: initialIntegrity(policy.integrity), online: [], recent: [], smoothed: 0, lastRound: -1 }
}

/** The breakdown of one miner's score, for reports. */
export interface ScoreBreakdown {
  attempts: number
  successes: number
  integrityFailures: number
  rsrWilson: number
  p50TtfbMs: number | null
  p90TtfbMs: number | null
  latency: number
  medianThroughputBps: number | null
  throughput: number
  integrity: number
  online: number
  discoverability: number
  breadth: number
  /** The unsmoothed score of this window. */
  raw: number
  /** The smoothed score after this round. */
  smoothed: number
}

/** Deterministic order of a round's results: by start time, then by file and range. */
function orderResults (results: readonly ProbeResult[]): ProbeResult[] {
  return [...results].sort((a, b) => a.startedAt - b.startedAt || (a.fileCid < b.fileCid ? -1 : a.fileCid > b.fileCid ? 1 : 0) || a.rangeStart - b.rangeStart)
}

/** Tallies one round's results of one miner and updates the long-lived reputations. */
function tallyRound (state: MinerState, round: number, results: readonly ProbeResult[], policy: ScorePolicy): { tally: RoundTally, integrity: IntegrityState, online: OnlineWindow[] } {
  const tally: RoundTally = { round, successes: 0, failures: 0, integrityFailures: 0, ttfbMs: [], throughputBps: [], advertised: 0, lookups: 0, verifiedFiles: [] }
  let integrity = state.integrity
  let online = state.online
  const files = new Set<string>()
  for (const r of orderResults(results)) {
    const outcome = OUTCOME_OF[r.resultCode]
    // Policy: validator-side failures leave every figure of the miner untouched.
    if (outcome === Outcome.EXCLUDED) continue
    const seen = onlineEvidence(r.resultCode)
    if (seen != null) online = recordOnline(online, r.startedAt, seen, policy.online)
    if (r.minerInProviderSet != null) {
      tally.lookups++
      if (r.minerInProviderSet || r.resultCode === ResultCode.OK) tally.advertised++
    }
    if (outcome === Outcome.SUCCESS) {
      tally.successes++
      integrity = updateIntegrity(integrity, true, policy.integrity)
      if (r.ttfbMs != null) tally.ttfbMs.push(r.ttfbMs)
      if (r.rangeLen >= policy.throughputMinRange && r.throughputBps != null) tally.throughputBps.push(r.throughputBps)
      files.add(r.fileCid)
    } else {
      tally.failures++
      if (outcome === Outcome.INTEGRITY_FAILURE) {
        tally.integrityFailures++
        integrity = updateIntegrity(integrity, false, policy.integrity)
      }
    }
  }
  tally.verifiedFiles = [...files].sort()
  return { tally, integrity, online }
}

function median (sorted: readonly number[]): number | null {
  return nearestRank(sorted, 0.5) ?? null
}

/** Computes the raw score and its breakdown from a window of tallies and the reputations. */
export function windowScore (recent: readonly RoundTally[], integrity: IntegrityState, online: readonly OnlineWindow[], policy: ScorePolicy = DEFAULT_SCORE_POLICY): Omit<ScoreBreakdown, 'smoothed'> {
  let successes = 0
  let failures = 0
  let integrityFailures = 0
  let advertised = 0
  let lookups = 0
  const ttfb: number[] = []
  const thr: number[] = []
  const files = new Set<string>()
  for (const t of recent) {
    successes += t.successes
    failures += t.failures
    integrityFailures += t.integrityFailures
    advertised += t.advertised
    lookups += t.lookups
    ttfb.push(...t.ttfbMs)
    thr.push(...t.throughputBps)
    for (const f of t.verifiedFiles) files.add(f)
  }
  ttfb.sort((a, b) => a - b)
  thr.sort((a, b) => a - b)
  const attempts = successes + failures
  const rsrWilson = wilsonLowerBound(successes, attempts, policy.wilsonZ)
  const p50 = nearestRank(ttfb, 0.5) ?? null
  const p90 = nearestRank(ttfb, 0.9) ?? null
  const latency = p50 == null || p90 == null ? 0 : (latencyFactor(p50, policy) + latencyFactor(p90, policy)) / 2
  const medThr = median(thr)
  // Policy: no qualifying transfer in the window is no evidence, not a penalty (tasks ask 1 MiB
  // ranges, so only miners that hold nothing but small files escape this factor).
  const throughput = medThr == null ? 1 : throughputFactor(medThr, policy)
  const integ = integrityFactor(integrity, policy.integrity)
  const onl = onlineFactor(online, policy.online)
  const discoverability = lookups === 0 ? 1 : advertised / lookups
  const breadth = files.size
  let rsrPow = 1
  for (let i = 0; i < policy.rsrExponent; i++) rsrPow *= rsrWilson
  const raw = rsrPow *
    (0.5 + 0.5 * latency) *
    (0.5 + 0.5 * throughput) *
    integ *
    onl *
    (1 - policy.discoverabilityWeight * (1 - discoverability)) *
    (1 + policy.breadthBeta * log2(1 + breadth))
  return { attempts, successes, integrityFailures, rsrWilson, p50TtfbMs: p50, p90TtfbMs: p90, latency, medianThroughputBps: medThr, throughput, integrity: integ, online: onl, discoverability, breadth, raw }
}

/** One EMA step with a clamp on the change: `s + clamp(α·(target − s), −maxStep, maxStep)`. */
export function smooth (prev: number, target: number, policy: ScorePolicy = DEFAULT_SCORE_POLICY): number {
  return prev + clamp(policy.emaAlpha * (target - prev), -policy.maxStep, policy.maxStep)
}

/**
 * Folds one round's probe results of one miner into its state and scores it. Results must all
 * be for this miner and this round. A round without any counted probe of the miner leaves its
 * smoothed score where it was (no evidence), unless it is disqualified or suspended.
 */
export function scoreRound (state: MinerState, round: number, results: readonly ProbeResult[], policy: ScorePolicy = DEFAULT_SCORE_POLICY): { state: MinerState, breakdown: ScoreBreakdown } {
  const { tally, integrity, online } = tallyRound(state, round, results, policy)
  const counted = tally.successes + tally.failures > 0
  // The window is the last `windowRounds` rounds in which the miner was probed; round ids are
  // any increasing integers (the block number of the round's start).
  const recent = (counted ? [...state.recent.filter(t => t.round !== round), tally] : [...state.recent])
    .sort((a, b) => a.round - b.round)
    .slice(-policy.windowRounds)
  const b = windowScore(recent, integrity, online, policy)
  let smoothed: number
  if (b.integrity === 0 || b.online === 0) {
    // Policy: a disqualified or suspended miner earns nothing from this round on, without
    // waiting for the EMA; its history is kept so it can recover.
    smoothed = 0
  } else if (!counted) {
    smoothed = state.smoothed
  } else {
    smoothed = smooth(state.smoothed, b.raw, policy)
  }
  return {
    state: { integrity, online, recent, smoothed, lastRound: Math.max(state.lastRound, round) },
    breakdown: { ...b, smoothed }
  }
}
