/**
 * Import files and directories with the standard UnixFS importer.
 */
import { lstat, readdir, readlink } from 'node:fs/promises'
import { basename, join, relative, sep } from 'node:path'
import { FsBlockstore } from 'blockstore-fs'
import { importer } from 'ipfs-unixfs-importer'
import { assertProfile } from '../config.ts'
import { InvalidParametersError } from '../errors.ts'
import { BlockFileWriter, namingOf } from './block-write.ts'
import { HashPool } from './hash-pool.ts'
import { BufferPool, chunkSizeFor, fileLeafRoom, leafOptionsFor, pipelinedBufferImporter, readAhead } from './pipeline.ts'
import type { ImportProfile } from '../config.ts'
import type { AbortOptions } from '@libp2p/interface'
import type { Blockstore } from 'interface-blockstore'
import type { ImportCandidate, ImporterOptions } from 'ipfs-unixfs-importer'
import type { CID } from 'multiformats/cid'

/** What `add` needs of a blockstore. */
export type WritableBlocks = Pick<Blockstore, 'put'>

/** Progress of an import: bytes read so far from the source files. */
export interface AddProgress {
  bytes: number
  /** Total bytes of the source (known for paths). */
  total?: number
}

/** Options for {@link addPath} and {@link addStream}. */
export interface AddOptions extends AbortOptions {
  /** CID profile. @default the repo's configured profile */
  profile: ImportProfile
  /** Called as bytes are read (throttle in the caller). */
  onProgress?: (p: AddProgress) => void
}

/** The result of an import. */
export interface AddResult {
  cid: CID
  /** Total bytes of file content imported. */
  size: number
  /** Name of the imported file or directory. */
  name: string
  /** Leaves hashed on worker threads (a large import into a repo on disk; 0 otherwise). */
  hashedOnWorkers: number
}

/**
 * Imports of at least this many bytes read into a shared, page-aligned region (written with
 * O_DIRECT) and hash their leaves on worker threads: starting a worker costs tens of ms, and each
 * region reserves address space until it is collected.
 */
const LARGE_IMPORT = 8 * 1024 * 1024

/** Bytes read ahead of the importer, per file. */
const READ_AHEAD_BYTES = 4 * 1024 * 1024

/**
 * Files are read in pieces of the profile's chunk size, so each read buffer is one leaf's
 * content (with room around it for a dag-pb leaf's bytes). The pool holds every buffer in use
 * at once: the leaves being written (32 MiB), hashed and read ahead.
 */
function poolFor (profile: ImportProfile, aligned: boolean): { pool: BufferPool, depth: number } {
  const chunk = chunkSizeFor(profile)
  const room = leafOptionsFor(profile).rawLeaves ? {} : fileLeafRoom(chunk)
  const depth = Math.max(4, READ_AHEAD_BYTES / chunk)
  return { pool: new BufferPool(chunk, Math.ceil((32 * 1024 * 1024 + 2 * READ_AHEAD_BYTES) / chunk) + 8, { aligned, ...room }), depth }
}

/**
 * Run the standard importer with the pipelined leaf stage (same blocks, same CIDs; see
 * pipeline.ts). Every leaf write has finished (or the import failed) when this returns.
 */
async function * runImporter (source: Parameters<typeof importer>[0], blocks: WritableBlocks, o: AddOptions, pool?: BufferPool, hashPool?: HashPool): AsyncGenerator<{ cid: CID, path?: string }> {
  assertProfile(o.profile)
  const leaves = pipelinedBufferImporter({ ...leafOptionsFor(o.profile), pool, hashPool })
  // A fresh importer options object each call: the importer writes into it.
  const options: ImporterOptions = {
    profile: o.profile,
    wrapWithDirectory: false,
    fileImportConcurrency: 4,
    bufferImporter: leaves.bufferImporter
  }
  // Policy: with blockstore-fs every block (leaves and parents) is written by a BlockFileWriter:
  // same files, same temp-and-rename crash consistency, fewer syscalls, O_DIRECT from pool buffers.
  const store = blocks instanceof FsBlockstore ? { put: new BlockFileWriter(namingOf(blocks), pool?.arena).put } : blocks
  try {
    yield * importer(source, store as Blockstore, options)
  } finally {
    // On failure too: no write may still be running when the caller moves on.
    await leaves.drain().catch(() => {})
  }
  await leaves.drain()
}

async function * counted (src: AsyncIterable<Buffer | Uint8Array>, tick: (n: number) => void, signal?: AbortSignal): AsyncGenerator<Uint8Array, void, undefined> {
  for await (const chunk of src) {
    signal?.throwIfAborted()
    tick(chunk.byteLength)
    yield chunk
  }
}

async function * walk (root: string, rel: string, tick: (n: number) => void, reader: { pool: BufferPool, depth: number }, signal?: AbortSignal): AsyncGenerator<ImportCandidate> {
  const full = join(root, rel)
  const st = await lstat(full)
  const path = rel.split(sep).join('/')
  if (st.isSymbolicLink()) {
    yield { path, link: await readlink(full) } as ImportCandidate
  } else if (st.isDirectory()) {
    const names = (await readdir(full)).sort()
    // Only empty directories are listed explicitly: the importer's tree builder replaces a
    // directory node (and drops its children) when the same directory path is given again.
    if (names.length === 0) yield { path }
    for (const n of names) yield * walk(root, join(rel, n), tick, reader, signal)
  } else if (st.isFile()) {
    yield { path, content: counted(readAhead(full, reader.pool, reader.depth, signal), tick, signal) }
  }
}

