/**
 * Scores → a u16 weight row as the chain stores it, pure and deterministic.
 *
 * The chain max-upscales a submitted row so its largest value becomes 65535,
 * `round(v·65535 / max)` with ties away from zero (subtensor's `set_weights`). This module
 * quantises scores straight into that form (so the chain's upscale is the identity on it),
 * meets `MaxWeightsLimit` and `MinAllowedWeights`, and does every step after reading the
 * scores in `bigint`.
 */
import { InvalidPolicyError, WeightLimitError } from './errors.ts'

const U16_MAX = 65535
const U16 = 65535n
/** Scores are read as fixed point with this many fractional bits (exact for any double). */
const SCORE_BITS = 32

/** One uid's score. */
export interface UidScore {
  uid: number
  /** A finite, non-negative score (any scale: only ratios matter). */
  score: number
}

/** Inputs of {@link weightRow}. */
export interface WeightRowInput {
  scores: readonly UidScore[]
  /** `SubnetworkN`: uids are `0 … subnetN − 1`. */
  subnetN: number
  /** The validator's own uid, left out of the row (Yuma drops a self-weight anyway). */
  selfUid?: number
  /** The subnet's `MinAllowedWeights`. @default 1 */
  minAllowedWeights?: number
  /** The subnet's `MaxWeightsLimit` (u16; 65535 turns the limit off). @default 65535 */
  maxWeightsLimit?: number
  /**
   * Integer sharpening exponent `p` in `w ∝ s^p`.
   * Policy: 1; raise to 2 to widen the gap between good and best miners.
   * @default 1
   */
  sharpen?: number
}

/** A weight row: uids ascending, with their u16 values. */
export interface WeightRow {
  uids: number[]
  values: number[]
}

/**
 * The chain's max-upscale of a u16 row: `round(v·65535 / max)`, ties away from zero, computed
 * exactly; an all-zero row stays zero.
 */
export function maxUpscale (values: readonly number[]): number[] {
  for (const v of values) {
    if (!Number.isInteger(v) || v < 0 || v > U16_MAX) throw new RangeError(`weights must be u16, got ${v}`)
  }
  const max = BigInt(Math.max(0, ...values))
  if (max === 0n) return values.map(() => 0)
  return values.map(v => Number((2n * BigInt(v) * U16 + max) / (2n * max)))
}

/**
 * Whether a row passes the chain's max weight limit: after normalising to sum 1, the largest
 * value is at most `limit/65535`, i.e. `max·65535 ≤ limit·Σv` (a limit of 65535 is off).
 */
export function checkMaxWeightLimit (values: readonly number[], limit: number): boolean {
  if (limit >= U16_MAX) return true
  const sum = values.reduce((a, v) => a + BigInt(v), 0n)
  if (sum === 0n) return true
  const max = BigInt(Math.max(...values))
  return max * U16 <= BigInt(limit) * sum
}

/** `min(65535, round(S·65535·F / (maxS·2^32)))`: the row scaled by `F/2^32`, capped. */
function scaled (fixed: readonly bigint[], maxS: bigint, F: bigint): bigint[] {
  const den = 2n * maxS << 32n
  return fixed.map(s => {
    const v = (2n * s * U16 * F + (maxS << 32n)) / den
    return v > U16 ? U16 : v
  })
}

/**
 * Raises the smaller weights until the largest share is within the limit: the row is scaled
 * by the smallest factor `f ≥ 1` (found by bisection on `f·2^32`) for which the capped row
 * passes; if even all positive entries at 65535 cannot pass, the zero entries get the
 * smallest equal value that does.
 *
 * Policy: meeting the chain's limit by flattening the top keeps the order of the miners;
 * giving weight to zero-score miners is the last resort, used only on subnets with fewer
 * positive-score miners than the limit allows.
 */
