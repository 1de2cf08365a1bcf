/**
 * The buyer's last step: decrypt the fetched ciphertext of each file of a paid listing and write
 * the plaintext, checked against the listing's SHA-256, atomically (exclusive temp file, fsync,
 * rename, directory fsync), never outside the chosen output.
 */
import { createHash } from 'node:crypto'
import { constants } from 'node:fs'
import { open } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { assertReplaceable, entryKind, makeDir, NameSet, outputRoot, syncDirs, writeFileFromChunks } from '../store/index.ts'
import { decryptStream } from './chunk-cipher.ts'
import { CiphertextFormatError, ContentIntegrityError, DecryptionError } from './errors.ts'
import type { Listing } from './listing.ts'
import type { ContentStore, Lent } from '../store/index.ts'
import type { AbortOptions } from '@libp2p/interface'

/** One file written. */
export interface WrittenFile { path: string, size: number, sha256: string }

/** Options for {@link decryptListing}. */
export interface DecryptOptions extends AbortOptions {
  /** Replace existing files whose content differs from the listing's. @default false */
  force?: boolean
  /** `out` is a directory to write every file into, even for a one-file listing. @default false */
  intoDirectory?: boolean
}

/**
 * The path segments of each file of `listing`. Throws `UnsafePathError` for a segment that is
 * not one safe name, and for a name given twice in one directory (a file and a directory, or
 * names equal under the platform's case folding).
 *
 * Policy: file paths are the seller's; the listing schema refuses `..` and empty segments, and
 * this checks them again with the rules every written name follows.
 */
export function listingSegments (listing: Listing): string[][] {
  const dirs = new Map<string, NameSet>([['', new NameSet()]])
  return listing.record.files.map(f => {
    const parts = f.path.split('/')
    for (let i = 0; i < parts.length; i++) {
      const parent = parts.slice(0, i).join('/')
      const here = parts.slice(0, i + 1).join('/')
      if (i < parts.length - 1 && dirs.has(here)) continue // a directory named by an earlier path
      dirs.get(parent)?.add(parts[i])
      if (i < parts.length - 1) dirs.set(here, new NameSet())
    }
    return parts
  })
}

/**
 * Decrypts every file of `listing` (its ciphertext must be in the node's store) with `key`: a
 * one-file listing to `out` itself, else (or with `intoDirectory`) each file under the directory
 * `out`. Throws `DecryptionError` for a chunk that does not authenticate (`CiphertextFormatError`
 * for a bad layout; both name the `file` index and `chunk`) and
 * `ContentIntegrityError` when the plaintext hash differs from the listing; nothing is left at
 * the destination in either case. An existing file with the listed SHA-256 is kept; any other
 * existing entry is replaced only with `force` (`OutputExistsError`), and never followed.
 */
export async function decryptListing (node: { store: Pick<ContentStore, 'cat'> }, listing: Listing, key: Uint8Array, out: string, options: DecryptOptions = {}): Promise<WrittenFile[]> {
  const segments = listingSegments(listing)
  const root = await outputRoot(out)
  const single = segments.length === 1 && options.intoDirectory !== true
  const touched = new Set<string>()
  const made = new Set<string>()
  if (!single && await makeDir(root)) touched.add(dirname(root))
  const written: WrittenFile[] = []
  for (const [i, f] of listing.record.files.entries()) {
    const dest = single ? root : await fileBeneath(root, segments[i], made, touched)
    if (f.sha256 != null && await entryKind(dest) === 'file' && (await sha256Of(dest)).equals(f.sha256)) {
      written.push({ path: dest, size: f.size, sha256: Buffer.from(f.sha256).toString('hex') })
      continue
    }
    await assertReplaceable(dest, options.force === true)
    try {
      written.push(await decryptTo(dest, f, node.store.cat(f.cid, '', options), key, options))
    } catch (err) {
      // which file failed: a buyer's fraud report names it (fraud.ts)
      if (err instanceof DecryptionError || err instanceof CiphertextFormatError) err.file = i
      throw err
    }
    touched.add(dirname(dest))
  }
  await syncDirs(touched)
  return written
}

/** Make the directories of `parts` one level at a time under `root` (each once); returns the file's path. */
async function fileBeneath (root: string, parts: string[], made: Set<string>, touched: Set<string>): Promise<string> {
  let dir = root
  for (const p of parts.slice(0, -1)) {
    const next = join(dir, p)
    if (!made.has(next)) {
      if (await makeDir(next)) touched.add(dir)
      made.add(next)
    }
    dir = next
  }
  return join(dir, parts[parts.length - 1])
}

/**
 * Decrypt `ciphertext` to `dest` through the store's exclusive temp-file writer (fsync, rename):
 * the plaintext is checked against the listing as it ends, so a mismatch throws before the
 * rename and leaves nothing at `dest`.
 */
async function decryptTo (dest: string, f: Listing['record']['files'][number], ciphertext: AsyncIterable<Uint8Array>, key: Uint8Array, options: AbortOptions): Promise<WrittenFile> {
  const hash = createHash('sha256')
  let size = 0
  let digest: Buffer | undefined
  async function * checked (): AsyncGenerator<Lent> {
    for await (const piece of decryptStream(key, ciphertext)) {
      hash.update(piece)
      size += piece.length
      yield { bytes: piece, release: () => {} } // each decrypted chunk is a new buffer
    }
    digest = hash.digest()
    if (f.sha256 != null && !digest.equals(f.sha256)) throw new ContentIntegrityError(`${f.path}: the decrypted bytes do not have the listed sha256`)
    if (size !== f.size) throw new ContentIntegrityError(`${f.path}: decrypted ${size} bytes, the listing says ${f.size}`)
  }
  await writeFileFromChunks(dest, checked(), { signal: options.signal, syncDir: false })
  return { path: dest, size, sha256: (digest as Buffer).toString('hex') }
}

/** SHA-256 of the regular file at `file` (not followed if it is a symlink). */
async function sha256Of (file: string): Promise<Buffer> {
  const hash = createHash('sha256')
  const fh = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW)
  try {
    for await (const b of fh.createReadStream({ autoClose: false })) hash.update(b as Buffer)
  } finally {
    await fh.close()
  }
  return hash.digest()
}
