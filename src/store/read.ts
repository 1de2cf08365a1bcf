/**
 * Local read paths over any block reader: resolve a CID path, stream a file, list a directory,
 * write a file or directory tree to disk. The exporter resolves paths and walks directories,
 * HAMT shards and symlinks; the bytes of files come from the file reader (`file-reader.ts`):
 * verified blocks in reused buffers, a bounded number of them at a time.
 */
import { readlink, symlink, unlink } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import * as dagPb from '@ipld/dag-pb'
import { exporter } from 'ipfs-unixfs-exporter'
import { owned } from './block-read.ts'
import { PathNotFoundError, WrongContentTypeError } from './errors.ts'
import { readFile } from './file-reader.ts'
import { assertReplaceable, entryKind, makeDir, NameSet, outputRoot, syncDirs } from './safe-out.ts'
import { removeStalePartials, sameBytes, writeFileFromChunks } from './write-out.ts'
import { asDagError, guardedReader } from './unixfs-guard.ts'
import { getBlock } from './dag.ts'
import type { BlockSource, Lent } from './block-read.ts'
import type { BlockReader } from './dag.ts'
import type { AbortOptions } from '@libp2p/interface'
import type { UnixFSDirectory, UnixFSDirectoryEntry, UnixFSEntry } from 'ipfs-unixfs-exporter'
import type { CID } from 'multiformats/cid'

/** One entry of a directory listing. */
export interface LsEntry {
  name: string
  cid: CID
  /** File size in bytes (0 for directories). */
  size: number
  type: 'file' | 'directory' | 'raw' | 'symlink' | 'object' | 'identity'
}

/** Resolve `cid` + `path` to an exporter entry; maps exporter errors to named store errors. */
export async function resolveEntry (blocks: BlockReader, cid: CID, path: string, options?: AbortOptions): Promise<UnixFSEntry> {
  if (path.split('/').some(s => s === '..' || s === '.')) throw new PathNotFoundError(`invalid path segment in ${path}`)
  try {
    return await exporter(path === '' ? cid : `${cid.toString()}/${path}`, guardedReader(blocks), options)
  } catch (err) {
    const name = (err as Error).name
    if (name === 'BlockNotFoundError') throw err
    if (name === 'NotFoundError' || name === 'BadPathError' || (err as { code?: string }).code === 'ERR_NOT_FOUND') {
      throw new PathNotFoundError(`no such path: ${cid.toString()}${path !== '' ? '/' + path : ''}`, { cause: err })
    }
    throw asDagError(err, cid)
  }
}

function entryType (e: UnixFSEntry): LsEntry['type'] {
  if (e.type === 'file' || e.type === 'directory') {
    return e.unixfs.type === 'symlink' ? 'symlink' : e.type === 'file' ? 'file' : 'directory'
  }
  return e.type
}

/** The byte size of an entry's content. */
export function entrySize (e: UnixFSEntry): number {
  if (e.type === 'file') return Number(e.unixfs.fileSize())
  if (e.type === 'raw' || e.type === 'identity') return e.node.byteLength
  return 0
}

/**
 * Total bytes of every block in the entry's DAG, from the link sizes in its root (Kubo's
 * CumulativeSize): what a fetch of the whole DAG transfers.
 */
export function dagSize (e: UnixFSEntry): number {
  if (e.type === 'raw' || e.type === 'identity') return e.node.byteLength
  if (e.type === 'file' || e.type === 'directory') {
    const links = e.node.Links.reduce((n, l) => n + (l.Tsize ?? 0), 0)
    // dag-pb encoding is canonical, so re-encoding gives the root block's exact size.
    return links + dagPb.encode(e.node).byteLength
  }
  return 0
}

/** Options for {@link cat}. */
export interface CatOptions extends AbortOptions {
  offset?: number
  length?: number
}

/** Options for {@link readChunks}. */
export interface ReadChunksOptions extends CatOptions {
  /** Where file blocks are read from. @default the reader that resolves the path */
  source?: BlockSource
  /** Lend reused buffers (release each chunk) or give chunks the caller keeps. @default true */
  reuseBuffers?: boolean
}

const RAW = 0x55

/** Whether the file reader handles this entry's bytes (UnixFS file, raw or identity block). */
function isPlainFile (e: UnixFSEntry): boolean {
  return e.type === 'raw' || e.type === 'identity' || (e.type === 'file' && (e.unixfs.type === 'file' || e.unixfs.type === 'raw'))
}