async function totalSize (p: string): Promise<number> {
  const st = await lstat(p)
  if (st.isFile()) return st.size
  if (!st.isDirectory()) return 0
  let n = 0
  for (const e of await readdir(p)) n += await totalSize(join(p, e))
  return n
}

/** Import a file or directory (recursively) from the local filesystem. */
export async function addPath (blocks: WritableBlocks, path: string, options: AddOptions): Promise<AddResult> {
  const st = await lstat(path).catch((err: Error) => { throw new InvalidParametersError(`cannot read ${path}: ${err.message}`, { cause: err }) })
  if (!st.isFile() && !st.isDirectory()) throw new InvalidParametersError(`${path} is neither a file nor a directory`)
  const total = await totalSize(path)
  let bytes = 0
  const tick = (n: number): void => { bytes += n; options.onProgress?.({ bytes, total }) }
  const name = basename(path)
  const parent = join(path, '..')
  let last: { cid: CID, path?: string } | undefined
  // Policy: leaf buffers are reused only with blockstore-fs, whose put has written the bytes to
  // their file when it resolves and keeps no reference (a memory store keeps the buffer itself).
  // For a large import they are slots of a shared, page-aligned region: written with O_DIRECT
  // and hashed by a worker.
  assertProfile(options.profile)
  const fs = blocks instanceof FsBlockstore
  const reader = poolFor(options.profile, fs && total >= LARGE_IMPORT)
  const pool = reader.pool
  const hashPool = pool.arena != null ? new HashPool(pool.arena.memory) : undefined
  const source = walk(parent, relative(parent, path), tick, reader, options.signal)
  try {
    for await (const r of runImporter(source, blocks, options, fs ? pool : undefined, hashPool)) {
      if (r.path === name) last = r
    }
  } finally {
    await hashPool?.close()
  }
  if (last == null) throw new InvalidParametersError(`nothing imported from ${path}`)
  return { cid: last.cid, size: bytes, name, hashedOnWorkers: hashPool?.offloaded ?? 0 }
}

/**
 * Import a byte stream as one file (no name). Into a repo on disk, a stream that goes on past
 * {@link LARGE_IMPORT} bytes is copied into the pool's shared, page-aligned buffers as it comes
 * (leaf by leaf), so that, as with {@link addPath}, its leaves are hashed on a worker and written
 * with O_DIRECT; a shorter one (known once the first bytes are in) is imported as it comes.
 */
export async function addStream (blocks: WritableBlocks, source: AsyncIterable<Uint8Array>, options: AddOptions): Promise<AddResult> {
  assertProfile(options.profile)
  let bytes = 0
  const tick = (n: number): void => { bytes += n; options.onProgress?.({ bytes }) }
  const input = counted(source, tick, options.signal)
  const fs = blocks instanceof FsBlockstore
  // Policy: the first LARGE_IMPORT bytes are held to decide (a memory store keeps every leaf
  // buffer it is given, so pool buffers are for blockstore-fs only, as in addPath)
  const head: Uint8Array[] = []
  let held = 0
  let ended = !fs
  while (!ended && held < LARGE_IMPORT) {
    const r = await input.next()
    if (r.done === true) ended = true
    else { head.push(r.value); held += r.value.byteLength }
  }
  const whole = (async function * (): AsyncGenerator<Uint8Array> {
    yield * head
    head.length = 0
    yield * input
  })()
  const pool = fs && !ended ? poolFor(options.profile, true).pool : undefined
  const hashPool = pool?.arena != null ? new HashPool(pool.arena.memory) : undefined
  let root: CID | undefined
  try {
    for await (const r of runImporter([{ content: pool == null ? whole : intoPool(whole, pool) }], blocks, options, pool, hashPool)) {
      root = r.cid
    }
  } finally {
    await hashPool?.close()
    // the source ends with the import, even one that failed before reading it to the end (not
    // awaited: a read still pending on a stalled source would hold the failure back)
    input.return(undefined).catch(() => {})
  }
  if (root == null) throw new InvalidParametersError('nothing imported')
  return { cid: root, size: bytes, name: '', hashedOnWorkers: hashPool?.offloaded ?? 0 }
}

/**
 * The bytes of `source` in pool buffers of `pool.size` (filled completely except the last), as
 * `readAhead` gives a file's: each is one leaf's content, in the pool's shared memory.
 */
async function * intoPool (source: AsyncIterable<Uint8Array>, pool: BufferPool): AsyncGenerator<Uint8Array> {
  // the buffer being filled, until it is handed on (then the importer's, given back after its write)
  let buf: Buffer | undefined = pool.take()
  let n = 0
  try {
    for await (const piece of source) {
      let at = 0
      while (at < piece.byteLength) {
        buf ??= pool.take()
        const k = Math.min(pool.size - n, piece.byteLength - at)
        buf.set(piece.subarray(at, at + k), n)
        n += k
        at += k
        if (n === pool.size) {
          const full = buf
          buf = undefined
          n = 0
          yield full
        }
      }
    }
    if (buf != null && n > 0) {
      const last = pool.shrink(buf, n)
      buf = undefined
      yield last
    }
  } finally {
    if (buf != null) pool.give(buf) // never handed on: back to the pool
  }
}
