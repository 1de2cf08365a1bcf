/**
 * The integer arithmetic of the chain's tokenomics.
 * Everything is bigint and deterministic: no floating point, no `Math.exp`.
 */
import { DEFAULT_BLOCK_EMISSION, TOTAL_SUPPLY, U64_MAX } from './params.ts'

/**
 * Block emission for a total issuance: `floor(B0 / 2^k)` where k is the largest integer
 * with `2^k · (S − I) ≤ S`; 0 once `I ≥ S`. This is the exact integer form of
 * `k = floor(log2(1 / (1 − I/S)))`.
 */
export function blockEmission (issuance: bigint): bigint {
  if (issuance >= TOTAL_SUPPLY) return 0n
  const rest = TOTAL_SUPPLY - issuance
  let k = 0n
  while ((rest << (k + 1n)) <= TOTAL_SUPPLY) k++
  return DEFAULT_BLOCK_EMISSION >> k
}

/** `floor(amount · p/65535)` with `p/65535` truncated to 32 fractional bits first (I96F32). */
export function u16ProportionI96F32 (amount: bigint, p: number): bigint {
  const q = (BigInt(p) << 32n) / 65_535n
  return (amount * q) >> 32n
}

/** `floor(amount · p/65535)` with `p/65535` truncated to 64 fractional bits first (I64F64, as for the delegate take). */
export function u16ProportionI64F64 (amount: bigint, p: number): bigint {
  const q = (BigInt(p) << 64n) / 65_535n
  return (amount * q) >> 64n
}

/** `floor(part/whole · amount)` with the ratio truncated to 64 fractional bits (I64F64). */
export function shareI64F64 (part: bigint, whole: bigint, amount: bigint): bigint {
  if (whole === 0n) return 0n
  return (((part << 64n) / whole) * amount) >> 64n
}

/**
 * Subnet lock cost: `max(L·mult − floor(L/I_red)·(now − t0), min_lock)` with
 * `mult = t0 == 0 ? 1 : 2` and saturating subtraction.
 */
export function lockCost (lastLock: bigint, lastRegistered: number, now: number, minLock: bigint, reductionInterval: number): bigint {
  const mult = lastRegistered === 0 ? 1n : 2n
  const step = reductionInterval > 0 ? lastLock / BigInt(reductionInterval) : 0n
  const decay = step * BigInt(Math.max(0, now - lastRegistered))
  let cost = lastLock * mult - decay
  if (cost < 0n) cost = 0n
  return cost < minLock ? minLock : cost
}

const F18 = 18n

/**
 * The burn / difficulty adjustment in I110F18:
 * `clamp(α·x + (1−α)·(x·(r+T)/(2T)), min, max)`, α = adjustmentAlpha/(2^64−1).
 */
export function upgradedBurn (current: bigint, registrations: number, target: number, adjustmentAlpha: bigint, min: bigint, max: bigint): bigint {
  const one = 1n << F18
  const alpha = (adjustmentAlpha << F18) / U64_MAX
  const x = current << F18
  const t = BigInt(target)
  // x·(r+T) then ÷ 2T, each step an I110F18 op (multiply: (a·b)>>18; divide: (a<<18)/b).
  const num = (x * (BigInt(registrations + target) << F18)) >> F18
  const den = (t + t) << F18
  const updated = den === 0n ? 0n : (num << F18) / den
  const next = ((alpha * x) >> F18) + (((one - alpha) * updated) >> F18)
  if (next >= (max << F18)) return max
  if (next <= (min << F18)) return min
  return next >> F18
}

/** Round half away from zero of `num/den` for non-negative values. */
function roundDiv (num: bigint, den: bigint): bigint {
  const q = num / den
  return (num % den) * 2n >= den ? q + 1n : q
}

/**
 * Max-upscale to u16 (as `set_weights` stores a row): `round(x_i · 65535 / max(x))`, round half away from zero.
 * All zeros stay zeros.
 */
export function maxUpscaleU16 (values: readonly bigint[]): number[] {
  let max = 0n
  for (const v of values) if (v > max) max = v
  if (max === 0n) return values.map(() => 0)
  return values.map(v => Number(roundDiv(v * 65_535n, max)))
}

// ---- deterministic exp for the root sigmoid ------------------------------------------------

/** Fixed-point scale of the root-epoch arithmetic: 64 fractional bits. */
export const FX = 64n
const ONE = 1n << FX
const GUARD = 32n

function ln2Fixed (): bigint {
  // ln 2 = Σ_{k≥1} 1 / (k · 2^k), at FX + GUARD bits.
  const scale = 1n << (FX + GUARD)
  let sum = 0n
  for (let k = 1n; k < 200n; k++) sum += scale / (k << k)
  return sum
}
const LN2 = ln2Fixed()

/**
 * `exp(x)` for a fixed-point x (64 fractional bits), returned at 64 fractional bits, with
 * about 60 correct bits: range reduction by ln 2, then a Taylor series, in bigint only.
 */
export function expFixed (x: bigint): bigint {
  const xs = x << GUARD
  const n = xs >= 0n ? (xs + LN2 / 2n) / LN2 : -((-xs + LN2 / 2n) / LN2)
  const r = xs - n * LN2
  const scale = 1n << (FX + GUARD)
  let term = scale
  let sum = scale
  for (let k = 1n; k < 60n; k++) {
    term = (term * r) / (scale * k)
    if (term === 0n) break
    sum += term
  }
  const shifted = n >= 0n ? sum << n : sum >> -n
  return shifted >> GUARD
}

/** Input of the root epoch: stake per root validator (rao) and its stored u16 row over netuids. */
export interface RootEpochInput {
  stakes: bigint[]
  /** One row per validator: a u16 weight per netuid index 0..k−1. */
  weights: number[][]
  rho: number
  /** u16 (÷65535). */
  kappa: number
  blockEmission: bigint
}

/**
 * The root epoch: per netuid `E_j = C_j·R_j` normalised, `C_j = 1/(1+exp(−ρ(T_j−κ)))`,
 * `EmissionValues_j = floor(E_j · blockEmission)`. Returns undefined where the chain bails
 * out (no validators, no networks, zero stake) and the old values must be kept.
 */
export function rootEmissionValues (input: RootEpochInput): bigint[] | undefined {
  const n = input.stakes.length
  const k = input.weights[0]?.length ?? 0
  let total = 0n
  for (const s of input.stakes) total += s
  if (n === 0 || k === 0 || total === 0n) return undefined
  const s = input.stakes.map(x => (x << FX) / total)
  const rank = new Array<bigint>(k).fill(0n)
  const trust = new Array<bigint>(k).fill(0n)
  for (let i = 0; i < n; i++) {
    const row = input.weights[i]
    let rowSum = 0n
    for (const w of row) rowSum += BigInt(w)
    if (rowSum === 0n) continue
    for (let j = 0; j < k; j++) {
      if (row[j] === 0) continue
      rank[j] += (((BigInt(row[j]) << FX) / rowSum) * s[i]) >> FX
      trust[j] += s[i]
    }
  }
  const kappa = (BigInt(input.kappa) << FX) / 65_535n
  const rho = BigInt(input.rho)
  const e = rank.map((r, j) => {
    const c = (ONE << FX) / (ONE + expFixed(-rho * (trust[j] - kappa)))
    return (c * r) >> FX
  })
  let sum = 0n
  for (const x of e) sum += x
  if (sum === 0n) return e.map(() => 0n)
  return e.map(x => (((x << FX) / sum) * input.blockEmission) >> FX)
}
