/**
 * Escrow for market purchases, a fair exchange the chain judges:
 *
 * - `escrow` (buyer): locks the price for a seller with a delivery deadline, naming the listing
 *   (a CID), its key commitment, a one-time ed25519 public key made for this purchase (the
 *   `recipient`) and an `agent` that may accept or dispute for the buyer (its daemon's hotkey).
 * - `deliver` (seller, by the deadline): posts the content key sealed to the recipient and its
 *   receipt. The money stays held.
 * - `accept` (buyer or agent): the key was good; the seller is paid at once.
 * - `dispute` (buyer or agent, within `disputeWindow` blocks of the delivery): reveals the
 *   one-time secret. The chain checks it is the recipient's, opens the sealed key with it and
 *   compares the key with the commitment. A box that does not open, or a key that does not
 *   match, refunds the buyer (`failed`); a matching key refuses the dispute.
 * - `claim` (seller, after the window): the seller is paid for an undisputed delivery.
 * - `refund` (buyer, after the deadline): an undelivered escrow goes back.
 *
 * Why it is sound: the key is sealed to a key only the buyer's daemon holds, so nobody reads it
 * from the chain, and the one-time secret protects nothing but this box, so revealing it gives
 * away only a key the buyer already has (or that is worthless). The seller cannot be paid
 * without a delivery that opens to the committed key unless the buyer stays silent for the whole
 * window; the buyer cannot get a refund for a key that opens and matches, since the chain opens
 * it itself. What the chain cannot judge is whether the committed key decrypts the listed
 * ciphertext (too large for a transaction): that is the market's fraud report.
 *
 * Escrowed and held money counts in the issuance invariant until it is paid or refunded.
 */
import { CID } from 'multiformats'
import { equals } from 'uint8arrays/equals'
import { SealedKeyError, KeyCommitmentMismatchError, SEALED_KEY_SIZE, openSealedKey, sealPublicKeyOf } from '../../seal.ts'
import { DisputeRefusedError, EscrowNotFoundError, EscrowStateError, InsufficientBalanceError, InvalidAmountError, MalformedError, NotOwnerError, RateLimitedError } from '../errors.ts'
import { address, bytes, rao, uint } from './check.ts'
import type { Escrow } from '../records.ts'
import type { AcceptTx, ApplyContext, ClaimTx, DeliverTx, DisputeTx, EscrowTx, RefundTx, TxKindDef } from './types.ts'

/** Policy: an escrow's delivery window is 1 block to 14 days. */
export const MAX_ESCROW_TIMEOUT = 100_800
/**
 * Policy: an escrow holds at least the chain's existential deposit, 500 rao as on Bittensor. The
 * chain has no fees, so escrows of 1 rao cost a buyer nothing (refunded after the deadline) and
 * each one asks a seller's daemon for a delivery: the floor makes a flood cost locked funds.
 */
export const MIN_ESCROW_RAO = 500n
/** Policy: a receipt in a delivery is at most 4 KiB. */
export const MAX_RECEIPT_BYTES = 4096
const ID_RE = /^[0-9a-f]{64}$/

/** A listing id: a CID in its canonical string form (the seal is bound to its bytes). */
function listing (x: unknown): string {
  if (typeof x !== 'string' || x.length > 128) throw new MalformedError('listing must be a CID string of at most 128 characters')
  let cid: CID
  try {
    cid = CID.parse(x)
  } catch (err) {
    throw new MalformedError('listing must be a CID string', { cause: err })
  }
  if (cid.toString() !== x) throw new MalformedError('listing must be a CID in its canonical string form')
  return x
}

function escrowId (x: unknown): string {
  if (typeof x !== 'string' || !ID_RE.test(x)) throw new MalformedError('escrow must be a transaction hash (64 hex)')
  return x
}

function find (ctx: ApplyContext, id: string): Escrow {
  const e = ctx.r.escrow(id)
  if (e == null) throw new EscrowNotFoundError(`no escrow ${id}`)
  return e
}

