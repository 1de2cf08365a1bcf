/**
 * What the ledger hands to a subnet epoch and reads back. `yuma-adapter.ts` maps these to
 * `src/yuma`'s `epoch()`. The ledger never does epoch math itself.
 */

/** One subnet's epoch input, in the ledger's terms (arrays indexed by uid). */
export interface SubnetEpochInput {
  netuid: number
  /** Total stake of each uid's hotkey, rao. */
  stake: bigint[]
  weights: Array<Array<[number, number]>>
  bonds: Array<Array<[number, number]>>
  validatorPermits: boolean[]
  lastUpdate: number[]
  blockAtRegistration: number[]
  currentBlock: number
  tempo: number
  lastMechanismStepBlock: number
  activityCutoff: number
  kappa: number
  bondsMovingAverage: number
  yuma3: boolean
  liquidAlpha: boolean
  maxAllowedValidators: number
  stakeThreshold: bigint
  /** With commit-reveal on: the smallest unexpired commit block per uid, or null; else undefined. */
  commitBlocks?: Array<number | null>
  raoEmission: bigint
}

/** What the ledger stores and pays from an epoch. */
export interface SubnetEpochOutput {
  serverEmission: bigint[]
  validatorEmission: bigint[]
  newValidatorPermits: boolean[]
  bonds: Array<Array<[number, number]>>
  active: boolean[]
  consensus: number[]
  incentive: number[]
  dividends: number[]
  validatorTrust: number[]
}

/** The epoch function the ledger calls. */
export type EpochRunner = (input: SubnetEpochInput) => SubnetEpochOutput
