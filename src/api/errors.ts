/**
 * HTTP-facing errors and the one table that maps an error's `name` to an HTTP status.
 */

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

/** Error name → HTTP status. Anything not listed is a 500. */
export const ERROR_STATUS: Readonly<Record<string, number>> = {
  UnauthorizedError: 401,
  RouteNotFoundError: 404,
  MethodNotAllowedError: 405,
  RangeNotSatisfiableError: 416,
  InvalidParametersError: 400,
  InvalidCidError: 400,
  UsageError: 400,
  WrongContentTypeError: 400,
  UnsupportedHashError: 400,
  UnsupportedCodecError: 400,
  PathNotFoundError: 404,
  BlockNotFoundError: 404,
  NotPinnedError: 404,
  NotFoundError: 404,
  NoProvidersError: 504,
  FetchStalledError: 504,
  TimeoutError: 504,
  AbortError: 499,
  NotStartedError: 503,
  NetworkNotStartedError: 503,
  RepoLockedError: 409
}

/** The HTTP status for an error: `extra` (a service's own errors) first, then the shared table. */
export function statusOf (err: unknown, extra?: Readonly<Record<string, number>>): number {
  const name = (err as Error | undefined)?.name ?? ''
  return extra?.[name] ?? ERROR_STATUS[name] ?? 500
}

/** The JSON body sent for an error. */
export function errorBody (err: unknown): { error: { name: string, message: string } } {
  const e = err instanceof Error ? err : new Error(String(err))
  return { error: { name: e.name, message: e.message } }
}
