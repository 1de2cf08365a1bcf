/**
 * Local read paths over any block reader: resolve a CID path, stream a file, list a directory,
 * write a file or directory tree to disk. The exporter resolves paths and walks directories,
 * HAMT shards and symlinks; the bytes of files come from the file reader (`file-reader.ts`):
 * verified blocks in reused buffers, a bounded number of them at a time.
 */
import { mkdir, symlink, unlink } from 'node:fs/promises'
import { dirname, join, resolve, sep } from 'node:path'
import * as dagPb from '@ipld/dag-pb'
import { exporter, recursive } from 'ipfs-unixfs-exporter'
import { InvalidParametersError } from '../errors.ts'
import { owned } from './block-read.ts'
import { PathNotFoundError, WrongContentTypeError } from './errors.ts'
import { readFile } from './file-reader.ts'
import { writeFileFromChunks } from './write-out.ts'
import type { BlockSource, Lent } from './block-read.ts'
import type { BlockReader } from './dag.ts'
import type { AbortOptions } from '@libp2p/interface'
import type { UnixFSEntry } from 'ipfs-unixfs-exporter'
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
    return await exporter(path === '' ? cid : `${cid.toString()}/${path}`, blocks, options)
  } catch (err) {
    const name = (err as Error).name
    if (name === 'BlockNotFoundError') throw err
    if (name === 'NotFoundError' || name === 'BadPathError' || (err as { code?: string }).code === 'ERR_NOT_FOUND') {
      throw new PathNotFoundError(`no such path: ${cid.toString()}${path !== '' ? '/' + path : ''}`, { cause: err })
    }
    throw err
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
export async function * ls (blocks: BlockReader, cid: CID, path: string, options?: AbortOptions): AsyncGenerator<LsEntry> {
  const e = await resolveEntry(blocks, cid, path, options)
  if (e.type !== 'directory') {
    yield { name: e.name, cid: e.cid, size: entrySize(e), type: entryType(e) }
    return
  }
  for await (const child of e.entries({ signal: options?.signal })) {
    const full = await exporter(child.cid, blocks, options)
    yield { name: child.name, cid: child.cid, size: entrySize(full), type: entryType(full) }
  }
}

/** Progress of `get`: file bytes written so far. */
export interface GetProgress { bytes: number }

/** Options for {@link getToPath}. */
export interface GetOptions extends AbortOptions {
  onProgress?: (p: GetProgress) => void
  /** Where file blocks are read from. @default the reader that resolves paths */
  source?: BlockSource
}

/** The result of `get`. */
export interface GetResult { path: string, files: number, bytes: number }

/** Write the file or directory tree at `cid`/`path` to `out` on disk. */
export async function getToPath (blocks: BlockReader, cid: CID, path: string, out: string, options: GetOptions = {}): Promise<GetResult> {
  let bytes = 0
  let files = 0
  const tick = (n: number): void => { bytes += n; options.onProgress?.({ bytes }) }
  const root = resolve(out)
  const start = path === '' ? cid : `${cid.toString()}/${path}`
  const base = (await resolveEntry(blocks, cid, path, options)).path
  for await (const e of recursive(start, blocks, { signal: options.signal })) {
    const rel = e.path === base ? '' : e.path.slice(base.length + 1)
    const target = rel === '' ? root : join(root, ...rel.split('/'))
    // Policy: names come from the DAG (untrusted); refuse anything that escapes the output directory.
    if (rel.split('/').some(s => s === '..' || s === '.' || s.includes(sep)) || !(target === root || target.startsWith(root + sep))) {
      throw new InvalidParametersError(`refusing unsafe path ${JSON.stringify(e.path)}`)
    }
    const full = await exporter(e.cid, blocks, { signal: options.signal })
    if (full.type === 'directory') {
      await mkdir(target, { recursive: true })
    } else if (full.type === 'file' && full.unixfs.type === 'symlink') {
      const link = new TextDecoder().decode(full.unixfs.data ?? new Uint8Array())
      await mkdir(dirname(target), { recursive: true })
      await unlink(target).catch(() => {})
      await symlink(link, target)
    } else if (full.type === 'file' || full.type === 'raw' || full.type === 'identity') {
      await mkdir(dirname(target), { recursive: true })
      const chunks = entryChunks(blocks, full, { source: options.source, signal: options.signal })
      await writeFileFromChunks(target, chunks, { signal: options.signal, onBytes: tick })
      files++
    }
  }
  return { path: root, files, bytes }
}
