/**
 * Errors raised by the repo and the content store. Compared by `.name`.
 */

/** There is no initialised repo at the given path. */
export class RepoNotInitializedError extends Error {
  static override name = 'RepoNotInitializedError'
  override name = 'RepoNotInitializedError'
}

/** The repo on disk has a version this program does not understand. */
export class RepoVersionError extends Error {
  static override name = 'RepoVersionError'
  override name = 'RepoVersionError'
}

/** The repo is held by another process (usually a running daemon). */
export class RepoLockedError extends Error {
  static override name = 'RepoLockedError'
  override name = 'RepoLockedError'
}

/** A string is not a valid CID. */
export class InvalidCidError extends Error {
  static override name = 'InvalidCidError'
  override name = 'InvalidCidError'
}

/** A path inside a DAG does not exist, or is malformed. */
export class PathNotFoundError extends Error {
  static override name = 'PathNotFoundError'
  override name = 'PathNotFoundError'
}

/** A block is not in the local blockstore (and the operation may not fetch it). */
export class BlockNotFoundError extends Error {
  static override name = 'BlockNotFoundError'
  override name = 'BlockNotFoundError'
}

/** A block's bytes do not hash to its CID. */
export class CorruptBlockError extends Error {
  static override name = 'CorruptBlockError'
  override name = 'CorruptBlockError'
}

/** The content is not something the command can handle (e.g. `cat` of a directory). */
export class WrongContentTypeError extends Error {
  static override name = 'WrongContentTypeError'
  override name = 'WrongContentTypeError'
}

/** The CID is not pinned (`pin rm`). */
export class NotPinnedError extends Error {
  static override name = 'NotPinnedError'
  override name = 'NotPinnedError'
}

/** A DAG is not a well-formed UnixFS file: sizes that disagree, a missing UnixFS header, a codec a file cannot hold, an oversized block. */
export class InvalidDagError extends Error {
  static override name = 'InvalidDagError'
  override name = 'InvalidDagError'
}

/**
 * A name or path from untrusted content (a DAG, a listing) would write somewhere other than
 * beneath the chosen output: an empty, `.`, `..` or `/`-holding name, a duplicate in one
 * directory, or a symlink in the way. The offending name is JSON-quoted in the message.
 */
export class UnsafePathError extends Error {
  static override name = 'UnsafePathError'
  override name = 'UnsafePathError'
}

/** Something already exists where the output goes, and replacing it was not asked for (`--force`). */
export class OutputExistsError extends Error {
  static override name = 'OutputExistsError'
  override name = 'OutputExistsError'
}
