/**
 * Named errors of the market. Callers tell them apart by `err.name`.
 */
export { KeyCommitmentMismatchError, SealedKeyError } from '../seal.ts'

/** An encoded record is larger than the limit; it was refused before decoding. */
export class RecordTooLargeError extends Error {
  static override name = 'RecordTooLargeError'
  override name = 'RecordTooLargeError'
}

/** Bytes that do not decode to a well-formed, canonical envelope or record. */
export class MalformedRecordError extends Error {
  static override name = 'MalformedRecordError'
  override name = 'MalformedRecordError'
}

/** A signature that does not verify under the claimed key and domain. */
export class InvalidSignatureError extends Error {
  static override name = 'InvalidSignatureError'
  override name = 'InvalidSignatureError'
}

/** A listing whose fields break the schema (name, licence, sizes, times, access…). */
export class InvalidListingError extends Error {
  static override name = 'InvalidListingError'
  override name = 'InvalidListingError'
}

/** A licence that is neither a known SPDX identifier nor `unspecified`. */
export class UnknownLicenseError extends Error {
  static override name = 'UnknownLicenseError'
  override name = 'UnknownLicenseError'
}

/** A record whose expiry time has passed (or whose creation lies in the future). */
export class RecordExpiredError extends Error {
  static override name = 'RecordExpiredError'
  override name = 'RecordExpiredError'
}

/** A DHT record stored under a key that does not belong to it. */
export class RecordKeyMismatchError extends Error {
  static override name = 'RecordKeyMismatchError'
  override name = 'RecordKeyMismatchError'
}

/** A listing older (lower sequence) than the version already known for the same item. */
export class StaleListingError extends Error {
  static override name = 'StaleListingError'
  override name = 'StaleListingError'
}

/** Where in a listing's ciphertext a decryption failed. */
export interface CipherPlace {
  /** The chunk (0 for the header). */
  chunk?: number
  /** The file's index in the listing (set by the listing decryptor). */
  file?: number
}

/** An error that says where in a listing's ciphertext it happened. */
abstract class CipherPlaceError extends Error {
  chunk?: number
  file?: number
  constructor (message: string, options: ErrorOptions & CipherPlace = {}) {
    super(message, options)
    this.chunk = options.chunk
    this.file = options.file
  }
}

/** Ciphertext whose header or layout is wrong (bad magic, sizes, missing or extra bytes). */
export class CiphertextFormatError extends CipherPlaceError {
  static override name = 'CiphertextFormatError'
  override name = 'CiphertextFormatError'
}

/** A chunk that fails authentication: wrong key, tampered, reordered, dropped or truncated. */
export class DecryptionError extends CipherPlaceError {
  static override name = 'DecryptionError'
  override name = 'DecryptionError'
}

/** A fraud report that is malformed, not about the listing it names, or false (its chunk decrypts). */
export class FraudReportError extends Error {
  static override name = 'FraudReportError'
  override name = 'FraudReportError'
}

/** A fraud report was not checked now: this peer is checking as many as it allows (it is ignored, not refused). */
export class FraudCheckBusyError extends Error {
  static override name = 'FraudCheckBusyError'
  override name = 'FraudCheckBusyError'
}

/**
 * The listing's committed key does not decrypt its content (the chain cannot judge this: the
 * key matched the commitment). A signed fraud report was published; or the listing was reported
 * before and is not bought.
 */
export class ListingFraudError extends Error {
  static override name = 'ListingFraudError'
  override name = 'ListingFraudError'
}

/** A receipt or reissue request that is malformed or does not match what it claims. */
export class InvalidReceiptError extends Error {
  static override name = 'InvalidReceiptError'
  override name = 'InvalidReceiptError'
}

/** A receipt, escrow reference or reissue request presented a second time. */
export class ReceiptReplayError extends Error {
  static override name = 'ReceiptReplayError'
  override name = 'ReceiptReplayError'
}

/** The buyer already holds a receipt for this listing: paying again is refused. */
export class AlreadyPurchasedError extends Error {
  static override name = 'AlreadyPurchasedError'
  override name = 'AlreadyPurchasedError'
}

/** No listing with this id (or item) is known to the local index. */
export class ListingNotFoundError extends Error {
  static override name = 'ListingNotFoundError'
  override name = 'ListingNotFoundError'
}

/** What was asked of a publisher's own listing cannot be done (not ours, wrong access change…). */
export class PublishError extends Error {
  static override name = 'PublishError'
  override name = 'PublishError'
}

/** The content key of a paid listing we publish is missing from our key store. */
export class ContentKeyMissingError extends Error {
  static override name = 'ContentKeyMissingError'
  override name = 'ContentKeyMissingError'
}

/** A listing refused by admission control: a peer's or publisher's budget or rate is used up, or the index is full of listings that outrank it. */
export class ListingAdmissionError extends Error {
  static override name = 'ListingAdmissionError'
  override name = 'ListingAdmissionError'
}

/** The catalogue protocol received more than the limits allow, or a malformed frame. */
export class CatalogueLimitError extends Error {
  static override name = 'CatalogueLimitError'
  override name = 'CatalogueLimitError'
}

/** The seller's delivery did not open to the committed key: the buyer's daemon disputed it and the chain refunds. */
export class DeliveryDisputedError extends Error {
  static override name = 'DeliveryDisputedError'
  override name = 'DeliveryDisputedError'
}

/** A purchase cannot go on (no chain, not paid, refunded, not bought yet…). */
export class PurchaseError extends Error {
  static override name = 'PurchaseError'
  override name = 'PurchaseError'
}

/** The seller did not deliver before the escrow's deadline: the buyer can take a refund. */
export class DeliveryTimeoutError extends Error {
  static override name = 'DeliveryTimeoutError'
  override name = 'DeliveryTimeoutError'
}

/** The daemon runs no ledger, which purchases need. */
export class LedgerUnavailableError extends Error {
  static override name = 'LedgerUnavailableError'
  override name = 'LedgerUnavailableError'
}

/** Decrypted content whose SHA-256 differs from the listing's. */
export class ContentIntegrityError extends Error {
  static override name = 'ContentIntegrityError'
  override name = 'ContentIntegrityError'
}
