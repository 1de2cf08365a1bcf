/**
 * The transaction set: a tagged union of kinds, each with its own decoder (boundary checks) and
 * apply function. Adding a kind (escrow, deliver, refund for the market) means adding a
 * `TxKindDef` to `KINDS` in `kinds.ts`; nothing else changes.
 */
import type { ChainParams } from '../params.ts'
import type { Records } from '../records.ts'

/** Transfer free balance to another account. */
export type TransferTx = { kind: 'transfer', to: string, amount: bigint }
/** Move free balance into stake under (hotkey, signer coldkey). */
export type AddStakeTx = { kind: 'addStake', hotkey: string, amount: bigint }
/** Move stake under (hotkey, signer coldkey) back to free balance. */
export type RemoveStakeTx = { kind: 'removeStake', hotkey: string, amount: bigint }
/** Make one's own hotkey a delegate (others may stake to it) with a take (u16). */
export type BecomeDelegateTx = { kind: 'becomeDelegate', hotkey: string, take: number }
/** Register a new subnet, locking the current lock cost. */
export type RegisterNetworkTx = { kind: 'registerNetwork' }
/** The subnet owner changes hyperparameters of its subnet. */
export type SetSubnetParamsTx = { kind: 'setSubnetParams', netuid: number, params: Record<string, number | boolean> }
/** Burn registration of a hotkey on a subnet, paid by the signer coldkey. */
export type BurnedRegisterTx = { kind: 'burnedRegister', netuid: number, hotkey: string }
/** Join the root network with a hotkey owned by the signer coldkey. */
export type RootRegisterTx = { kind: 'rootRegister', hotkey: string }
/** Set weights, signed by the hotkey. On netuid 0 the uids are netuids. */
export type SetWeightsTx = { kind: 'setWeights', netuid: number, uids: number[], values: number[], versionKey: number }
/** Commit to weights: `hash = commitHash(hotkey, netuid, uids, values, salt, versionKey)`. */
export type CommitWeightsTx = { kind: 'commitWeights', netuid: number, hash: Uint8Array }
/** Reveal committed weights within the reveal window. */
export type RevealWeightsTx = { kind: 'revealWeights', netuid: number, uids: number[], values: number[], salt: Uint8Array, versionKey: number }

/**
 * A buyer places `amount` in escrow for `seller` (a market purchase); the escrow id is this tx's
 * hash. `recipient` is the one-time ed25519 public key of this purchase, to which the seller
 * seals the content key; `commitment` is the listing's key commitment the key must match;
 * `agent` (an address, e.g. the buyer daemon's hotkey) may accept or dispute the delivery for
 * the buyer, whose account alone is ever refunded.
 */
export type EscrowTx = { kind: 'escrow', seller: string, agent: string, recipient: Uint8Array, commitment: Uint8Array, amount: bigint, listing: string, timeout: number }
/** The seller delivers the content key sealed to the escrow's recipient (and its receipt); the payment is held. */
export type DeliverTx = { kind: 'deliver', escrow: string, key: Uint8Array, receipt: Uint8Array }
/** The buyer (or its agent) found the key good: the seller is paid at once. */
export type AcceptTx = { kind: 'accept', escrow: string }
/** The buyer (or its agent) reveals the one-time secret: the chain opens the seal and judges. */
export type DisputeTx = { kind: 'dispute', escrow: string, secret: Uint8Array }
/** The seller takes the payment of a delivery whose dispute window has ended. */
export type ClaimTx = { kind: 'claim', escrow: string }
/** The buyer takes back an escrow that was not delivered before its deadline. */
export type RefundTx = { kind: 'refund', escrow: string }

/** Every transaction body. */
export type TxBody = TransferTx | AddStakeTx | RemoveStakeTx | BecomeDelegateTx | RegisterNetworkTx |
SetSubnetParamsTx | BurnedRegisterTx | RootRegisterTx | SetWeightsTx | CommitWeightsTx | RevealWeightsTx |
EscrowTx | DeliverTx | AcceptTx | DisputeTx | ClaimTx | RefundTx

/** The kind names. */
export type TxKind = TxBody['kind']

/** An unsigned transaction. */
export interface Tx {
  chainId: string
  /** Signer address (SS58); its public key verifies the signature. */
  signer: string
  /** The signer's next nonce. */
  nonce: number
  body: TxBody
}

/** A transaction with its signature and canonical bytes. */
export interface SignedTx {
  tx: Tx
  signature: Uint8Array
  /** The canonical unsigned bytes that were signed (after the domain). */
  unsigned: Uint8Array
  /** The wire bytes. */
  bytes: Uint8Array
  /** sha256 of the wire bytes, hex. */
  hash: string
}

/** What an apply function sees. */
export interface ApplyContext {
  r: Records
  block: number
  chain: ChainParams
  signer: string
  /** Hash (hex) of the transaction being applied. */
  txHash: string
}

/** One kind: how to read its body from decoded CBOR, write it back, and apply it. */
export interface TxKindDef<B extends TxBody = TxBody> {
  kind: B['kind']
  decode: (raw: Record<string, unknown>) => B
  encode: (body: B) => Record<string, unknown>
  apply: (ctx: ApplyContext, body: B) => void
}
