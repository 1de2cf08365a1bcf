/** The registry of transaction kinds (the tagged union's dispatch table). */
import { addStake, becomeDelegate, removeStake, transfer } from './balances.ts'
import { accept, claim, deliver, dispute, escrow, refund } from './escrow.ts'
import { burnedRegister, rootRegister } from './register.ts'
import { registerNetwork, setSubnetParams } from './subnets.ts'
import { commitWeights, revealWeights, setWeights } from './weights.ts'
import type { TxBody, TxKind, TxKindDef } from './types.ts'

/** Every kind, by name. A new kind is one more `TxKindDef` here. */
export const KINDS: Record<TxKind, TxKindDef<any>> = {
  transfer,
  addStake,
  removeStake,
  becomeDelegate,
  registerNetwork,
  setSubnetParams,
  burnedRegister,
  rootRegister,
  setWeights,
  commitWeights,
  revealWeights,
  escrow,
  deliver,
  accept,
  dispute,
  claim,
  refund
}

/** The definition of a body's kind. */
export function kindOf (body: TxBody): TxKindDef {
  return KINDS[body.kind]
}
