/**
 * Purchase receipts and key reissue requests.
 *
 * A receipt is signed by the seller (domain `agora-receipt`) once the escrow is delivered: it
 * names the listing, the buyer, the escrow reference on the ledger and the amount. With it the
 * buyer can later ask for the content key again (a reissue request, signed by the buyer under
 * `agora-key-reissue`, with a fresh nonce and time) without paying again. The ledger's escrow
 * and delivery transactions are the chain reference behind `escrow`.
 */
import { randomBytes } from '@noble/hashes/utils.js'
import { CID } from 'multiformats'
import { MAX_RECEIPT_BYTES, RECEIPT_DOMAIN, REISSUE_DOMAIN, TIME } from './constants.ts'
import { equalBytes, open, seal } from './envelope.ts'
import { InvalidReceiptError, RecordExpiredError } from './errors.ts'
import { assertBytes, publicKeyOf } from './keys.ts'
import type { Listing } from './listing.ts'

/** The signed content of a receipt. */
export interface ReceiptRecord {
  schema: 'agora/receipt@1'
  /** The listing bought. */
  listing: CID
  /** The buyer's hotkey. */
  buyer: Uint8Array
  /** The seller's hotkey (the listing's publisher), which signs the receipt. */
  seller: Uint8Array
  /** The escrow reference on the ledger (1..128 printable characters). */
  escrow: string
  /** Rao paid. */
  amount: bigint
  /** When the receipt was issued, ms since the epoch. */
  issued: number
}

/** A signed receipt. */
export interface Receipt {
  /** CID of the receipt envelope. */
  id: CID
  record: ReceiptRecord
  bytes: Uint8Array
}

/** The signed content of a reissue request. */
export interface ReissueRecord {
  schema: 'agora/reissue@1'
  /** The receipt id the request rests on. */
  receipt: CID
  /** The buyer's hotkey, which signs the request. */
  buyer: Uint8Array
  /** 16 random bytes: a request is accepted once. */
  nonce: Uint8Array
  /** When the request was made, ms since the epoch. */
  time: number
}

/** What {@link createReceipt} needs. */
export interface CreateReceiptParameters {
  listing: Listing
  buyer: Uint8Array
  escrow: string
  /** @default the listing's price */
  amount?: bigint
  /** @default Date.now() */
  issued?: number
}

const ESCROW_RE = /^[\x21-\x7e]{1,128}$/
/** How old a reissue request may be. Policy: short, so a captured request soon stops working. */
export const REISSUE_MAX_AGE_MS = 10 * TIME.minute

/** Issues a receipt, signed with the seller's (the listing publisher's) secret seed. */
export function createReceipt (params: CreateReceiptParameters, sellerSecret: Uint8Array): Receipt {
  const seller = publicKeyOf(sellerSecret)
  if (!equalBytes(seller, params.listing.record.publisher)) throw new InvalidReceiptError('only the listing\'s publisher issues receipts')
  assertBytes(params.buyer, 32, 'buyer')
  const record = parseReceiptRecord({
    schema: 'agora/receipt@1',
    listing: params.listing.id,
    buyer: params.buyer,
    seller,
    escrow: params.escrow,
    amount: params.amount ?? amountDue(params.listing.record),
    issued: params.issued ?? Date.now()
  })
  const bytes = seal(record, sellerSecret, RECEIPT_DOMAIN)
  return { id: open(bytes, RECEIPT_DOMAIN, { maxSize: MAX_RECEIPT_BYTES }).cid, record, bytes }
}

/** Options of {@link verifyReceipt}. */
export interface VerifyReceiptOptions {
  /** When given: the receipt must be for this listing, by its publisher, for at least its price. */
  listing?: Listing
  /** When given: the receipt must be for this buyer. */
  buyer?: Uint8Array
}

const GiB = 1024 ** 3

/**
 * What one purchase of a listing costs, in rao. Policy: a per-download price is due once; a
 * per-GiB price is due for every started GiB of the listing's files (plaintext sizes as signed
 * in the listing), and at least once, so a listing of empty files is not free.
 */
export function amountDue (record: Pick<Listing['record'], 'price' | 'unit' | 'files'>): bigint {
  if (record.unit === 'download') return record.price
  const bytes = record.files.reduce((n, f) => n + f.size, 0)
  return record.price * BigInt(Math.max(1, Math.ceil(bytes / GiB)))
}

/**
 * Verifies receipt bytes: size, envelope, schema, the seller's signature, and the optional
 * listing and buyer. Throws `RecordTooLargeError`, `MalformedRecordError`,
 * `InvalidSignatureError` or `InvalidReceiptError`.
 */
export function verifyReceipt (bytes: Uint8Array, options: VerifyReceiptOptions = {}): Receipt {
  const opened = open(bytes, RECEIPT_DOMAIN, { maxSize: MAX_RECEIPT_BYTES })
  const record = parseReceiptRecord(opened.payload)
  if (!equalBytes(opened.publicKey, record.seller)) throw new InvalidReceiptError('receipt is not signed by its seller')
  const { listing, buyer } = options
  if (listing != null) {
    if (!listing.id.equals(record.listing)) throw new InvalidReceiptError('receipt is for another listing')
    if (!equalBytes(listing.record.publisher, record.seller)) throw new InvalidReceiptError('receipt is not from the listing\'s publisher')
    // Policy: a receipt must cover the whole amount due (per download, or per started GiB).
    if (record.amount < amountDue(listing.record)) throw new InvalidReceiptError(`receipt amount ${record.amount} is below the ${amountDue(listing.record)} rao due`)
  }
  if (buyer != null && !equalBytes(buyer, record.buyer)) throw new InvalidReceiptError('receipt is for another buyer')
  return { id: opened.cid, record, bytes }
}

