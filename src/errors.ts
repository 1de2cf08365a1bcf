/**
 * Shared named errors. Callers tell errors apart by `err.name`, never by `instanceof` or by
 * string codes. Each folder keeps its own `errors.ts` for the errors only it raises.
 */

/** A public function was called with arguments of the wrong type, size or range. */
export class InvalidParametersError extends Error {
  static override name = 'InvalidParametersError'
  override name = 'InvalidParametersError'
}

/** An operation did not finish within its time limit. */
export class TimeoutError extends Error {
  static override name = 'TimeoutError'
  override name = 'TimeoutError'
}

/** A component was used before `start()` or after `stop()`. */
export class NotStartedError extends Error {
  static override name = 'NotStartedError'
  override name = 'NotStartedError'
}

/** Something that was asked for does not exist. */
export class NotFoundError extends Error {
  static override name = 'NotFoundError'
  override name = 'NotFoundError'
}
