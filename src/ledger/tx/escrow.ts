/**
 * Escrow for market purchases: `escrow` (buyer locks the price for a seller, with a deadline),
 * `deliver` (seller posts the sealed content key and is paid), `refund` (buyer takes the money
 * back once the deadline has passed without delivery). The escrow names a `recipient` (the
 * buyer daemon's 32-byte hotkey) to which the seller seals the key. Escrowed money counts in the issuance
 * invariant while the escrow is open.
 */
import { InsufficientBalanceError, InvalidAmountError, MalformedError, EscrowNotFoundError, NotOwnerError, RateLimitedError } from '../errors.ts'
import { address, bytes, rao, uint } from './check.ts'
import type { DeliverTx, EscrowTx, RefundTx, TxKindDef } from './types.ts'

/** Policy: an escrow's delivery window is 1 block to 14 days. */
export const MAX_ESCROW_TIMEOUT = 100_800
/**
 * Policy: an escrow holds at least the chain's existential deposit, 500 rao as on Bittensor. The
 * chain has no fees, so escrows of 1 rao cost a buyer nothing (refunded after the deadline) and
 * each one asks a seller's daemon for a delivery: the floor makes a flood cost locked funds.
 */
export const MIN_ESCROW_RAO = 500n
/** Policy: a delivery payload (a sealed key) is at most 4 KiB. */
export const MAX_DELIVERY_BYTES = 4096
const LISTING_RE = /^[\x21-\x7e]{1,128}$/
const ID_RE = /^[0-9a-f]{64}$/

function listing (x: unknown): string {
  if (typeof x !== 'string' || !LISTING_RE.test(x)) throw new MalformedError('listing must be 1..128 printable characters')
  return x
}

function escrowId (x: unknown): string {
  if (typeof x !== 'string' || !ID_RE.test(x)) throw new MalformedError('escrow must be a transaction hash (64 hex)')
  return x
}

/** `escrow`: the signer (buyer) locks `amount` for `seller`; the escrow id is this tx's hash. */
export const escrow: TxKindDef<EscrowTx> = {
  kind: 'escrow',
  decode: raw => ({ kind: 'escrow', seller: address(raw.seller, 'seller'), recipient: bytes(raw.recipient, 'recipient', 32, 32), amount: rao(raw.amount, 'amount'), listing: listing(raw.listing), timeout: uint(raw.timeout, 'timeout', MAX_ESCROW_TIMEOUT) }),
  encode: b => ({ seller: b.seller, recipient: b.recipient, amount: b.amount, listing: b.listing, timeout: b.timeout }),
  apply (ctx, b) {
    if (b.amount < MIN_ESCROW_RAO) throw new InvalidAmountError(`an escrow holds at least the existential deposit, ${MIN_ESCROW_RAO} rao`)
    if (b.timeout < 1) throw new InvalidAmountError('the delivery window is at least 1 block')
    if (b.seller === ctx.signer) throw new InvalidAmountError('buyer and seller are the same account')
    const a = ctx.r.account(ctx.signer)
    if (a.balance < b.amount) throw new InsufficientBalanceError(`balance ${a.balance} < ${b.amount} rao`)
    ctx.r.putAccount(ctx.signer, { ...a, balance: a.balance - b.amount })
    ctx.r.putEscrow(ctx.txHash, {
      buyer: ctx.signer, seller: b.seller, recipient: b.recipient, amount: b.amount, listing: b.listing, openedAt: ctx.block, deadline: ctx.block + b.timeout, state: 'open', payload: new Uint8Array(0), closedAt: 0
    })
  }
}

/** `deliver`: the seller posts the payload within the window and is paid. */
export const deliver: TxKindDef<DeliverTx> = {
  kind: 'deliver',
  decode: raw => ({ kind: 'deliver', escrow: escrowId(raw.escrow), payload: bytes(raw.payload, 'payload', 1, MAX_DELIVERY_BYTES) }),
  encode: b => ({ escrow: b.escrow, payload: b.payload }),
  apply (ctx, b) {
    const e = ctx.r.escrow(b.escrow)
    if (e == null) throw new EscrowNotFoundError(`no escrow ${b.escrow}`)
    if (e.seller !== ctx.signer) throw new NotOwnerError('only the seller delivers')
    if (e.state !== 'open') throw new InvalidAmountError(`escrow is already ${e.state}`)
    if (ctx.block > e.deadline) throw new RateLimitedError(`the delivery window closed at block ${e.deadline}`)
    ctx.r.putEscrow(b.escrow, { ...e, state: 'delivered', payload: b.payload, closedAt: ctx.block })
    ctx.r.credit(e.seller, e.amount)
  }
}

/** `refund`: the buyer takes back an undelivered escrow after its deadline. */
export const refund: TxKindDef<RefundTx> = {
  kind: 'refund',
  decode: raw => ({ kind: 'refund', escrow: escrowId(raw.escrow) }),
  encode: b => ({ escrow: b.escrow }),
  apply (ctx, b) {
    const e = ctx.r.escrow(b.escrow)
    if (e == null) throw new EscrowNotFoundError(`no escrow ${b.escrow}`)
    if (e.buyer !== ctx.signer) throw new NotOwnerError('only the buyer is refunded')
    if (e.state !== 'open') throw new InvalidAmountError(`escrow is already ${e.state}`)
    if (ctx.block <= e.deadline) throw new RateLimitedError(`the seller may deliver until block ${e.deadline}`)
    ctx.r.putEscrow(b.escrow, { ...e, state: 'refunded', closedAt: ctx.block })
    ctx.r.credit(e.buyer, e.amount)
  }
}
