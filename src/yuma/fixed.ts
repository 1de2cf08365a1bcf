/**
 * Fixed-point arithmetic of the chain (substrate-fixed v0.6.0), bit for bit.
 *
 * An I32F32 value is carried as its raw bits: the integer `value · 2³²`. The hot path keeps those
 * bits in ordinary JS numbers, which hold every integer below 2⁵³ exactly; each operation below is
 * arranged so that every intermediate stays an integer below 2⁵³ (or a power-of-two division of
 * one, which is also exact), and falls back to `bigint` outside the domain where that is proven.
 * The `bigint` functions are the definition; the number ones are tested against them.
 *
 * Rounding rules (substrate-fixed `arith.rs`):
 * - multiply: the wide product shifted right by 32 (an arithmetic shift, so floor);
 * - divide: `(a << 32) / b` with integer division (truncation toward zero);
 * - `safe_div`: `checked_div(..).unwrap_or_default()`, so 0 on division by zero *or* overflow;
 * - conversion to a narrower type or to an integer drops the low bits (floor);
 * - `saturating_*`: clamp to the type's range.
 */

/** 1.0 as I32F32 bits (2³²). */
export const ONE = 4294967296
/** 0.5 as I32F32 bits. */
export const HALF = 2147483648
/** u16::MAX. */
export const U16_MAX = 65535

/** 2⁻³². */
export const INV32 = 1 / 4294967296
/** 2⁻¹⁶: the distance from an integer below which the fast paths defer to the exact ones. */
export const EPS = 1 / 65536
/** 2³⁶: the magnitude up to which the fast path of {@link mul} is within 2⁻¹⁷ of exact. */
const F_LIM = 68719476736
/** 2⁸⁰: products below it keep {@link mul} exact. */
const P_LIM = 1208925819614629174706176
/** 2⁴⁰: divisors below it keep {@link div} exact. */
const B_LIM = 1099511627776

/** Largest I32F32 bit pattern (i64::MAX). */
export const I64_MAX = (1n << 63n) - 1n
/** Smallest I32F32 bit pattern (i64::MIN). */
const I64_MIN = -(1n << 63n)

/** Clamp to the i64 range (what `saturating_*` does on I32F32 bits). */
export function saturate64 (x: bigint): bigint {
  return x > I64_MAX ? I64_MAX : (x < I64_MIN ? I64_MIN : x)
}

/** I32F32 `saturating_mul` on bigint bits: floor(a·b / 2³²), clamped. */
export function mulBig (a: bigint, b: bigint): bigint {
  return saturate64((a * b) >> 32n)
}

/** I32F32 `checked_mul`: floor(a·b / 2³²), or `undefined` when it does not fit. */
export function checkedMulBig (a: bigint, b: bigint): bigint | undefined {
  const p = (a * b) >> 32n
  return p > I64_MAX || p < I64_MIN ? undefined : p
}

/** I32F32 `checked_div`: trunc((a << 32) / b), `undefined` on division by zero or overflow. */
export function checkedDivBig (a: bigint, b: bigint): bigint | undefined {
  if (b === 0n) return undefined
  const q = (a << 32n) / b
  return q > I64_MAX || q < I64_MIN ? undefined : q
}

/** I32F32 `safe_div` on bigint bits: 0 on division by zero or overflow. */
export function divBig (a: bigint, b: bigint): bigint {
  return checkedDivBig(a, b) ?? 0n
}

/** I32F32 `saturating_div` on bigint bits (the divisor must not be zero). */
export function saturatingDivBig (a: bigint, b: bigint): bigint {
  return saturate64((a << 32n) / b)
}

/**
 * I32F32 `saturating_mul` on number bits: floor(a·b / 2³²).
 *
 * Exact: for integers a, b with |a·b| < 2⁸⁰, the float product p = fl(a·b) is within 2²⁸ of the
 * true product P, and `Math.imul(a, b) >>> 0` is exactly P mod 2³² (the low 32 bits of the
 * two's-complement product). (P − P mod 2³²) / 2³² = floor(P / 2³²) is an integer, and the float
 * (p − low) / 2³² is within 2⁻³ of it, so rounding recovers it. Larger products go through
 * {@link mulBig}.
 */
export function mul (a: number, b: number): number {
  const p = a * b
  // fast path: f = fl(a·b)/2³² is within |f|·2⁻⁵³ ≤ 2⁻¹⁷ of the true quotient when |f| < 2³⁶, so
  // unless f is within 2⁻¹⁶ of an integer, floor(f) is the exact floor
  const f = p * INV32
  const q = Math.floor(f)
  const r = f - q
  if (r > EPS && r < 1 - EPS && f < F_LIM && f > -F_LIM) return q
  if (p === 0) return 0 // a zero factor (common: absent entries); exact
  return mulExact(a, b, p)
}

/**
 * {@link mul} for non-negative integers with a·b < 2⁸⁰ (every product of two proportions or of a
 * proportion and a u16 in the epoch), without branches: the hot loops call it once per entry.
 *
 * Exact: p = fl(a·b) is within 2²⁶ of P = a·b, `Math.imul(a, b) >>> 0` is exactly P mod 2³², and
 * fl(p − low) adds at most 2²⁶ more, so x = fl(p − low)·2⁻³² is within 2⁻⁵ of the integer
 * floor(P / 2³²); x + ½ (x < 2⁴⁸) rounds by at most 2⁻⁵ more, and the floor of that is the integer.
 */
