/**
 * @packageDocumentation
 *
 * The market's core, as pure functions and one stateful index (no network yet):
 *
 * - listings: `createListing`, `verifyListing`, `decodeListing`, `updateListing`, `revokeListing`;
 * - DHT records: `listingKey`, `validateListingRecord` / `listingValidator`, `selectListingRecord`
 *   for `kadDHT({ validators: { [DHT_NAMESPACE]: … }, selectors: { [DHT_NAMESPACE]: … } })`;
 * - envelopes: `seal` / `open` with domain separation, reusable by other record types;
 * - paid goods: `encryptStream` / `decryptStream` / `decryptRange`, `commitContentKey`,
 *   `sealContentKey` / `openSealedKey`;
 * - purchases: `prepareDelivery` (seller) / `acceptDelivery` (buyer), `createReceipt` /
 *   `verifyReceipt`, reissue requests, `ReceiptBook`;
 * - discovery: `ListingIndex` (`listingIndex(init)(components)`).
 *
 * @example
 * ```ts
 * const listing = createListing({ kind: 'model', name: 'tiny', license: 'MIT', root }, hotkeySeed)
 * const index = listingIndex()({ datastore })
 * await index.start()
 * await index.add(listing.bytes)
 * const hits = await index.search('tiny', { kind: 'model', signal: AbortSignal.timeout(1000) })
 * ```
 */
export {
  DEFAULT_CHUNK_SIZE, DHT_NAMESPACE, LISTING_DOMAIN, MAX_LISTING_BYTES, MAX_RECEIPT_BYTES, RECEIPT_DOMAIN, REISSUE_DOMAIN
} from './constants.ts'
export {
  AlreadyPurchasedError, CiphertextFormatError, DecryptionError, InvalidListingError, InvalidReceiptError, InvalidSignatureError,
  KeyCommitmentMismatchError, MalformedRecordError, ReceiptReplayError, RecordExpiredError, RecordKeyMismatchError,
  RecordTooLargeError, SealedKeyError, StaleListingError, UnknownLicenseError
} from './errors.ts'
export { open, seal, verifyEnvelope, decodeEnvelopeUnsafe, envelopeCid } from './envelope.ts'
export type { DecodedEnvelope, Opened, OpenOptions } from './envelope.ts'
export { peerIdOf, publicKeyOf, signerOf, verifyBytes } from './keys.ts'
export type { Signer } from './keys.ts'
export { isKnownLicense, normalizeLicense, UNSPECIFIED_LICENSE } from './licenses.ts'
export {
  assertCurrent, createListing, decodeListing, decodeListingUnsafe, encodeListing, revokeListing, updateListing, verifyListing
} from './listing.ts'
export type { CreateListingParameters, Listing, VerifyListingOptions } from './listing.ts'
export type { ListingAccess, ListingEncryption, ListingFile, ListingKind, ListingRecord, ListingState, PriceUnit } from './listing-schema.ts'
export { listingErrorVerdict, listingKey, listingKeyString, listingValidator, selectListingRecord, validateListingRecord, validateListingValue } from './record.ts'
export type { ListingValidatorInit } from './record.ts'
export {
  chunkCount, createHeader, decryptBytes, decryptChunk, decryptStream, encryptBytes, encryptChunk, encryptedSize, encryptStream,
  generateContentKey, parseHeader, HEADER_SIZE, TAG_SIZE
} from './chunk-cipher.ts'
export type { CipherHeader, EncryptOptions } from './chunk-cipher.ts'
export { ciphertextSpan, decryptRange, decryptRangeStream, readHeader } from './chunk-range.ts'
export type { CiphertextReader, CiphertextSpan } from './chunk-range.ts'
export { checkContentKey, commitContentKey, openSealedKey, sealContentKey, SEALED_KEY_SIZE } from './key-seal.ts'
export type { OpenSealedKeyParameters, SealContentKeyParameters } from './key-seal.ts'
export { amountDue, createReceipt, createReissueRequest, verifyReceipt, verifyReissueRequest, REISSUE_MAX_AGE_MS } from './receipt.ts'
export type { CreateReceiptParameters, Receipt, ReceiptRecord, ReissueRecord, VerifyReceiptOptions } from './receipt.ts'
export { ReceiptBook } from './receipt-book.ts'
export { acceptDelivery, decodeDelivery, encodeDelivery, prepareDelivery, reissueKey, MAX_DELIVERY_BYTES } from './purchase.ts'
export type { AcceptDeliveryParameters, Delivery, PrepareDeliveryParameters, ReissueKeyParameters } from './purchase.ts'
export { digestFile, encryptFile } from './encrypt-file.ts'
export type { EncryptFileOptions, FileDigest } from './encrypt-file.ts'
export type { ReceiptBookInit } from './receipt-book.ts'
export { ListingIndex, listingIndex } from './listing-index.ts'
export type { AddResult, ListingIndexComponents, ListingIndexInit, SearchHit, SearchOptions } from './listing-index.ts'
