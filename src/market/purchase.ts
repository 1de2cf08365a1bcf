/**
 * The two ends of a paid purchase, as the daemons will run them around the ledger's escrow:
 *
 * 1. buyer: `book.assertNotPurchased(buyer, listing.id)`, then the escrow transaction;
 * 2. seller, on seeing the escrow: {@link prepareDelivery} → sealed key and receipt, which go
 *    into the delivery transaction;
 * 3. buyer, on seeing the delivery: {@link acceptDelivery} → the content key, checked against the
 *    listing's commitment, with the receipt recorded for later fetches.
 *
 * The escrow reference is whatever the ledger names the escrow by (its transaction hash or id).
 */
import * as dagCbor from '@ipld/dag-cbor'
import type { AbortOptions } from '@libp2p/interface'
import { InvalidListingError, InvalidReceiptError, MalformedRecordError, RecordTooLargeError } from './errors.ts'
import { checkContentKey, openSealedKey, sealContentKey } from '../seal.ts'
import { publicKeyOf } from './keys.ts'
import type { Listing } from './listing.ts'
import type { ReceiptBook } from './receipt-book.ts'
import { createReceipt, verifyReceipt, verifyReissueRequest } from './receipt.ts'
import type { Receipt } from './receipt.ts'

/** What the seller puts in the delivery transaction. */
export interface Delivery {
  /** The content key sealed to the buyer (105 bytes). */
  sealedKey: Uint8Array
  /** The seller's signed receipt. */
  receipt: Receipt
}

/**
 * Largest delivery payload: the ledger's `deliver` transaction carries at most 4 KiB
 * (`MAX_DELIVERY_BYTES` in src/ledger/tx/escrow.ts).
 */
export const MAX_DELIVERY_BYTES = 4096

/** The bytes of a delivery as the `deliver` transaction's payload: dag-cbor `{ key, receipt }`. */
export function encodeDelivery (delivery: Delivery): Uint8Array {
  const bytes = dagCbor.encode({ key: delivery.sealedKey, receipt: delivery.receipt.bytes })
  if (bytes.length > MAX_DELIVERY_BYTES) throw new RecordTooLargeError(`delivery is ${bytes.length} bytes, the limit is ${MAX_DELIVERY_BYTES}`)
  return bytes
}

/**
 * Splits a delivery payload into the sealed key and the receipt bytes (both still to be checked
 * by {@link acceptDelivery}). Size before decoding; throws `RecordTooLargeError` or
 * `MalformedRecordError`.
 */
export function decodeDelivery (bytes: Uint8Array): { sealedKey: Uint8Array, receipt: Uint8Array } {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('delivery must be a Uint8Array')
  if (bytes.length > MAX_DELIVERY_BYTES) throw new RecordTooLargeError(`delivery is ${bytes.length} bytes, the limit is ${MAX_DELIVERY_BYTES}`)
  let value: unknown
  try {
    value = dagCbor.decode(bytes)
  } catch (err) {
    throw new MalformedRecordError('delivery is not valid dag-cbor', { cause: err })
  }
  const v = value as { key?: unknown, receipt?: unknown } | null
  if (v == null || typeof v !== 'object' || Object.keys(v).sort().join(',') !== 'key,receipt' ||
    !(v.key instanceof Uint8Array) || !(v.receipt instanceof Uint8Array)) {
    throw new MalformedRecordError('delivery must be { key: bytes, receipt: bytes }')
  }
  return { sealedKey: v.key, receipt: v.receipt }
}

/** What {@link prepareDelivery} needs. */
export interface PrepareDeliveryParameters {
  listing: Listing
  contentKey: Uint8Array
  /** The buyer's hotkey, as named in the escrow. */
  buyer: Uint8Array
  /** The escrow reference on the ledger. */
  escrow: string
  /** Rao held in escrow. */
  amount: bigint
  /** The seller's hotkey secret seed. */
  sellerSecret: Uint8Array
  /** The seller's receipt book: one receipt per escrow. */
  book: ReceiptBook
  /** @default Date.now() */
  issued?: number
}

