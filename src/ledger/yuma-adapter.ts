/** The ledger's epoch runner: `src/yuma`'s bit-exact `epoch()` over the ledger's inputs. */
import { epoch } from '../yuma/index.ts'
import type { EpochRunner, SubnetEpochInput, SubnetEpochOutput } from './epoch-types.ts'

/** Run one subnet epoch with Yuma (`epoch` of src/yuma). */
export const yumaEpoch: EpochRunner = (x: SubnetEpochInput): SubnetEpochOutput => {
  const out = epoch({
    stake: x.stake,
    weights: x.weights,
    bonds: x.bonds,
    validatorPermits: x.validatorPermits,
    lastUpdate: x.lastUpdate,
    blockAtRegistration: x.blockAtRegistration,
    currentBlock: x.currentBlock,
    raoEmission: x.raoEmission,
    lastMechanismStepBlock: x.lastMechanismStepBlock,
    // Pre-dTAO subnets have no owner hotkey with special rights.
    ownerUid: null,
    commitBlocks: x.commitBlocks,
    tempo: x.tempo,
    activityCutoff: x.activityCutoff,
    kappa: x.kappa,
    bondsMovingAverage: x.bondsMovingAverage,
    yuma3: x.yuma3,
    liquidAlpha: x.liquidAlpha,
    maxAllowedValidators: x.maxAllowedValidators,
    stakeThreshold: x.stakeThreshold
  })
  return {
    serverEmission: out.serverEmission,
    validatorEmission: out.validatorEmission,
    newValidatorPermits: out.newValidatorPermits,
    bonds: out.storedBonds,
    active: out.active,
    consensus: out.u16.consensus,
    incentive: out.u16.incentive,
    dividends: out.u16.dividends,
    validatorTrust: out.u16.validatorTrust
  }
}
