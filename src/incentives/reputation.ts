/**
 * Long-lived per-miner reputations, pure: the integrity beta reputation (Storj audit scoring)
 * and the online score over 12-hour windows (Storj downtime suspension).
 */
import { day, hour } from './constants.ts'
import { InvalidPolicyError } from './errors.ts'

/** Parameters of the integrity reputation. */
export interface IntegrityPolicy {
  /**
   * Forgetting factor λ applied to both counts at each update.
   * Policy: 0.999 (Storj), a memory of about a thousand audits.
   * @default 0.999
   */
  lambda: number
  /** Weight of a verified answer. @default 1 */
  successWeight: number
  /**
   * Weight of a corrupt answer or failed proof.
   * Policy: 25× a success. From a clean start (α = 1000) one corrupt answer takes the
   * reputation to 999/1024 ≈ 0.976 and a second to ≈ 0.952, below disqualification, where a
   * timeout does not move it at all: a corrupt answer costs far more than a timeout.
   * @default 25
   */
  failureWeight: number
  /**
   * Starting α (successes) of a new miner; β starts at 0.
   * Policy: 1000 = 1/(1−λ), the steady state of a miner that always verifies (Storj α₀).
   * @default 1000
   */
  initialAlpha: number
  /**
   * Reputation below which the miner is disqualified (its score is 0 until it recovers).
   * Policy: 0.96 (Storj). Recovery is slow: after two corrupt answers about 180 verified
   * answers in a row bring it back above the line.
   * @default 0.96
   */
  disqualifyBelow: number
}

/** Default integrity policy. */
export const DEFAULT_INTEGRITY_POLICY: Readonly<IntegrityPolicy> = Object.freeze({
  lambda: 0.999,
  successWeight: 1,
  failureWeight: 25,
  initialAlpha: 1000,
  disqualifyBelow: 0.96
})

/** The beta reputation's two decayed counts. */
export interface IntegrityState {
  alpha: number
  beta: number
}

/** A new miner's integrity state. */
export function initialIntegrity (policy: IntegrityPolicy = DEFAULT_INTEGRITY_POLICY): IntegrityState {
  return { alpha: policy.initialAlpha, beta: 0 }
}

/** `α ← λα + w_s·[ok]`, `β ← λβ + w_f·[¬ok]`. */
export function updateIntegrity (s: IntegrityState, ok: boolean, policy: IntegrityPolicy = DEFAULT_INTEGRITY_POLICY): IntegrityState {
  return {
    alpha: policy.lambda * s.alpha + (ok ? policy.successWeight : 0),
    beta: policy.lambda * s.beta + (ok ? 0 : policy.failureWeight)
  }
}

/** The reputation `α / (α + β)` (1 when both are 0). */
export function integrityReputation (s: IntegrityState): number {
  const total = s.alpha + s.beta
  return total > 0 ? s.alpha / total : 1
}

/**
 * The integrity factor in the score: 0 at or below the disqualification line, rising linearly
 * to 1 at a perfect reputation, `(rep − dq) / (1 − dq)`.
 */
export function integrityFactor (s: IntegrityState, policy: IntegrityPolicy = DEFAULT_INTEGRITY_POLICY): number {
  const rep = integrityReputation(s)
  if (rep < policy.disqualifyBelow) return 0
  return (rep - policy.disqualifyBelow) / (1 - policy.disqualifyBelow)
}

/** Parameters of the online score. */
export interface OnlinePolicy {
  /** Length of one online window. Policy: 12 h (Storj). @default 43_200_000 */
  windowMs: number
  /** How much history counts. Policy: 30 days (Storj). @default 2_592_000_000 */
  historyMs: number
  /**
   * Online score below which rewards are suspended (the score factor is 0); history is kept.
   * Policy: 0.6 (Storj).
   * @default 0.6
   */
  suspendBelow: number
}

/** Default online policy. */
export const DEFAULT_ONLINE_POLICY: Readonly<OnlinePolicy> = Object.freeze({
  windowMs: 12 * hour,
  historyMs: 30 * day,
  suspendBelow: 0.6
})

/** One online window: checks that reached the miner and all checks, in `[start, start + windowMs)`. */
export interface OnlineWindow {
  start: number
  ok: number
  total: number
}

/**
 * Records one online check at unix time `at` (ms), dropping windows older than the history.
 * Returns a new array, ascending by window start.
 */
export function recordOnline (windows: readonly OnlineWindow[], at: number, ok: boolean, policy: OnlinePolicy = DEFAULT_ONLINE_POLICY): OnlineWindow[] {
  if (!(policy.windowMs > 0)) throw new InvalidPolicyError('windowMs must be positive')
  const start = Math.floor(at / policy.windowMs) * policy.windowMs
  const out = windows.map(w => ({ ...w }))
  let w = out.find(x => x.start === start)
  if (w == null) {
    w = { start, ok: 0, total: 0 }
    out.push(w)
    out.sort((a, b) => a.start - b.start)
  }
  w.total++
  if (ok) w.ok++
  const newest = out[out.length - 1].start
  return out.filter(x => x.start > newest - policy.historyMs)
}

/** The online score: the mean over windows with checks of `ok / total`; 1 with no evidence. */
export function onlineScore (windows: readonly OnlineWindow[]): number {
  let sum = 0
  let n = 0
  for (const w of windows) {
    if (w.total > 0) { sum += w.ok / w.total; n++ }
  }
  return n > 0 ? sum / n : 1
}

/** The online factor in the score: 0 below the suspension line, else the online score. */
export function onlineFactor (windows: readonly OnlineWindow[], policy: OnlinePolicy = DEFAULT_ONLINE_POLICY): number {
  const s = onlineScore(windows)
  return s < policy.suspendBelow ? 0 : s
}
