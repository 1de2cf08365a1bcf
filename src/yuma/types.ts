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

/** The subnet hyperparameters the epoch reads. All are optional in an input. */
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
  /** The block of the previous epoch (`LastMechansimStepBlock`); 0 = unknown (masks bonds of recently registered columns). @default 0 */
  lastMechanismStepBlock?: number
  /** The uid of the subnet owner's hotkey, if registered. @default null */
  ownerUid?: number | null
  /**
   * Commit-reveal: per uid the smallest block among its unexpired commits, or null for none.
   * Leave undefined when commit-reveal is off.
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

/** Everything one epoch computes, stage by stage (see epoch.ts). Proportions are {@link Fixed}. */
export interface EpochOutput {
  n: number
  /** Activity. */
  active: boolean[]
  /** S: normalized stake after the threshold. */
  stake: Fixed[]
  /** The permits this epoch used (stored ones, owner forced). */
  validatorPermits: boolean[]
  /** New permits, to store for the next epoch. */
  newValidatorPermits: boolean[]
  /** A: active stake. */
  activeStake: Fixed[]
  /** W: masked, row-normalized weights. */
  weights: FixedMatrix
  /** Σ_i A_i W_ij (legacy). */
  prerank: Fixed[]
  /** C: consensus. */
  consensus: Fixed[]
  /** W̄: clipped weights. */
  clippedWeights: FixedMatrix
  validatorTrust: Fixed[]
  /** R: ranks before normalization. */
  ranks: Fixed[]
  /** R / P (legacy server trust). */
  trust: Fixed[]
  /** I: incentive. */
  incentive: Fixed[]
  /** W̃: weights for bonds. */
  weightsForBonds: FixedMatrix
  /** E: the new bonds before storage encoding. */
  emaBonds: FixedMatrix
  /** D: dividends. */
  dividends: Fixed[]
  /** Shares of `raoEmission`. */
  serverShare: Fixed[]
  validatorShare: Fixed[]
  combinedShare: Fixed[]
  /** Rao: what miners (incentive) and validators (dividends) earn; combined = `Emission` storage. */
  serverEmission: bigint[]
  validatorEmission: bigint[]
  combinedEmission: bigint[]
  /** u16 storage values. */
  u16: EpochU16
  /**
   * The bond rows to store: computed rows for new permits, empty for lost permits, else the
   * input row; compact form. Feed back as the next epoch's `bonds`.
   */
  bondsU16: U16Row[]
  /** {@link EpochOutput.bondsU16} as `[uid, u16]` pairs (built on first access). */
  storedBonds: SparseU16Row[]
}
