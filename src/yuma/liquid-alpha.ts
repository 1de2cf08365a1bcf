/**
 * Liquid alpha (Yuma 3 with `LiquidAlphaOn`): a per-(validator, miner) EMA rate from a sigmoid of how far
 * the validator's weight is from consensus (buying) or below its bond (selling), as subtensor's
 * `liquid_alpha_sigmoid` computes it in I32F32 with substrate-fixed's `exp`.
 */
import { HALF, ONE, mul, saturate64, saturatingDivBig } from './fixed.ts'
import { expSafe, expSafeBig, recip } from './exp.ts'

/** The per-subnet constants of the sigmoid, as I32F32 bits. */
export interface LiquidAlphaParams {
  low: number
  high: number
  /** `steepness.saturating_div(-100)`. */
  slope: number
}

/** I32F32 `steepness / −100` with truncating division, from the i16 hyperparameter. */
export function sigmoidSlope (steepness: number): number {
  return Number((BigInt(steepness) << 32n) / -100n)
}

/** |x| ≤ 8: expSafe and recip() stay on exact number arithmetic. */
const X_FAST = 8 * ONE
const ONE_N = BigInt(ONE)

/**
 * The distance the sigmoid reads: how far the weight is above consensus when it is at least the
 * bond (buying), or how far the bond is above the weight (selling), each clamped to [0, 1].
 */
export function distance (c: number, w: number, b: number): number {
  return w >= b ? clamp(w - c, 0, ONE) : clamp(b - w, 0, ONE)
}

/**
 * `liquid_alpha_sigmoid(consensus, weight, bond, low, high, steepness)` given the
 * {@link distance} d: α = clamp(low + (high − low) / (1 + e^(slope·(d − ½))), low, high).
 */
export function alphaOf (d: number, p: LiquidAlphaParams): number {
  const x = mul(p.slope, d - HALF)
  // sigmoid = 1 / (1 + e^x), saturating ops (the divisor is at least 1, e^x < 2⁴⁴ when |x| ≤ 8)
  const sigmoid = x <= X_FAST && x >= -X_FAST
    ? recip(ONE + expSafe(x))
    : Number(saturatingDivBig(ONE_N, saturate64(ONE_N + expSafeBig(BigInt(x)))))
  return clamp(p.low + mul(sigmoid, p.high - p.low), p.low, p.high)
}

/** `clamp_value`: min with high first, then max with low. */
function clamp (x: number, low: number, high: number): number {
  const y = x < high ? x : high
  return y > low ? y : low
}