function assertState (e: Escrow, state: Escrow['state']): void {
  if (e.state !== state) throw new EscrowStateError(`escrow is ${e.state}, not ${state}`)
}

/** The buyer, or the agent it named, speaks for the buyer. */
function assertBuyerSide (ctx: ApplyContext, e: Escrow): void {
  if (ctx.signer !== e.buyer && ctx.signer !== e.agent) throw new NotOwnerError('only the buyer or its agent accepts or disputes')
}

const closeWindow = (ctx: ApplyContext, e: Escrow): number => e.deliveredAt + ctx.chain.disputeWindow

/** `escrow`: the signer (buyer) locks `amount` for `seller`; the escrow id is this tx's hash. */
export const escrow: TxKindDef<EscrowTx> = {
  kind: 'escrow',
  decode: raw => ({
    kind: 'escrow',
    seller: address(raw.seller, 'seller'),
    agent: address(raw.agent, 'agent'),
    recipient: bytes(raw.recipient, 'recipient', 32, 32),
    commitment: bytes(raw.commitment, 'commitment', 32, 32),
    amount: rao(raw.amount, 'amount'),
    listing: listing(raw.listing),
    timeout: uint(raw.timeout, 'timeout', MAX_ESCROW_TIMEOUT)
  }),
  encode: b => ({ seller: b.seller, agent: b.agent, recipient: b.recipient, commitment: b.commitment, amount: b.amount, listing: b.listing, timeout: b.timeout }),
  apply (ctx, b) {
    if (b.amount < MIN_ESCROW_RAO) throw new InvalidAmountError(`an escrow holds at least the existential deposit, ${MIN_ESCROW_RAO} rao`)
    if (b.timeout < 1) throw new InvalidAmountError('the delivery window is at least 1 block')
    if (b.seller === ctx.signer) throw new InvalidAmountError('buyer and seller are the same account')
    if (b.agent === b.seller) throw new InvalidAmountError('the seller cannot be the buyer\'s agent')
    const a = ctx.r.account(ctx.signer)
    if (a.balance < b.amount) throw new InsufficientBalanceError(`balance ${a.balance} < ${b.amount} rao`)
    ctx.r.putAccount(ctx.signer, { ...a, balance: a.balance - b.amount })
    ctx.r.putEscrow(ctx.txHash, {
      buyer: ctx.signer,
      seller: b.seller,
      agent: b.agent,
      recipient: b.recipient,
      commitment: b.commitment,
      amount: b.amount,
      listing: b.listing,
      openedAt: ctx.block,
      deadline: ctx.block + b.timeout,
      state: 'open',
      key: new Uint8Array(0),
      receipt: new Uint8Array(0),
      deliveredAt: 0,
      closedAt: 0
    })
  }
}

/** `deliver`: the seller posts the sealed key within the delivery window; the money stays held. */
export const deliver: TxKindDef<DeliverTx> = {
  kind: 'deliver',
  decode: raw => ({ kind: 'deliver', escrow: escrowId(raw.escrow), key: bytes(raw.key, 'key', SEALED_KEY_SIZE, SEALED_KEY_SIZE), receipt: bytes(raw.receipt, 'receipt', 0, MAX_RECEIPT_BYTES) }),
  encode: b => ({ escrow: b.escrow, key: b.key, receipt: b.receipt }),
  apply (ctx, b) {
    const e = find(ctx, b.escrow)
    if (e.seller !== ctx.signer) throw new NotOwnerError('only the seller delivers')
    assertState(e, 'open')
    if (ctx.block > e.deadline) throw new RateLimitedError(`the delivery window closed at block ${e.deadline}`)
    ctx.r.putEscrow(b.escrow, { ...e, state: 'delivered', key: b.key, receipt: b.receipt, deliveredAt: ctx.block })
  }
}

