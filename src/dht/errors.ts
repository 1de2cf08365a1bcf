/**
 * Named errors of the network layer. Callers tell them apart by `err.name`.
 */

/** No provider delivered a block within the fetch timeout. */
export class NoProvidersError extends Error {
  static override name = 'NoProvidersError'
  override name = 'NoProvidersError'
}

/** Providers were found and answered at first, then no block arrived within the fetch timeout. */
export class FetchStalledError extends Error {
  static override name = 'FetchStalledError'
  override name = 'FetchStalledError'
}

/** A block's bytes do not hash to the digest in its CID. */
export class BlockVerificationError extends Error {
  static override name = 'BlockVerificationError'
  override name = 'BlockVerificationError'
}

/** A CID uses a hash function we cannot verify, so its block is never accepted. */
export class UnsupportedHashError extends Error {
  static override name = 'UnsupportedHashError'
  override name = 'UnsupportedHashError'
}

/** A CID uses a codec whose links we cannot read, so its DAG cannot be walked. */
export class UnsupportedCodecError extends Error {
  static override name = 'UnsupportedCodecError'
  override name = 'UnsupportedCodecError'
}

/** A peer announced a message larger than the limit; it was refused before being read. */
export class MessageTooLargeError extends Error {
  static override name = 'MessageTooLargeError'
  override name = 'MessageTooLargeError'
}

/** A peer sent a message that does not follow the protocol. */
export class MalformedMessageError extends Error {
  static override name = 'MalformedMessageError'
  override name = 'MalformedMessageError'
}

/** A stream ended in the middle of a message or before every requested block was answered. */
export class TruncatedStreamError extends Error {
  static override name = 'TruncatedStreamError'
  override name = 'TruncatedStreamError'
}

/** A peer did not answer within the per-message timeout. */
export class StreamStalledError extends Error {
  static override name = 'StreamStalledError'
  override name = 'StreamStalledError'
}

/** The network was used before `start()` or after `stop()`. */
export class NetworkNotStartedError extends Error {
  static override name = 'NetworkNotStartedError'
  override name = 'NetworkNotStartedError'
}

/** A provider lacks every block still wanted, so it gives its slot to another provider. */
export class ProviderLacksBlocksError extends Error {
  static override name = 'ProviderLacksBlocksError'
  override name = 'ProviderLacksBlocksError'
}

/** A fetched block lists more links than the fetch allows (config `fetch.maxLinksPerBlock`). */
export class TooManyLinksError extends Error {
  static override name = 'TooManyLinksError'
  override name = 'TooManyLinksError'
}

/** A fetch discovered more blocks under its root than it allows (config `fetch.maxBlocks`). */
export class FetchTooLargeError extends Error {
  static override name = 'FetchTooLargeError'
  override name = 'FetchTooLargeError'
}

/** An identity CID carries a digest longer than the limit (128 bytes): a block hidden in a link. */
export class IdentityTooLargeError extends Error {
  static override name = 'IdentityTooLargeError'
  override name = 'IdentityTooLargeError'
}

/** A verified block (its bytes match its CID) does not decode as its codec says: nothing can be read from it. */
export class MalformedBlockError extends Error {
  static override name = 'MalformedBlockError'
  override name = 'MalformedBlockError'
}
