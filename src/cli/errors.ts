/** No wallet to use: none in the keystore, or none by the name given. */
export class WalletNotFoundError extends Error {
  static override name = 'WalletNotFoundError'
  override name = 'WalletNotFoundError'
}

/** The command line could not be parsed: unknown command or option, missing argument. */
export class UsageError extends Error {
  static override name = 'UsageError'
  override name = 'UsageError'
}
