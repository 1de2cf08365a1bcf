/**
 * The buyer's last step: decrypt the fetched ciphertext of each file of a paid listing and write
 * the plaintext, checked against the listing's SHA-256, atomically (temp file, fsync, rename).
 */
import { createHash, randomBytes } from 'node:crypto'
import { mkdir, open, rename, unlink } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { decryptStream } from './chunk-cipher.ts'
import { ContentIntegrityError } from './errors.ts'
import type { Listing } from './listing.ts'
import type { AgoraNode } from '../node.ts'
import type { AbortOptions } from '@libp2p/interface'

/** One file written. */
export interface WrittenFile { path: string, size: number, sha256: string }

/**
 * Where each file of `listing` goes: a one-file listing to `out` itself, a larger one under the
 * directory `out` (paths are validated by the listing schema: relative, no `..`).
 */
export function outputPaths (listing: Listing, out: string): string[] {
  const files = listing.record.files
  return files.length === 1 ? [out] : files.map(f => join(out, ...f.path.split('/')))
}

/**
 * Decrypts every file of `listing` (its ciphertext must be in the node's store) with `key` to
 * `out`. Throws `DecryptionError` for a chunk that does not authenticate and
 * `ContentIntegrityError` when the plaintext hash differs from the listing; nothing is left at
 * the destination in either case.
 */
export async function decryptListing (node: AgoraNode, listing: Listing, key: Uint8Array, out: string, options: AbortOptions = {}): Promise<WrittenFile[]> {
  const dests = outputPaths(listing, out)
  const written: WrittenFile[] = []
  for (const [i, f] of listing.record.files.entries()) {
    const dest = dests[i]
    await mkdir(dirname(dest), { recursive: true })
    const tmp = `${dest}.agora-${randomBytes(6).toString('hex')}.tmp`
    const fh = await open(tmp, 'wx', 0o644)
    const hash = createHash('sha256')
    let size = 0
    try {
      for await (const piece of decryptStream(key, node.store.cat(f.cid, '', options))) {
        options.signal?.throwIfAborted()
        hash.update(piece)
        size += piece.length
        await fh.write(piece)
      }
      const digest = hash.digest()
      if (f.sha256 != null && !digest.equals(f.sha256)) throw new ContentIntegrityError(`${f.path}: the decrypted bytes do not have the listed sha256`)
      if (size !== f.size) throw new ContentIntegrityError(`${f.path}: decrypted ${size} bytes, the listing says ${f.size}`)
      await fh.sync()
      await fh.close()
      await rename(tmp, dest)
      written.push({ path: dest, size, sha256: digest.toString('hex') })
    } catch (err) {
      await fh.close().catch(() => {})
      await unlink(tmp).catch(() => {})
      throw err
    }
  }
  return written
}
