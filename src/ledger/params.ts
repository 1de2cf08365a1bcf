/**
 * Chain parameters and their defaults (subtensor v1.2.5 values; user subnets get what
 * `init_new_network` writes). Genesis may override any of them (tests use short tempos and intervals).
 */

/** Total supply cap, rao (21 M TAO). */
export const TOTAL_SUPPLY = 21_000_000_000_000_000n
/** Era-0 block emission, rao (1 TAO). */
export const DEFAULT_BLOCK_EMISSION = 1_000_000_000n
/** One TAO in rao. */
export const RAO_PER_TAO = 1_000_000_000n
/** u64::MAX, the denominator of u64 proportions (adjustment alpha). */
export const U64_MAX = (1n << 64n) - 1n

/** Per-subnet hyperparameters. */
export type SubnetParams = {
  /** Blocks between epochs minus one (epoch period = tempo + 1). 0 = never. */
  tempo: number
  maxAllowedUids: number
  maxAllowedValidators: number
  minAllowedWeights: number
  /** u16: max normalised weight ×65535; 65535 = off. */
  maxWeightsLimit: number
  weightsSetRateLimit: number
  weightsVersionKey: number
  activityCutoff: number
  immunityPeriod: number
  maxRegistrationsPerBlock: number
  targetRegistrationsPerInterval: number
  adjustmentInterval: number
  /** u64 proportion (÷ 2^64−1). */
  adjustmentAlpha: bigint
  minBurn: bigint
  maxBurn: bigint
  /** u16 (÷ 65535). */
  kappa: number
  /** ÷ 1e6. */
  bondsMovingAverage: number
  registrationAllowed: boolean
  commitReveal: boolean
  revealPeriodEpochs: number
  yuma3: boolean
  liquidAlpha: boolean
}

/** Chain-wide parameters, fixed at genesis. */
export type ChainParams = {
  /** Milliseconds between blocks. */
  blockTimeMs: number
  subnetLimit: number
  networkMinLockCost: bigint
  networkLockReductionInterval: number
  networkRateLimit: number
  networkImmunityPeriod: number
  /** Minimum hotkey stake to set weights, rao. */
  stakeThreshold: bigint
  /** u16 owner cut (11796 ≈ 18 %). */
  subnetOwnerCut: number
  /** Initial `Burn` of a new subnet, rao. */
  initialBurn: bigint
  /** Default delegate take (u16) and its maximum. */
  defaultTake: number
  maxTake: number
  /** Root network: tempo, slots, rho, kappa (u16). */
  rootTempo: number
  rootMaxUids: number
  rootRho: number
  rootKappa: number
  /**
   * How subnets' shares of the block emission are decided: `root` = the root network's weights
   * (the chain's `root_epoch`); `even` = every subnet with registration allowed gets an equal
   * share, recomputed at each root epoch (a simplification for dev chains with no root
   * validators, see src/ledger/README.md).
   */
  emissionSplit: 'root' | 'even'
  /** Policy: anti-flood, at most this many transactions per signer per block. */
  maxTxsPerSignerPerBlock: number
  /** Policy: anti-flood, at most this many transactions per block. */
  maxTxsPerBlock: number
  /**
   * Blocks after a market delivery during which the buyer may dispute it; the seller is paid
   * when the buyer accepts, or when the window ends undisputed.
   */
  disputeWindow: number
  /** Parameters a newly registered subnet starts with. */
  newSubnet: SubnetParams
}

/** `init_new_network` values for user subnets. */
export const DEFAULT_SUBNET_PARAMS: SubnetParams = {
  tempo: 360,
  maxAllowedUids: 256,
  maxAllowedValidators: 64,
  minAllowedWeights: 1,
  maxWeightsLimit: 65_535,
  weightsSetRateLimit: 100,
  weightsVersionKey: 0,
  activityCutoff: 5000,
  immunityPeriod: 5000,
  maxRegistrationsPerBlock: 1,
  targetRegistrationsPerInterval: 1,
  adjustmentInterval: 360,
  adjustmentAlpha: 17_893_341_751_498_265_066n,
  minBurn: 1n,
  maxBurn: 100_000_000_000n,
  kappa: 32_767,
  bondsMovingAverage: 900_000,
  registrationAllowed: true,
  commitReveal: false,
  revealPeriodEpochs: 1,
  yuma3: false,
  liquidAlpha: false
}

/** v1.2.5 runtime defaults (`runtime/src/lib.rs`). */
export const DEFAULT_CHAIN_PARAMS: ChainParams = {
  blockTimeMs: 12_000,
  subnetLimit: 12,
  networkMinLockCost: 1_000_000_000_000n,
  networkLockReductionInterval: 100_800,
  networkRateLimit: 7200,
  networkImmunityPeriod: 50_400,
  stakeThreshold: 0n,
  subnetOwnerCut: 11_796,
  initialBurn: 1_000_000_000n,
  defaultTake: 11_796,
  maxTake: 11_796,
  rootTempo: 100,
  rootMaxUids: 64,
  rootRho: 10,
  rootKappa: 32_767,
  emissionSplit: 'root',
  maxTxsPerSignerPerBlock: 64,
  maxTxsPerBlock: 20_000,
  // Policy: 300 blocks, one hour at 12 s: a buyer's daemon checks a key within seconds.
  disputeWindow: 300,
  newSubnet: DEFAULT_SUBNET_PARAMS
}
