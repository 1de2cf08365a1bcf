/**
 * @packageDocumentation
 *
 * The market, for a client of the library: verifying and reading listings and receipts, the
 * listing index and the shapes a catalogue client reads, decrypting paid goods, the purchase
 * hand-over, the named errors, and the node service with its key. Everything else (envelopes,
 * signing domains, chunk framing, gossip, catalogue wire code) is internal to the folder and
 * imported from its own file by the code that needs it.
 *
 * - listings: `createListing`, `verifyListing`, `decodeListing`, `encodeListing`, `updateListing`, `revokeListing`;
 * - DHT records: `listingKey`, `listingValidator`, `selectListingRecord`
 *   for `kadDHT({ validators: { [DHT_NAMESPACE]: … }, selectors: { [DHT_NAMESPACE]: … } })`;
 * - paid goods: `encryptStream` / `decryptStream` / `decryptRange`, `commitContentKey` / `checkContentKey`;
 * - purchases: `prepareDelivery` (seller) / `acceptDelivery` (buyer), `createReceipt` /
 *   `verifyReceipt`, reissue requests;
 * - discovery: `ListingIndex` (`listingIndex(init)(components)`);
 * - the node service: `marketService(init)`, registered under the key `MARKET` (`node.services.get(MARKET)`).
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

// Limits and the DHT namespace a verifier and a kad-dht configuration need.
export { DHT_NAMESPACE, MAX_LISTING_BYTES, MAX_RECEIPT_BYTES } from './constants.ts'

// The errors, told apart by `err.name`: record and signature checks, paid goods, purchases, the service.
export {
  AlreadyPurchasedError, CatalogueLimitError, CiphertextFormatError, ContentIntegrityError, ContentKeyMissingError, DecryptionError,
  DeliveryDisputedError, DeliveryTimeoutError, FraudCheckBusyError, FraudReportError, InvalidListingError, InvalidReceiptError, InvalidSignatureError, KeyCommitmentMismatchError,
  LedgerUnavailableError, ListingFraudError, ListingNotFoundError, MalformedRecordError, PublishError, PurchaseError, ReceiptReplayError,
  RecordExpiredError, RecordKeyMismatchError, RecordTooLargeError, SealedKeyError, StaleListingError, UnknownLicenseError
} from './errors.ts'

// Keys: the public key of a seed, and the signer interface createListing accepts.
export { publicKeyOf } from './keys.ts'
export type { Signer } from './keys.ts'

// Listings: create, verify, read, update and revoke, and the record's shape.
export { createListing, decodeListing, encodeListing, revokeListing, updateListing, verifyListing } from './listing.ts'
export type { CreateListingParameters, Listing, VerifyListingOptions } from './listing.ts'
export type { ListingAccess, ListingEncryption, ListingFile, ListingKind, ListingRecord, ListingState, PriceUnit } from './listing-schema.ts'

// Listing records in the DHT: the key, the validator and the selector.
export { listingKey, listingValidator, selectListingRecord } from './record.ts'
export type { ListingValidatorInit } from './record.ts'

// Paid goods: content keys, chunked encryption and decryption, a byte range of a ciphertext, the key commitment.
export { decryptBytes, decryptStream, encryptBytes, encryptedSize, encryptStream, generateContentKey } from './chunk-cipher.ts'
export type { CipherHeader, EncryptOptions } from './chunk-cipher.ts'
export { decryptRange, readHeader } from './chunk-range.ts'
export type { CiphertextReader } from './chunk-range.ts'
export { checkContentKey, commitContentKey } from '../seal.ts'

// Receipts: the price of a listing, create and verify a receipt, ask for and answer a key reissue.
export { amountDue, createReceipt, createReissueRequest, verifyReceipt, verifyReissueRequest } from './receipt.ts'
export type { CreateReceiptParameters, Receipt, ReceiptRecord, ReissueRecord, VerifyReceiptOptions } from './receipt.ts'

// Purchases: the seller prepares a delivery, the buyer accepts it; its wire form; a reissued key.
export { acceptDelivery, decodeDelivery, encodeDelivery, prepareDelivery, reissueKey } from './purchase.ts'
export type { AcceptDeliveryParameters, Delivery, PrepareDeliveryParameters, ReissueKeyParameters } from './purchase.ts'

// Discovery: the listing index, its search results, and the view of a listing a catalogue client reads.
export { ListingIndex, listingIndex } from './listing-index.ts'
export type { AddResult, ListingIndexComponents, ListingIndexInit, SearchHit, SearchOptions } from './listing-index.ts'
export type { ListingView } from './view.ts'

// The node service and the key it is registered under.
export { MARKET, marketService } from './service.ts'
export type { AnnounceResult, MarketComponents, MarketService, MarketServiceInit } from './service.ts'
export type { PublishParameters, PublishResult, PublisherComponents, UpdateParameters } from './publisher.ts'
export type { Purchase, Quote, Received, TradeComponents } from './trade.ts'

// Fraud reports: a listing whose committed key does not decrypt it, reported and verified.
export { checkFraudClaim, createFraudReport, decodeFraudReport } from './fraud.ts'
export type { FileRangeReader, FraudMarks, FraudRecord, FraudReport } from './fraud.ts'
export { listingView } from './view.ts'
export { decodeListingUnsafe } from './listing.ts'