export function mulP (a: number, b: number): number {
  return Math.floor((a * b - (Math.imul(a, b) >>> 0)) * INV32 + 0.5)
}

/**
 * min(a, b) without a branch, for integers below 2⁵² (a, b, their difference and its double are
 * exact): a − max(0, a − b). Clipping half of a million weights to consensus with a compare and
 * branch mispredicts half of the time.
 */
export function minI (a: number, b: number): number {
  const d = a - b
  return a - (d + Math.abs(d)) * 0.5
}

/** The exact paths of {@link mul}, kept apart so that the fast path stays small enough to inline. */
function mulExact (a: number, b: number, p: number): number {
  if (p < P_LIM && p > -P_LIM) return Math.round((p - (Math.imul(a, b) >>> 0)) * INV32) + 0
  return Number(mulBig(BigInt(a), BigInt(b)))
}

/**
 * I32F32 `safe_div` on number bits: trunc(a·2³² / b), 0 when b = 0 (or on overflow).
 *
 * Exact: for 0 ≤ a ≤ 2b and 0 < b < 2⁴⁰ the float estimate q of the quotient (≤ 2³³) is off by at
 * most one. The remainder r = a·2³² − q·b is small (|r| < 2b); its value mod 2³² is exactly
 * `−Math.imul(q, b) >>> 0`, and the float a·2³² − q·b is within 2²² of it, which pins r down
 * exactly; q is then corrected by one if r is negative or at least b. Every division in the epoch
 * has a ≤ b (a part over its sum, a value over its column maximum); anything else goes through
 * {@link divBig}.
 */
export function div (a: number, b: number): number {
  if (b === 0) return 0
  if (a >= 0 && b > 0 && b < B_LIM && a <= 2 * b) {
    const q = Math.floor((a / b) * ONE)
    const low = (-Math.imul(q, b)) >>> 0
    const r = low + Math.round((a * ONE - q * b - low) * INV32) * ONE
    if (r < 0) return q - 1
    if (r >= b) return q + 1
    return q
  }
  return Number(divBig(BigInt(a), BigInt(b)))
}

/**
 * {@link div} with the float reciprocal `inv = 2³² / b` precomputed, for many divisions by the same
 * b (a column sum, a row sum). The estimate a·inv is off by at most one, like div's; the same
 * exact remainder test corrects it, so the result is the same bits.
 */
export function divInv (a: number, b: number, inv: number): number {
  if (a >= 0 && b > 0 && b < B_LIM && a <= 2 * b) {
    // fast path: f = fl(a·fl(2³²/b)) is within f·2⁻⁵² ≤ 2⁻¹⁹ of a·2³²/b (f ≤ 2³³), so unless f is
    // within 2⁻¹⁶ of an integer, floor(f) is the exact quotient
    const f = a * inv
    const q = Math.floor(f)
    const fr = f - q
    if (fr > EPS && fr < 1 - EPS) return q
    return correct(a, b, q)
  }
  return div(a, b)
}

/**
 * {@link divInv} without its domain checks, for loops that establish them once: the caller
 * guarantees 0 ≤ a ≤ 2b and 0 < b < 2⁴⁰ (a part of a non-negative sum over that sum, a value
 * over its column maximum), and `inv = 2³² / b`. Same bits as {@link div}.
 */
export function divP (a: number, b: number, inv: number): number {
  const f = a * inv
  const q = Math.floor(f)
  const fr = f - q
  if (fr > EPS && fr < 1 - EPS) return q
  return correct(a, b, q)
}

/** Whether every divisor of {@link divP} drawn from `d` (its zeros excepted) is below 2⁴⁰. */
export function divisorsInRange (d: Float64Array): boolean {
  for (let j = 0; j < d.length; j++) if (!(d[j] >= 0 && d[j] < B_LIM)) return false
  return true
}

/**
 * q ± 1 from the exact remainder a·2³² − q·b (see {@link div}): the slow path of {@link divP},
 * for loops that write its fast path out (q = floor(a·inv), kept when its fraction is more than
 * {@link EPS} from an integer).
 */
export function correct (a: number, b: number, q: number): number {
  const low = (-Math.imul(q, b)) >>> 0
  const r = low + Math.round((a * ONE - q * b - low) * INV32) * ONE
  if (r < 0) return q - 1
  if (r >= b) return q + 1
  return q
}

/**
 * `fixed_proportion_to_u16`: floor(x · 65535) saturated to [0, 65535]. x·65535 is an exact
 * integer product (x < 2³⁷), and the final division by 2³² is exact in binary floating point.
 */
export function toU16 (x: number): number {
  if (x <= 0) return 0
  if (x >= ONE) return U16_MAX
  return Math.floor((x * U16_MAX) / ONE)
}

/** A proportion for display only (never fed back into the arithmetic). */
export function toFloat (bits: number | bigint): number {
  return Number(bits) / ONE
}