/** A buyer's signed request to have the key of a bought listing sealed to it again. */
export function createReissueRequest (receipt: Receipt, buyerSecret: Uint8Array, options: { now?: number, nonce?: Uint8Array } = {}): Uint8Array {
  const buyer = publicKeyOf(buyerSecret)
  if (!equalBytes(buyer, receipt.record.buyer)) throw new InvalidReceiptError('only the receipt\'s buyer can request a reissue')
  const nonce = options.nonce ?? randomBytes(16)
  assertBytes(nonce, 16, 'nonce')
  const record: ReissueRecord = { schema: 'agora/reissue@1', receipt: receipt.id, buyer, nonce, time: options.now ?? Date.now() }
  return seal(record, buyerSecret, REISSUE_DOMAIN)
}

/**
 * Verifies a reissue request against the receipt it names (which must be signed by `seller`):
 * the buyer's signature, the receipt's, and the request's age. Replay of the same request is
 * caught by `ReceiptBook.useReissueRequest`. Throws `InvalidReceiptError`, `RecordExpiredError`
 * or the envelope's errors.
 */
export function verifyReissueRequest (requestBytes: Uint8Array, receiptBytes: Uint8Array, options: { seller: Uint8Array, now?: number }): { request: ReissueRecord, receipt: Receipt } {
  const opened = open(requestBytes, REISSUE_DOMAIN, { maxSize: MAX_RECEIPT_BYTES })
  const request = parseReissueRecord(opened.payload)
  if (!equalBytes(opened.publicKey, request.buyer)) throw new InvalidReceiptError('reissue request is not signed by its buyer')
  const receipt = verifyReceipt(receiptBytes, { buyer: request.buyer })
  if (!receipt.id.equals(request.receipt)) throw new InvalidReceiptError('reissue request names another receipt')
  if (!equalBytes(receipt.record.seller, options.seller)) throw new InvalidReceiptError('receipt was issued by another seller')
  const now = options.now ?? Date.now()
  if (Math.abs(now - request.time) > REISSUE_MAX_AGE_MS) throw new RecordExpiredError('reissue request is too old or from the future')
  return { request, receipt }
}

function parseReceiptRecord (v: unknown): ReceiptRecord {
  const r = mapWithKeys(v, 'amount,buyer,escrow,issued,listing,schema,seller', 'receipt')
  const amount = typeof r.amount === 'number' && Number.isSafeInteger(r.amount) ? BigInt(r.amount) : r.amount
  if (r.schema !== 'agora/receipt@1') throw new InvalidReceiptError('unknown receipt schema')
  if (CID.asCID(r.listing) == null) throw new InvalidReceiptError('receipt listing must be a CID')
  if (!isKey(r.buyer) || !isKey(r.seller)) throw new InvalidReceiptError('receipt buyer and seller must be 32-byte keys')
  if (typeof r.escrow !== 'string' || !ESCROW_RE.test(r.escrow)) throw new InvalidReceiptError('receipt escrow must be 1..128 printable characters')
  if (typeof amount !== 'bigint' || amount < 0n || amount >= 1n << 64n) throw new InvalidReceiptError('receipt amount must be rao in [0, 2^64)')
  if (!isTime(r.issued)) throw new InvalidReceiptError('receipt issued must be a time')
  return { schema: 'agora/receipt@1', listing: CID.asCID(r.listing) as CID, buyer: r.buyer, seller: r.seller, escrow: r.escrow, amount, issued: r.issued }
}

function parseReissueRecord (v: unknown): ReissueRecord {
  const r = mapWithKeys(v, 'buyer,nonce,receipt,schema,time', 'reissue request')
  if (r.schema !== 'agora/reissue@1') throw new InvalidReceiptError('unknown reissue schema')
  if (CID.asCID(r.receipt) == null) throw new InvalidReceiptError('reissue receipt must be a CID')
  if (!isKey(r.buyer)) throw new InvalidReceiptError('reissue buyer must be a 32-byte key')
  if (!(r.nonce instanceof Uint8Array) || r.nonce.length !== 16) throw new InvalidReceiptError('reissue nonce must be 16 bytes')
  if (!isTime(r.time)) throw new InvalidReceiptError('reissue time must be a time')
  return { schema: 'agora/reissue@1', receipt: CID.asCID(r.receipt) as CID, buyer: r.buyer, nonce: r.nonce, time: r.time }
}

function mapWithKeys (v: unknown, keys: string, what: string): Record<string, any> {
  if (v == null || typeof v !== 'object' || Array.isArray(v)) throw new InvalidReceiptError(`${what} is not a map`)
  if (Object.keys(v).sort().join(',') !== keys) throw new InvalidReceiptError(`${what} must have exactly ${keys}`)
  return v as Record<string, any>
}

function isKey (v: unknown): v is Uint8Array {
  return v instanceof Uint8Array && v.length === 32
}

function isTime (v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0
}