/** The bytes of a resolved entry: the file reader for plain files, the exporter for the rest (a symlink's target). */
async function * entryChunks (blocks: BlockReader, e: UnixFSEntry, options: ReadChunksOptions): AsyncGenerator<Lent> {
  if (isPlainFile(e)) {
    yield * readFile(options.source ?? blocks, e.cid, options)
    return
  }
  if (e.type === 'directory' || e.type === 'object') throw new WrongContentTypeError(`${e.cid.toString()} is not a file`)
  for await (const b of e.content({ offset: options.offset, length: options.length, signal: options.signal })) yield owned(b)
}

/**
 * Stream the bytes of a file (or raw block) as lent chunks: release each once its bytes are
 * consumed. Throws `WrongContentTypeError` for a directory or dag-cbor data.
 */
export async function * readChunks (blocks: BlockReader, cid: CID, path: string, options: ReadChunksOptions = {}): AsyncGenerator<Lent> {
  // a raw block is a file by its CID alone: no need to read it twice
  if (path === '' && cid.code === RAW) {
    yield * readFile(options.source ?? blocks, cid, options)
    return
  }
  const e = await resolveEntry(blocks, cid, path, options)
  if (e.type === 'directory') throw new WrongContentTypeError(`${cid.toString()}${path !== '' ? '/' + path : ''} is a directory (use: agora ls / agora get)`)
  if (e.type === 'object') throw new WrongContentTypeError(`${cid.toString()} is not UnixFS file data`)
  yield * entryChunks(blocks, e, options)
}

/** Stream the bytes of a file (or raw block), each chunk the caller's to keep. Throws `WrongContentTypeError` for a directory. */
export async function * cat (blocks: BlockReader, cid: CID, path: string, options: CatOptions & { source?: BlockSource } = {}): AsyncGenerator<Uint8Array> {
  for await (const c of readChunks(blocks, cid, path, { ...options, reuseBuffers: false })) yield c.bytes
}

/** List a directory (or describe a single file). */
export async function * ls (reader: BlockReader, cid: CID, path: string, options?: AbortOptions): AsyncGenerator<LsEntry> {
  const blocks = guardedReader(reader)
  const e = await resolveEntry(blocks, cid, path, options)
  if (e.type !== 'directory') {
    yield { name: e.name, cid: e.cid, size: entrySize(e), type: entryType(e) }
    return
  }
  try {
    for await (const child of e.entries({ signal: options?.signal })) {
      const full = await exporter(child.cid, blocks, options)
      yield { name: child.name, cid: child.cid, size: entrySize(full), type: entryType(full) }
    }
  } catch (err) {
    throw asDagError(err, cid)
  }
}

/** Progress of `get`: file bytes written (or found already in place) so far. */
export interface GetProgress { bytes: number }

/** Options for {@link getToPath}. */
export interface GetOptions extends AbortOptions {
  onProgress?: (p: GetProgress) => void
  /** Where file blocks are read from. @default the reader that resolves paths */
  source?: BlockSource
  /** Replace existing files and symlinks whose content differs. @default false */
  force?: boolean
}

/** The result of `get`: files counts those written and those already there with the same bytes. */
export interface GetResult { path: string, files: number, bytes: number }

/**
 * Write the file or directory tree at `cid`/`path` to `out` on disk.
 *
 * Policy: every name comes from the DAG (a stranger's). Each is one safe path component, once
 * per directory (`UnsafePathError`); directories are made one level at a time under a directory
 * made or checked before, never through a symlink; files are created exclusively beside their
 * name and renamed into place; symlinks (written as symlinks, as Kubo does) are made only after
 * every file and directory, so nothing is ever written beneath one. An existing file is kept
 * when it already holds the same bytes (a second `get` finishes an interrupted one) and is
 * otherwise only replaced with `force` (`OutputExistsError`).
 */
export async function getToPath (blocks: BlockReader, cid: CID, path: string, out: string, options: GetOptions = {}): Promise<GetResult> {
  const root = await outputRoot(out)
  const base = await resolveEntry(blocks, cid, path, options)
  const w = new TreeWriter(guardedReader(blocks), options)
  try {
    if (base.type === 'directory') await w.tree(base, root)
    // Policy: a dag-cbor (or other IPLD) node holds no UnixFS file: get writes the block
    // itself, as `ipfs block get` would, rather than "saving" nothing
    else if (base.type === 'object') await w.block(base.cid, root)
    else await w.leaf(base, root)
  } catch (err) {
    throw asDagError(err, cid)
  }
  await w.finish()
  return { path: root, files: w.files, bytes: w.bytes }
}

