/**
 * substrate-fixed's own `exp` (`transcendental.rs`), as subtensor's `exp_safe` calls it for the
 * liquid-alpha sigmoid, for I32F32 in and out:
 *
 * - `x == 0` → 1; `x == 1` → the constant `E`, which is e truncated to I9F23 (23 fractional bits);
 * - otherwise on |x|: `result = |x| + 1`, `term = |x|`, then for i in 2..32:
 *   `term = checked_mul(term, |x|)`, `term = checked_div(term, i)`, `result = checked_add(result, term)`;
 * - for negative x, `result = checked_div(1, result)`;
 * - any overflow is an error; `exp_safe` clamps x to [−20, 20] first and maps an error to 0 (x ≤ 0)
 *   or I32F32::MAX.
 *
 * {@link expSafeBig} is the definition in bigint; {@link expSafe} is the same arithmetic on
 * numbers for |x| ≤ 8 (every intermediate provably below 2⁵³), and calls the bigint one otherwise.
 */
import { I64_MAX, ONE, checkedDivBig, checkedMulBig, mul } from './fixed.ts'

/** e as I9F23 (floor(e·2²³) = 22802600), widened to I32F32 bits. */
export const E_BITS = 22802600 * 512
const ONE_N = BigInt(ONE)
const TWENTY = 20n << 32n
/** |x| ≤ 8 keeps the number path exact: terms < 2⁴¹, result < 2⁴⁴. */
const FAST_LIMIT = 8 * ONE
const T8 = 256
/** 2⁻³²/i for the series' divisors. */
const DIV_SCALE = Float64Array.from({ length: 32 }, (_, i) => (i < 2 ? 0 : 1 / (4294967296 * i)))
const NEAR = 1 / 1024
const F41 = 2199023255552

/** substrate-fixed `exp::<I32F32, I32F32>` on bigint bits; `undefined` is its `Err(())`. */
export function expBig (x: bigint): bigint | undefined {
  if (x === 0n) return ONE_N
  if (x === ONE_N) return BigInt(E_BITS)
  const neg = x < 0n
  const op = neg ? -x : x
  let result = op + ONE_N
  let term = op
  for (let i = 2n; i < 32n; i++) {
    const t = checkedMulBig(term, op)
    if (t === undefined) return undefined
    const d = checkedDivBig(t, i << 32n)
    if (d === undefined) return undefined
    term = d
    result += term
    if (result > I64_MAX) return undefined
  }
  if (neg) return checkedDivBig(ONE_N, result)
  return result
}

/** subtensor `exp_safe` on bigint bits: clamp to [−20, 20], then exp, errors mapped. */
export function expSafeBig (x: bigint): bigint {
  const safe = x < -TWENTY ? -TWENTY : (x > TWENTY ? TWENTY : x)
  const r = expBig(safe)
  if (r !== undefined) return r
  return safe <= 0n ? 0n : I64_MAX
}

/**
 * floor(2⁶⁴ / r) for 2³² ≤ r < 2⁴⁴ (I32F32 `1 / r`), by long division in base 2⁸ so every
 * remainder times 2⁸ stays below 2⁵².
 */
export function recip (r: number): number {
  let rem = 1099511627776 // 2⁴⁰; 2⁶⁴ = 2⁴⁰ · 256³
  let q = floorDivSmallBig(rem, r)
  rem -= q * r
  for (let k = 0; k < 3; k++) {
    rem *= T8
    const d = floorDivSmallBig(rem, r)
    rem -= d * r
    q = q * T8 + d
  }
  return q
}

/** floor(a / b) for 0 ≤ a < 2⁵³, 0 < b, quotient small; corrected to be exact. */
function floorDivSmallBig (a: number, b: number): number {
  let q = Math.floor(a / b)
  while (q * b > a) q--
  while ((q + 1) * b <= a) q++
  return q
}

/** subtensor `exp_safe` on I32F32 number bits; bit-identical to {@link expSafeBig}. */
export function expSafe (x: number): number {
  if (x > FAST_LIMIT || x < -FAST_LIMIT) return Number(expSafeBig(BigInt(x)))
  if (x === 0) return ONE
  if (x === ONE) return E_BITS
  const op = x < 0 ? -x : x
  let result = op + ONE
  let term = op
  for (let i = 2; i < 32; i++) {
    // floor(floor(term·op / 2³²) / i) = floor(term·op / (2³²·i)). Fast path: the float
    // f = fl(fl(term·op)·fl(2⁻³²/i)) has relative error below 3·2⁻⁵³, so for f < 2⁴¹ it is within
    // 2⁻¹⁰ of the true quotient and floors exactly unless that close to an integer. Exact path:
    // mul is exact for term·op < 2⁷⁶, and t / i for t < 2⁴⁶ is never within 2⁻⁷ of an integer it is
    // not equal to (the fraction is at least 1/31), so the float quotient floors exactly.
    const f = term * op * DIV_SCALE[i]
    let q = Math.floor(f)
    const r = f - q
    if (!(r > NEAR && r < 1 - NEAR && f < F41)) q = Math.floor(mul(term, op) / i)
    term = q
    if (term === 0) break // every later term is 0 too
    result += term
  }
  return x < 0 ? recip(result) : result
}
