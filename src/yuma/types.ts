/**
 * Public types of the Yuma kernel. Amounts are `bigint` rao; block numbers are safe integers;
 * u16 storage values are numbers in [0, 65535]; proportions are I32F32 raw bits (an exact
 * integer `value · 2³²`, see fixed.ts) so that every peer holds the same bits.
 */
import type { FixedMatrix } from './matrix.ts'

/** One stored sparse row as the chain keeps it: `[uid, u16 value]` pairs in storage order. */
export type SparseU16Row = Array<[number, number]>

/** A stored sparse u16 row in compact form: entry k is `[uids[k], values[k]]`. */
export interface U16Row {
  readonly uids: Uint16Array
  readonly values: Uint16Array
}

/** A sparse u16 row as an input takes it: `[uid, u16]` pairs or a {@link U16Row}. */
export type SparseRowInput = ReadonlyArray<readonly [number, number]> | U16Row

/** I32F32 raw bits: the integer `value · 2³²` (1.0 = 4294967296). */
export type Fixed = number

/** The subnet hyperparameters the epoch reads (yuma.md §3). All are optional in an input. */
export interface YumaParams {
  /** Blocks per epoch (u16). @default 360 */
  tempo: number
  /** Blocks after a weight set during which a validator counts as active. @default 5000 */
  activityCutoff: number
  /** Consensus majority, u16 over 65535. @default 32767 */
  kappa: number
  /** β, u16 over 65535: how much bonds follow clipped rather than raw weights. @default 65535 */
  bondsPenalty: number
  /** u64 per million; the EMA rate is α = 1 − value/10⁶. @default 900000 */
  bondsMovingAverage: number
  /** Yuma 3 bonds (true) or Yuma 2 bonds (false, the storage default). @default false */
  yuma3: boolean
  /** Liquid alpha (Yuma 3 only). @default false */
  liquidAlpha: boolean
  /** Liquid alpha lower bound, u16 over 65535. @default 45875 */
  alphaLow: number
  /** Liquid alpha upper bound, u16 over 65535. @default 58982 */
  alphaHigh: number
  /** Liquid alpha sigmoid steepness, i16; the slope used is value/100. @default 1000 */
  alphaSigmoidSteepness: number
  /** Validator permits handed out: the top k by stake (u16). @default 128 */
  maxAllowedValidators: number
  /** Minimum raw stake (rao) to count at all; the subnet owner is exempt. @default 0n */
  stakeThreshold: bigint
}

/**
 * One epoch's input, indexed by uid `0..n-1` (n = `stake.length`). Every per-uid array has length
 * n. Hyperparameters left out take the defaults of {@link YumaParams}.
 */
export interface EpochInput extends Partial<YumaParams> {
  /** Combined stake per uid in rao (alpha + tao·tao_weight, floored to an integer). */
  stake: readonly bigint[]
  /** Stored weights: row i is validator i's `[uid, u16]` list, max-upscaled as `set_weights` stores it. */
  weights: readonly SparseRowInput[]
  /** Stored bonds (u16; Yuma 2: column max-upscaled, Yuma 3: proportion·65535). Missing = none. */
  bonds?: readonly SparseRowInput[]
  /** Validator permits stored by the previous epoch. */
  validatorPermits: readonly boolean[]
  /** Block of each uid's last weight set (or registration). */
  lastUpdate: readonly number[]
  /** Block at which each uid was (re)registered. */
  blockAtRegistration: readonly number[]
  /** The block the epoch runs at. */
  currentBlock: number
  /** Rao to distribute (pending server + validator + root emission, owner cut excluded). */
  raoEmission: bigint
  /** The block of the previous epoch (`LastMechansimStepBlock`); 0 = unknown (§4.10). @default 0 */
  lastMechanismStepBlock?: number
  /** The uid of the subnet owner's hotkey, if registered. @default null */
  ownerUid?: number | null
  /**
   * Commit-reveal: per uid the smallest block among its unexpired commits, or null for none.
   * Leave undefined when commit-reveal is off (§4.5.4).
   */
  commitBlocks?: ReadonlyArray<number | null>
}

/** The u16 values the chain stores (`floor(x·65535)`). */
export interface EpochU16 {
  consensus: number[]
  incentive: number[]
  dividends: number[]
  validatorTrust: number[]
  stakeWeight: number[]
}

/** Everything one epoch computes, in the paper's order (yuma.md §4). Proportions are {@link Fixed}. */
export interface EpochOutput {
  n: number
  /** §4.1 */
  active: boolean[]
  /** §4.2 S: normalized stake after the threshold. */
  stake: Fixed[]
  /** §4.3 the permits this epoch used (stored ones, owner forced). */
  validatorPermits: boolean[]
  /** §4.3 new permits, to store for the next epoch. */
  newValidatorPermits: boolean[]
  /** §4.4 A. */
  activeStake: Fixed[]
  /** §4.5 W: masked, row-normalized weights. */
  weights: FixedMatrix
  /** Σ_i A_i W_ij (legacy). */
  prerank: Fixed[]
  /** §4.6 C. */
  consensus: Fixed[]
  /** §4.7 W̄. */
  clippedWeights: FixedMatrix
  validatorTrust: Fixed[]
  /** §4.8 R before normalization. */
  ranks: Fixed[]
  /** R / P (legacy server trust). */
  trust: Fixed[]
  /** §4.8 I. */
  incentive: Fixed[]
  /** §4.9 W̃. */
  weightsForBonds: FixedMatrix
  /** §4.11 E: the new bonds before storage encoding. */
  emaBonds: FixedMatrix
  /** §4.11 D. */
  dividends: Fixed[]
  /** §4.12 shares of `raoEmission`. */
  serverShare: Fixed[]
  validatorShare: Fixed[]
  combinedShare: Fixed[]
  /** §4.12 rao: what miners (incentive) and validators (dividends) earn; combined = `Emission` storage. */
  serverEmission: bigint[]
  validatorEmission: bigint[]
  combinedEmission: bigint[]
  /** §4.13 u16 storage values. */
  u16: EpochU16
  /**
   * §4.13 the bond rows to store: computed rows for new permits, empty for lost permits, else the
   * input row; compact form. Feed back as the next epoch's `bonds`.
   */
  bondsU16: U16Row[]
  /** {@link EpochOutput.bondsU16} as `[uid, u16]` pairs (built on first access). */
  storedBonds: SparseU16Row[]
}
