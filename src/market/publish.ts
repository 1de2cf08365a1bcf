/**
 * The publisher's side of content: import a file or directory as it will be listed (plaintext for
 * open listings, chunk-encrypted ciphertext for paid ones), with the `files` entries a listing
 * needs, and the checks that let a listing be refused before anything is imported.
 */
import { randomBytes } from 'node:crypto'
import { lstat, mkdir, readdir, rm } from 'node:fs/promises'
import { basename, dirname, join, relative, sep } from 'node:path'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import { DEFAULT_CHUNK_SIZE, MAX_FILES } from './constants.ts'
import { digestFile, encryptFile } from './encrypt-file.ts'
import { PublishError } from './errors.ts'
import { createListing } from './listing.ts'
import type { CreateListingParameters } from './listing.ts'
import type { ListingEncryption, ListingFile } from './listing-schema.ts'
import type { ContentStore, Repo } from '../store/index.ts'
import type { AbortOptions } from '@libp2p/interface'

/** The encryption parameters of every paid listing we publish. */
export const PAID_ENCRYPTION: ListingEncryption = { alg: 'xchacha20poly1305-chunked/1', chunkSize: DEFAULT_CHUNK_SIZE }

/** What {@link importContent} produced. */
export interface ImportedContent {
  root: CID
  files: ListingFile[]
  /** Plaintext bytes of all files. */
  size: number
}

/**
 * Checks every field of a listing-to-be (schema, licence, sizes) with stand-in content
 * identifiers, so that a bad listing is refused before its content is imported. Throws the
 * listing's own errors (`InvalidListingError`, `UnknownLicenseError`, `RecordTooLargeError`).
 */
export async function checkListingParameters (params: Omit<CreateListingParameters, 'root'>, secret: Uint8Array): Promise<void> {
  const stand = CID.createV1(0x55, await sha256.digest(new Uint8Array()))
  const paid = (params.price ?? 0n) > 0n
  createListing({
    ...params,
    root: stand,
    card: params.card === undefined ? null : stand,
    files: params.files ?? [],
    keyCommitment: paid ? new Uint8Array(32) : null,
    encryption: paid ? PAID_ENCRYPTION : null
  }, secret)
}

/** The regular files under `path` (itself if it is a file), relative `/`-paths, sorted. */
export async function listFiles (path: string): Promise<Array<{ rel: string, abs: string }>> {
  const st = await lstat(path).catch((err: Error) => { throw new PublishError(`cannot read ${path}: ${err.message}`, { cause: err }) })
  if (st.isFile()) return [{ rel: basename(path), abs: path }]
  if (!st.isDirectory()) throw new PublishError(`${path} is neither a file nor a directory`)
  const out: Array<{ rel: string, abs: string }> = []
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const abs = join(dir, e.name)
      if (e.isDirectory()) await walk(abs)
      else if (e.isFile()) out.push({ rel: relative(path, abs).split(sep).join('/'), abs })
      else throw new PublishError(`${abs} is not a regular file or directory (links are not published)`)
      if (out.length > MAX_FILES) throw new PublishError(`${path} has more than ${MAX_FILES} files: pack them (e.g. tar) first`)
    }
  }
  await walk(path)
  if (out.length === 0) throw new PublishError(`${path} has no files`)
  return out.sort((a, b) => a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0)
}

/**
 * Imports `path` into the node's store (pinned; the caller provides the root, after announcing
 * the listing so that announcing does not wait for the DHT). Without `contentKey` the plaintext is
 * imported; with it, each file is encrypted into a staging directory inside the repo first and
 * only the ciphertext is imported (Policy: plaintext of paid goods never enters the blockstore,
 * which serves any peer). Each `files` entry carries the plaintext size and sha256 and the CID of
 * what is published.
 */
export async function importContent (node: { repo: Pick<Repo, 'path'>, store: Pick<ContentStore, 'add' | 'stat'> }, path: string, contentKey: Uint8Array | undefined, options: AbortOptions = {}): Promise<ImportedContent> {
  const files = await listFiles(path)
  const isDir = files.length !== 1 || files[0].abs !== path
  const digests: Array<{ size: number, sha256: Uint8Array }> = []
  let source = path
  let staging: string | undefined
  try {
    if (contentKey != null) {
      staging = join(node.repo.path, 'market-staging', randomBytes(8).toString('hex'))
      source = join(staging, basename(path))
      for (const f of files) {
        const dst = isDir ? join(source, ...f.rel.split('/')) : source
        await mkdir(dirname(dst), { recursive: true })
        const d = await encryptFile(f.abs, dst, contentKey, { chunkSize: PAID_ENCRYPTION.chunkSize, signal: options.signal })
        digests.push({ size: d.size, sha256: d.sha256 })
      }
    } else {
      for (const f of files) digests.push(await digestFile(f.abs, options))
    }
    const added = await node.store.add(source, { signal: options.signal })
    const listed: ListingFile[] = []
    for (const [i, f] of files.entries()) {
      const cid = isDir ? (await node.store.stat(added.cid, f.rel, options)).cid : added.cid
      listed.push({ path: f.rel, size: digests[i].size, cid, sha256: digests[i].sha256 })
    }
    return { root: added.cid, files: listed, size: digests.reduce((a, d) => a + d.size, 0) }
  } finally {
    if (staging != null) await rm(staging, { recursive: true, force: true })
  }
}
