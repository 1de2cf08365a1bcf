/**
 * The file half of publishing paid goods: encrypt a file to a ciphertext file in bounded memory
 * while hashing the plaintext, written atomically (temporary file, fsync, rename) so a crash
 * never leaves a partial ciphertext under the final name.
 */
import { createHash, randomBytes } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { open, rename, rm, stat } from 'node:fs/promises'
import type { AbortOptions } from '@libp2p/interface'
import { encryptStream, encryptedSize } from './chunk-cipher.ts'

/** Options of {@link encryptFile}. */
export interface EncryptFileOptions extends AbortOptions {
  /** Plaintext bytes per chunk. @default DEFAULT_CHUNK_SIZE (64 KiB) */
  chunkSize?: number
}

/** What {@link encryptFile} and {@link digestFile} report. */
export interface FileDigest {
  /** Plaintext size in bytes (the listing's `files[].size`). */
  size: number
  /** SHA-256 of the plaintext (the listing's `files[].sha256`). */
  sha256: Uint8Array
}

/**
 * Encrypts `source` into `destination` with `key` and returns the plaintext's size and SHA-256
 * plus the ciphertext size. Throws `InvalidParametersError` if the file changes size while it is
 * read; the destination is then left untouched.
 */
export async function encryptFile (source: string, destination: string, key: Uint8Array, options: EncryptFileOptions = {}): Promise<FileDigest & { encryptedSize: number }> {
  options.signal?.throwIfAborted()
  const { size } = await stat(source)
  const hash = createHash('sha256')
  const tmp = `${destination}.tmp-${randomBytes(6).toString('hex')}`
  const out = await open(tmp, 'wx')
  const input = createReadStream(source)
  try {
    const plain = hashing(input, hash)
    for await (const piece of encryptStream(key, plain, { plaintextLength: size, chunkSize: options.chunkSize })) {
      options.signal?.throwIfAborted()
      await out.write(piece)
    }
    await out.sync()
    await out.close()
    await rename(tmp, destination)
  } catch (err) {
    await out.close().catch(() => {})
    await rm(tmp, { force: true })
    throw err
  } finally {
    input.destroy()
  }
  return { size, sha256: new Uint8Array(hash.digest()), encryptedSize: encryptedSize(size, options.chunkSize) }
}

/** Size and SHA-256 of a file, streamed (for the `files` entries of open listings). */
export async function digestFile (path: string, options: AbortOptions = {}): Promise<FileDigest> {
  const hash = createHash('sha256')
  let size = 0
  const input = createReadStream(path)
  try {
    for await (const piece of hashing(input, hash)) {
      options.signal?.throwIfAborted()
      size += piece.length
    }
  } finally {
    input.destroy()
  }
  return { size, sha256: new Uint8Array(hash.digest()) }
}

async function * hashing (source: AsyncIterable<Uint8Array>, hash: ReturnType<typeof createHash>): AsyncGenerator<Uint8Array> {
  for await (const piece of source) {
    hash.update(piece)
    yield piece
  }
}