/**
 * Seller side: checks the listing is paid and ours and the key matches its commitment (Policy:
 * never deliver a key the buyer would refuse, since the escrow would then refund), issues the
 * receipt, records it (throws `ReceiptReplayError` if this escrow already has one), and seals the
 * key to the buyer.
 */
export async function prepareDelivery (params: PrepareDeliveryParameters, options?: AbortOptions): Promise<Delivery> {
  const { listing, contentKey, buyer, escrow, amount, sellerSecret, book } = params
  const commitment = listing.record.keyCommitment
  if (listing.record.access !== 'paid' || commitment == null) throw new InvalidListingError('only paid listings are delivered')
  checkContentKey(contentKey, commitment)
  const receipt = createReceipt({ listing, buyer, escrow, amount, issued: params.issued }, sellerSecret)
  verifyReceipt(receipt.bytes, { listing, buyer }) // the amount covers the price
  await book.add(receipt, options)
  return { sealedKey: sealContentKey({ contentKey, recipient: buyer, listingId: listing.id }), receipt }
}

/** What {@link acceptDelivery} needs. */
export interface AcceptDeliveryParameters {
  listing: Listing
  sealedKey: Uint8Array
  /** The receipt bytes from the delivery. */
  receipt: Uint8Array
  /** The buyer's hotkey secret seed. */
  buyerSecret: Uint8Array
  /** The buyer's receipt book. */
  book: ReceiptBook
}

/**
 * Buyer side: verifies the receipt (this listing, its publisher, this buyer, the full price),
 * opens the sealed key and checks it against the listing's commitment, then records the receipt.
 * Throws `InvalidReceiptError`, `SealedKeyError` or `KeyCommitmentMismatchError` and records
 * nothing when any check fails, so the escrow's timeout still refunds the buyer.
 */
export async function acceptDelivery (params: AcceptDeliveryParameters, options?: AbortOptions): Promise<{ contentKey: Uint8Array, receipt: Receipt }> {
  const { listing, buyerSecret, book } = params
  const commitment = listing.record.keyCommitment
  if (listing.record.access !== 'paid' || commitment == null) throw new InvalidListingError('only paid listings are delivered')
  const receipt = verifyReceipt(params.receipt, { listing, buyer: publicKeyOf(buyerSecret) })
  const contentKey = openSealedKey({ sealed: params.sealedKey, recipientSecret: buyerSecret, listingId: listing.id, commitment })
  await book.add(receipt, options)
  return { contentKey, receipt }
}

/** What {@link reissueKey} needs. */
export interface ReissueKeyParameters {
  /** The buyer's signed reissue request. */
  request: Uint8Array
  /** The receipt it rests on (issued by us). */
  receipt: Uint8Array
  listing: Listing
  contentKey: Uint8Array
  sellerSecret: Uint8Array
  /** The seller's receipt book, which remembers used requests. */
  book: ReceiptBook
  /** @default Date.now() */
  now?: number
}

/**
 * Seller side of a re-download: checks the buyer's request and our receipt for this listing,
 * accepts the request once (`ReceiptReplayError` on replay), and seals the key to the buyer
 * again. The buyer pays nothing: the receipt is the proof of the earlier purchase.
 */
export async function reissueKey (params: ReissueKeyParameters, options?: AbortOptions): Promise<Uint8Array> {
  const { listing, contentKey, book } = params
  const seller = publicKeyOf(params.sellerSecret)
  const { request, receipt } = verifyReissueRequest(params.request, params.receipt, { seller, now: params.now })
  if (!receipt.record.listing.equals(listing.id)) throw new InvalidReceiptError('receipt is for another listing')
  const commitment = listing.record.keyCommitment
  if (commitment == null) throw new InvalidListingError('only paid listings are delivered')
  checkContentKey(contentKey, commitment)
  await book.useReissueRequest(request, options)
  return sealContentKey({ contentKey, recipient: request.buyer, listingId: listing.id })
}