/** One directory being walked: its entries, where it is on disk, the names seen in it. */
interface Level { entries: AsyncIterator<UnixFSDirectoryEntry>, dir: string, names: NameSet }

/** The state of one {@link getToPath}. */
class TreeWriter {
  files = 0
  bytes = 0
  readonly #blocks: BlockReader
  readonly #options: GetOptions
  /** Symlinks to make once every regular entry is written. */
  readonly #links: Array<{ at: string, target: string }> = []
  /** Directories that gained entries (fsynced at the end). */
  readonly #touched = new Set<string>()
  /** Names of the files written or kept, by directory (their stale temp files are removed at the end). */
  readonly #written = new Map<string, Set<string>>()

  constructor (blocks: BlockReader, options: GetOptions) {
    this.#blocks = blocks
    this.#options = options
  }

  /** Write directory `e` at `dir` and everything beneath it (depth first, one open listing per level). */
  async tree (e: UnixFSDirectory, dir: string): Promise<void> {
    const signal = this.#options.signal
    if (await makeDir(dir)) this.#touched.add(dirname(dir))
    const stack: Level[] = [{ entries: e.entries({ signal })[Symbol.asyncIterator](), dir, names: new NameSet() }]
    while (stack.length > 0) {
      const top = stack[stack.length - 1]
      const next = await top.entries.next()
      if (next.done === true) { stack.pop(); continue }
      top.names.add(next.value.name)
      const at = join(top.dir, next.value.name)
      const child = await exporter(next.value.cid, this.#blocks, { signal })
      if (child.type !== 'directory') { await this.leaf(child, at); continue }
      if (await makeDir(at)) this.#touched.add(top.dir)
      stack.push({ entries: child.entries({ signal })[Symbol.asyncIterator](), dir: at, names: new NameSet() })
    }
  }

  /** Write a file at `at`, or note a symlink to make at the end; other nodes (dag-cbor…) hold no file. */
  async leaf (e: UnixFSEntry, at: string): Promise<void> {
    if (e.type === 'file' && e.unixfs.type === 'symlink') {
      this.#links.push({ at, target: new TextDecoder().decode(e.unixfs.data ?? new Uint8Array()) })
      return
    }
    if (!isPlainFile(e)) return
    const { signal, source } = this.#options
    const size = entrySize(e)
    if (await entryKind(at) === 'file' && await sameBytes(at, size, entryChunks(this.#blocks, e, { source, signal }))) {
      this.#tick(size)
    } else {
      await assertReplaceable(at, this.#options.force === true)
      await writeFileFromChunks(at, entryChunks(this.#blocks, e, { source, signal }), { signal, onBytes: n => { this.#tick(n) }, syncDir: false })
      this.#touched.add(dirname(at))
    }
    const names = this.#written.get(dirname(at)) ?? new Set()
    this.#written.set(dirname(at), names.add(basename(at)))
    this.files++
  }

  /** Write the bytes of block `cid` as the file `at` (kept when it holds them already). */
  async block (cid: CID, at: string): Promise<void> {
    const signal = this.#options.signal
    const bytes = await getBlock(this.#blocks, cid, { signal })
    const one = async function * (): AsyncGenerator<Lent> { yield owned(bytes) }
    if (await entryKind(at) === 'file' && await sameBytes(at, bytes.length, one())) {
      this.#tick(bytes.length)
    } else {
      await assertReplaceable(at, this.#options.force === true)
      await writeFileFromChunks(at, one(), { signal, onBytes: n => { this.#tick(n) }, syncDir: false })
      this.#touched.add(dirname(at))
    }
    this.#written.set(dirname(at), (this.#written.get(dirname(at)) ?? new Set()).add(basename(at)))
    this.files++
  }

  /** Make the symlinks (an identical one already there is kept), then fsync every changed directory. */
  async finish (): Promise<void> {
    for (const { at, target } of this.#links) {
      const kind = await entryKind(at)
      if (kind === 'symlink' && await readlink(at) === target) continue
      if (kind !== 'none') {
        await assertReplaceable(at, this.#options.force === true)
        await unlink(at)
      }
      await symlink(target, at)
      this.#touched.add(dirname(at))
    }
    // a get killed mid-file left its temp file: the file is complete now, the temp file is garbage
    for (const [dir, names] of this.#written) await removeStalePartials(dir, names)
    await syncDirs(this.#touched)
  }

  #tick (n: number): void {
    this.bytes += n
    this.#options.onProgress?.({ bytes: this.bytes })
  }
}
