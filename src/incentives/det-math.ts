/**
 * Deterministic numeric helpers for scoring.
 *
 * Validators must be reproducible: anyone holding a validator's signed reports and revealed
 * nonces can recompute its scores and weight row. ECMAScript fixes `+ - * /` on Numbers to
 * IEEE-754 double arithmetic with round-to-nearest-even, so those are bit-for-bit the same on
 * every engine; `Math.log`, `Math.exp`, `Math.pow` and `Math.sqrt` are "implementation-
 * approximated" and are not. Scoring therefore uses only the four basic operations, plus the
 * two functions below built from them (or from `bigint`), and quantises to u16 with `bigint`.
 */

/** Fractional bits computed by {@link log2}: error below 2⁻⁴⁸. */
const LOG2_FRACTION_BITS = 48

/**
 * Binary logarithm of a positive finite number, computed with basic operations only.
 *
 * Splits `x = m · 2^e` with `m ∈ [1, 2)` by exact scaling by 2, then takes the fraction bit by
 * bit: square `m`; if the square is ≥ 2, the next bit is 1 and `m` is halved.
 *
 * @throws RangeError if `x` is not a positive finite number
 */
export function log2 (x: number): number {
  if (!(x > 0) || !Number.isFinite(x)) throw new RangeError(`log2 needs a positive finite number, got ${x}`)
  let e = 0
  let m = x
  while (m >= 2) { m /= 2; e++ }
  while (m < 1) { m *= 2; e-- }
  let frac = 0
  let bit = 0.5
  for (let i = 0; i < LOG2_FRACTION_BITS; i++) {
    m = m * m
    if (m >= 2) {
      m /= 2
      frac += bit
    }
    bit /= 2
  }
  return e + frac
}

const SQRT_SCALE_BITS = 64n
const SQRT_SCALE = 2 ** 64

/** Integer square root (floor) of a non-negative bigint, by Newton's method. */
export function isqrt (n: bigint): bigint {
  if (n < 0n) throw new RangeError('isqrt of a negative number')
  if (n < 2n) return n
  let x = 1n << (BigInt(n.toString(2).length + 1) >> 1n)
  for (;;) {
    const y = (x + n / x) >> 1n
    if (y >= x) return x
    x = y
  }
}

/**
 * Square root of a non-negative finite number, deterministic: `floor(√(⌊x·2⁶⁴⌋·2⁶⁴)) / 2⁶⁴`.
 * Scaling by a power of two is exact, `BigInt` of an integral double is exact, and
 * `Number(bigint)` rounds to nearest by specification.
 *
 * @throws RangeError if `x` is negative or not finite
 */
export function sqrt (x: number): number {
  if (!(x >= 0) || !Number.isFinite(x)) throw new RangeError(`sqrt needs a non-negative finite number, got ${x}`)
  const scaled = BigInt(Math.floor(x * SQRT_SCALE))
  return Number(isqrt(scaled << SQRT_SCALE_BITS)) / SQRT_SCALE
}

/** `x` limited to `[lo, hi]`. */
export function clamp (x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x
}

/**
 * The value at quantile `q` of an ascending array by the nearest-rank rule:
 * the element at index `ceil(q·n) − 1` (so p50 of [a, b] is a, p90 of 10 values is the 9th).
 * Returns `undefined` for an empty array.
 */
export function nearestRank (sorted: readonly number[], q: number): number | undefined {
  if (sorted.length === 0) return undefined
  const rank = Math.ceil(q * sorted.length)
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]
}