function fitMaxWeightLimit (fixed: bigint[], limit: number): bigint[] {
  const L = BigInt(limit)
  const need = (U16 * U16 + L - 1n) / L // Σv must reach ceil(65535²/L)
  const maxS = fixed.reduce((a, b) => a > b ? a : b, 0n)
  const positive = fixed.filter(s => s > 0n)
  const sumOf = (v: bigint[]): bigint => v.reduce((a, b) => a + b, 0n)
  if (U16 * BigInt(positive.length) < need) {
    const zeros = fixed.length - positive.length
    const rest = need - U16 * BigInt(positive.length)
    const e = zeros === 0 ? U16 + 1n : (rest + BigInt(zeros) - 1n) / BigInt(zeros)
    if (e > U16) throw new WeightLimitError(`max weight limit ${limit} needs at least ${(need + U16 - 1n) / U16} uids in the row, it has ${fixed.length}`)
    return fixed.map(s => s > 0n ? U16 : e)
  }
  const minS = positive.reduce((a, b) => a < b ? a : b)
  let lo = 1n << 32n
  let hi = (maxS << 32n) / minS + (1n << 32n)
  if (sumOf(scaled(fixed, maxS, lo)) >= need) return scaled(fixed, maxS, lo)
  while (hi - lo > 1n) {
    const mid = (lo + hi) >> 1n
    if (sumOf(scaled(fixed, maxS, mid)) >= need) hi = mid
    else lo = mid
  }
  return scaled(fixed, maxS, hi)
}

function assertInput (input: WeightRowInput): void {
  const { subnetN } = input
  if (!Number.isSafeInteger(subnetN) || subnetN < 0 || subnetN > U16_MAX + 1) throw new InvalidPolicyError('subnetN must be an integer in [0, 65536]')
  const minAllowed = input.minAllowedWeights ?? 1
  const limit = input.maxWeightsLimit ?? U16_MAX
  const sharpen = input.sharpen ?? 1
  if (!Number.isSafeInteger(minAllowed) || minAllowed < 0) throw new InvalidPolicyError('minAllowedWeights must be a non-negative integer')
  if (!Number.isInteger(limit) || limit < 1 || limit > U16_MAX) throw new InvalidPolicyError('maxWeightsLimit must be a u16 above 0')
  if (!Number.isSafeInteger(sharpen) || sharpen < 1 || sharpen > 8) throw new InvalidPolicyError('sharpen must be an integer in [1, 8]')
  const seen = new Set<number>()
  for (const { uid, score } of input.scores) {
    if (!Number.isSafeInteger(uid) || uid < 0 || uid >= subnetN) throw new RangeError(`uid ${uid} is not on a subnet of ${subnetN}`)
    if (seen.has(uid)) throw new RangeError(`uid ${uid} appears twice`)
    seen.add(uid)
    if (!Number.isFinite(score) || score < 0) throw new RangeError(`score of uid ${uid} must be finite and non-negative, got ${score}`)
  }
}

/**
 * Turns scores into the u16 weight row to submit: the validator's own uid left out, padded
 * with zero entries of the lowest unlisted uids up to `min(minAllowedWeights, subnetN)`
 * entries, scores sharpened (`s^p`), max-upscaled so the largest is 65535 (all zero stays
 * zero), then fitted to the max weight limit. Uids ascending. Weakly order-preserving: a
 * higher score never gets a lower value.
 *
 * @throws RangeError for a bad uid or score; InvalidPolicyError for bad limits;
 * WeightLimitError when the row cannot satisfy the max weight limit
 */
export function weightRow (input: WeightRowInput): WeightRow {
  assertInput(input)
  const { subnetN, selfUid } = input
  const sharpen = input.sharpen ?? 1
  const entries = input.scores.filter(s => s.uid !== selfUid).map(s => ({ uid: s.uid, score: s.score }))
  const want = Math.min(input.minAllowedWeights ?? 1, subnetN - (selfUid != null && selfUid < subnetN ? 1 : 0))
  const listed = new Set(entries.map(e => e.uid))
  for (let uid = 0; uid < subnetN && entries.length < want; uid++) {
    // Policy: padding entries are explicit zeros; they satisfy the count without paying anyone.
    if (!listed.has(uid) && uid !== selfUid) entries.push({ uid, score: 0 })
  }
  entries.sort((a, b) => a.uid - b.uid)
  const fixed = entries.map(e => {
    let s = e.score
    for (let i = 1; i < sharpen; i++) s *= e.score
    return BigInt(Math.floor(s * 2 ** SCORE_BITS))
  })
  const maxS = fixed.reduce((a, b) => a > b ? a : b, 0n)
  let values: bigint[]
  if (maxS === 0n) {
    values = fixed.map(() => 0n)
  } else {
    values = scaled(fixed, maxS, 1n << 32n)
    const limit = input.maxWeightsLimit ?? U16_MAX
    if (!checkMaxWeightLimit(values.map(Number), limit)) values = fitMaxWeightLimit(fixed, limit)
  }
  return { uids: entries.map(e => e.uid), values: values.map(Number) }
}
