/**
 * HTTP-facing errors and the one table that maps an error's `name` to an HTTP status: the
 * shared errors, then the ledger's, the market's and the incentives' (the domains know nothing
 * of HTTP).
 */
import { TX_ERROR_NAMES } from '../ledger/index.ts'

/** The request has no valid API token. */
export class UnauthorizedError extends Error {
  static override name = 'UnauthorizedError'
  override name = 'UnauthorizedError'
}

/** No route matches the request path. */
export class RouteNotFoundError extends Error {
  static override name = 'RouteNotFoundError'
  override name = 'RouteNotFoundError'
}

/** The route exists but not for this method. */
export class MethodNotAllowedError extends Error {
  static override name = 'MethodNotAllowedError'
  override name = 'MethodNotAllowedError'
}

/** A `Range` header cannot be satisfied. */
export class RangeNotSatisfiableError extends Error {
  static override name = 'RangeNotSatisfiableError'
  override name = 'RangeNotSatisfiableError'
}

/** A request path holds a malformed `%`-escape. */
export class MalformedPathError extends Error {
  static override name = 'MalformedPathError'
  override name = 'MalformedPathError'
}

/** The `Host` header is not a host name, or a `*.ipfs.localhost` label is not a CID. */
export class InvalidHostError extends Error {
  static override name = 'InvalidHostError'
  override name = 'InvalidHostError'
}

/**
 * The gateway would have to fetch from the network, and this request may not make it: it is
 * cross-site, or the gateway serves local content only (`gateway.localOnly`).
 */
export class NotHeldLocallyError extends Error {
  static override name = 'NotHeldLocallyError'
  override name = 'NotHeldLocallyError'
}

/** One gateway request fetched more bytes from the network than `gateway.maxFetchBytes`. */
export class FetchLimitExceededError extends Error {
  static override name = 'FetchLimitExceededError'
  override name = 'FetchLimitExceededError'
}

/** The daemon answered with an error (client side); `name` is the server-side error's name. */
export class ApiError extends Error {
  static override name = 'ApiError'
  override name = 'ApiError'
  readonly status: number

  constructor (name: string, message: string, status: number) {
    super(message)
    this.name = name
    this.status = status
  }
}

/** A request body larger than the route allows. */
export class BodyTooLargeError extends Error {
  static override name = 'BodyTooLargeError'
  override name = 'BodyTooLargeError'
}

/** Error name → HTTP status. Anything not listed is a 500. */
export const ERROR_STATUS: Readonly<Record<string, number>> = {
  UnauthorizedError: 401,
  RouteNotFoundError: 404,
  MethodNotAllowedError: 405,
  RangeNotSatisfiableError: 416,
  MalformedPathError: 400,
  InvalidHostError: 400,
  // Like the trustless gateway's `Cache-Control: only-if-cached` miss.
  NotHeldLocallyError: 412,
  FetchLimitExceededError: 403,
  InvalidParametersError: 400,
  InvalidCidError: 400,
  UsageError: 400,
  WrongContentTypeError: 400,
  UnsupportedHashError: 400,
  UnsupportedCodecError: 400,
  PathNotFoundError: 404,
  UnsafePathError: 400,
  OutputExistsError: 409,
  BlockNotFoundError: 404,
  NotPinnedError: 404,
  NotFoundError: 404,
  NoProvidersError: 504,
  FetchStalledError: 504,
  TimeoutError: 504,
  AbortError: 499,
  NotStartedError: 503,
  NetworkNotStartedError: 503,
  RepoLockedError: 409,
  BodyTooLargeError: 413,
  // the ledger (`/api/v0/chain/…`): every refused transaction is the client's, then these
  ...Object.fromEntries([...TX_ERROR_NAMES].map(n => [n, 400])),
  TxTimeoutError: 504,
  TxDroppedError: 409,
  TxRefusedError: 409,
  NotAuthorityError: 403,
  LedgerNotRunningError: 503,
  KeystoreError: 400,
  // the market (`/api/v0/market/…`)
  RecordTooLargeError: 413,
  MalformedRecordError: 400,
  InvalidSignatureError: 400,
  InvalidListingError: 400,
  UnknownLicenseError: 400,
  RecordExpiredError: 400,
  RecordKeyMismatchError: 400,
  StaleListingError: 409,
  ListingAdmissionError: 429,
  ListingNotFoundError: 404,
  PublishError: 400,
  ContentKeyMissingError: 409,
  KeyCommitmentMismatchError: 502,
  SealedKeyError: 502,
  InvalidReceiptError: 502,
  DecryptionError: 502,
  ContentIntegrityError: 502,
  ReceiptReplayError: 409,
  AlreadyPurchasedError: 409,
  CatalogueLimitError: 502,
  PurchaseError: 400,
  DeliveryTimeoutError: 504,
  DeliveryDisputedError: 502,
  // the seller's key does not open the listing (or a verified report says so): not the buyer's request
  ListingFraudError: 409,
  LedgerUnavailableError: 503,
  // the incentives (`/api/v0/incentives/…`)
  IncentivesSetupError: 400
}

/** The HTTP status for an error (by its `name`; 500 when the table does not list it). */
export function statusOf (err: unknown): number {
  return ERROR_STATUS[(err as Error | undefined)?.name ?? ''] ?? 500
}

/** The JSON body sent for an error. */
export function errorBody (err: unknown): { error: { name: string, message: string } } {
  const e = err instanceof Error ? err : new Error(String(err))
  return { error: { name: e.name, message: e.message } }
}
