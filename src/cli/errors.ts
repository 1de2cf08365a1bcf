/** The command line could not be parsed: unknown command or option, missing argument. */
export class UsageError extends Error {
  static override name = 'UsageError'
  override name = 'UsageError'
}