/** `accept`: the buyer's side found the key good; the seller is paid. */
export const accept: TxKindDef<AcceptTx> = {
  kind: 'accept',
  decode: raw => ({ kind: 'accept', escrow: escrowId(raw.escrow) }),
  encode: b => ({ escrow: b.escrow }),
  apply (ctx, b) {
    const e = find(ctx, b.escrow)
    assertBuyerSide(ctx, e)
    assertState(e, 'delivered')
    ctx.r.putEscrow(b.escrow, { ...e, state: 'accepted', closedAt: ctx.block })
    ctx.r.credit(e.seller, e.amount)
  }
}

/**
 * `dispute`: the buyer's side reveals the one-time secret within the window and the chain judges
 * the delivery. Deterministic: ed25519 key derivation, X25519, HKDF and XChaCha20-Poly1305 over
 * bytes that are all on chain.
 */
export const dispute: TxKindDef<DisputeTx> = {
  kind: 'dispute',
  decode: raw => ({ kind: 'dispute', escrow: escrowId(raw.escrow), secret: bytes(raw.secret, 'secret', 32, 32) }),
  encode: b => ({ escrow: b.escrow, secret: b.secret }),
  apply (ctx, b) {
    const e = find(ctx, b.escrow)
    assertBuyerSide(ctx, e)
    assertState(e, 'delivered')
    if (ctx.block > closeWindow(ctx, e)) throw new RateLimitedError(`the dispute window closed at block ${closeWindow(ctx, e)}`)
    const pub = sealPublicKeyOf(b.secret)
    if (!equals(pub, e.recipient)) throw new MalformedError('the secret is not the escrow recipient\'s')
    try {
      openSealedKey({ sealed: e.key, recipientSecret: b.secret, listingId: CID.parse(e.listing), commitment: e.commitment })
    } catch (err) {
      const name = (err as Error).name
      if (name !== SealedKeyError.name && name !== KeyCommitmentMismatchError.name) throw err
      ctx.r.putEscrow(b.escrow, { ...e, state: 'failed', closedAt: ctx.block })
      ctx.r.credit(e.buyer, e.amount)
      return
    }
    throw new DisputeRefusedError('the delivered key opens and matches the listing\'s commitment')
  }
}

/** `claim`: the seller is paid for a delivery whose dispute window ended without a dispute. */
export const claim: TxKindDef<ClaimTx> = {
  kind: 'claim',
  decode: raw => ({ kind: 'claim', escrow: escrowId(raw.escrow) }),
  encode: b => ({ escrow: b.escrow }),
  apply (ctx, b) {
    const e = find(ctx, b.escrow)
    if (e.seller !== ctx.signer) throw new NotOwnerError('only the seller claims')
    assertState(e, 'delivered')
    if (ctx.block <= closeWindow(ctx, e)) throw new RateLimitedError(`the buyer may dispute until block ${closeWindow(ctx, e)}`)
    ctx.r.putEscrow(b.escrow, { ...e, state: 'paid', closedAt: ctx.block })
    ctx.r.credit(e.seller, e.amount)
  }
}

/** `refund`: the buyer takes back an undelivered escrow after its deadline. */
export const refund: TxKindDef<RefundTx> = {
  kind: 'refund',
  decode: raw => ({ kind: 'refund', escrow: escrowId(raw.escrow) }),
  encode: b => ({ escrow: b.escrow }),
  apply (ctx, b) {
    const e = find(ctx, b.escrow)
    if (e.buyer !== ctx.signer) throw new NotOwnerError('only the buyer is refunded')
    assertState(e, 'open')
    if (ctx.block <= e.deadline) throw new RateLimitedError(`the seller may deliver until block ${e.deadline}`)
    ctx.r.putEscrow(b.escrow, { ...e, state: 'refunded', closedAt: ctx.block })
    ctx.r.credit(e.buyer, e.amount)
  }
}
