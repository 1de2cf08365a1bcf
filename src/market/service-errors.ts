/** HTTP statuses of the market's errors, for the daemon's API. */
export const MARKET_ERROR_STATUS: Readonly<Record<string, number>> = {
  RecordTooLargeError: 413,
  MalformedRecordError: 400,
  InvalidSignatureError: 400,
  InvalidListingError: 400,
  UnknownLicenseError: 400,
  RecordExpiredError: 400,
  RecordKeyMismatchError: 400,
  StaleListingError: 409,
  ListingNotFoundError: 404,
  PublishError: 400,
  ContentKeyMissingError: 409,
  KeyCommitmentMismatchError: 502,
  SealedKeyError: 502,
  InvalidReceiptError: 502,
  DecryptionError: 502,
  ReceiptReplayError: 409,
  AlreadyPurchasedError: 409,
  CatalogueLimitError: 502,
  PurchaseError: 400,
  DeliveryTimeoutError: 504,
  LedgerUnavailableError: 503
}
