/**
 * The bytes of a UnixFS file, read from local blocks in bounded memory.
 *
 * The file's DAG (a dag-pb `file` node whose links lead, in order, to raw or dag-pb leaves, or a
 * single raw or identity block) is walked in link order. Each block is read whole into a reused
 * buffer, hashed against its CID, and lent to the consumer, which releases it once the bytes are
 * written. A few blocks are read ahead so that disk reads, hashing and the consumer's writes
 * overlap; the sizes in each node's UnixFS header let a range skip whole subtrees unread.
 *
 * Unlike `ipfs-unixfs-exporter`'s `content()`, which pushes blocks into an unbounded queue as
 * fast as it reads them (the whole file can pile up in memory behind a slow writer), nothing
 * here is read until the consumer has room for it.
 */
import * as dagPb from '@ipld/dag-pb'
import { UnixFS } from 'ipfs-unixfs'
import { InvalidParametersError } from '../errors.ts'
import { owned, readLocalBlock } from './block-read.ts'
import { InvalidDagError, WrongContentTypeError } from './errors.ts'
import { BufferPool } from './pipeline.ts'
import type { BlockSource, Lent } from './block-read.ts'
import type { AbortOptions } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'

export type { BlockSource, Lent } from './block-read.ts'

/** Options for {@link readFile}. */
export interface ReadFileOptions extends AbortOptions {
  /** First byte to return. Past the end of the file is an `InvalidParametersError`. @default 0 */
  offset?: number
  /** Bytes to return at most. @default to the end of the file */
  length?: number
  /** Blocks read ahead of the one the consumer holds. @default 8 */
  readAhead?: number
  /**
   * Lend reused buffers (the consumer must `release()` each chunk once done with its bytes), or
   * give every block a buffer of its own that the consumer may keep (`release()` does nothing).
   * @default true
   */
  reuseBuffers?: boolean
}

const RAW = 0x55
const DAG_PB = 0x70

/** Pooled buffers fit a 1 MiB raw leaf (unixfs-v1-2025) and a 256 KiB dag-pb leaf with its framing. */
const POOL_BUFFER_SIZE = 1024 * 1024 + 4096

const DEFAULT_READ_AHEAD = 8

/** A block of the file still to read: where its content starts in the file and how long it is. */
interface Job {
  cid: CID
  /** File offset of the first content byte under this block. */
  pos: number
  /** Content bytes under this block, as its parent's header says (undefined for the root). */
  size?: number
  outcome?: Promise<Outcome>
}

/** What a block gave: its own content in the range, and its children that reach into the range. */
interface Outcome { data?: Lent, children: Job[] }

/** The requested range, known once the root is read. */
interface Range { start: number, end: number }

function checkInt (name: string, v: number | undefined): void {
  if (v != null && (!Number.isSafeInteger(v) || v < 0)) throw new InvalidParametersError(`${name} must be a non-negative integer, got ${v}`)
}

/** The content bytes `[pos, pos + data.length)` that fall in `range`, or nothing (and the buffer released). */
function clip (lent: Lent, data: Uint8Array, pos: number, range: Range): Lent | undefined {
  const from = Math.max(range.start, pos) - pos
  const to = Math.min(range.end, pos + data.byteLength) - pos
  if (to <= from) { lent.release(); return undefined }
  return { bytes: data.subarray(from, to), release: lent.release }
}

function decodeFileNode (job: Job, bytes: Uint8Array): { node: dagPb.PBNode, unixfs: UnixFS } {
  let node: dagPb.PBNode
  let unixfs: UnixFS
  try {
    node = dagPb.decode(bytes)
    if (node.Data == null) throw new Error('no UnixFS data')
    unixfs = UnixFS.unmarshal(node.Data)
  } catch (err) {
    throw new InvalidDagError(`${job.cid.toString()} is not a UnixFS node: ${(err as Error).message}`, { cause: err })
  }
  if (unixfs.type !== 'file' && unixfs.type !== 'raw') {
    if (job.size === undefined) throw new WrongContentTypeError(`${job.cid.toString()} is a UnixFS ${unixfs.type}, not a file`)
    throw new InvalidDagError(`${job.cid.toString()} is a UnixFS ${unixfs.type} inside a file`)
  }
  if (node.Links.length !== unixfs.blockSizes.length) throw new InvalidDagError(`${job.cid.toString()} has ${node.Links.length} links but ${unixfs.blockSizes.length} block sizes`)
  return { node, unixfs }
}

/** Sets the range from the root's size (the first call) and checks a child's size against its parent's word. */
function sizeCheck (job: Job, size: number, range: Range | undefined, options: ReadFileOptions): Range {
  if (job.size !== undefined && size !== job.size) {
    throw new InvalidDagError(`${job.cid.toString()} holds ${size} bytes of content where its parent says ${job.size}`)
  }
  if (range != null) return range
  const offset = options.offset ?? 0
  if (offset > size) throw new InvalidParametersError(`offset ${offset} is past the end of the file (${size} bytes)`)
  const end = options.length == null ? size : Math.min(size, offset + options.length)
  return { start: offset, end }
}

/**
 * What one block contributes. A dag-pb node with links is copied out of the pooled buffer
 * first: its decoded links keep views of the bytes they were decoded from.
 */
function expand (job: Job, lent: Lent, state: { range?: Range }, options: ReadFileOptions): Outcome {
  if (job.cid.code === RAW) {
    state.range = sizeCheck(job, lent.bytes.byteLength, state.range, options)
    return { data: clip(lent, lent.bytes, job.pos, state.range), children: [] }
  }
  if (job.cid.code !== DAG_PB) {
    lent.release()
    throw new (job.size === undefined ? WrongContentTypeError : InvalidDagError)(`${job.cid.toString()} has codec 0x${job.cid.code.toString(16)}, not a UnixFS file block`)
  }
  let decoded: ReturnType<typeof decodeFileNode>
  try {
    decoded = decodeFileNode(job, lent.bytes)
    if (decoded.node.Links.length > 0) {
      const copy = new Uint8Array(lent.bytes) // a copy (Buffer#slice would be a view)
      lent.release()
      lent = owned(copy)
      decoded = decodeFileNode(job, copy)
    }
  } catch (err) {
    lent.release()
    throw err
  }
  const { node, unixfs } = decoded
  const own = unixfs.data?.byteLength ?? 0
  let size = own
  const sizes = unixfs.blockSizes.map(s => { const n = Number(s); size += n; return n })
  if (!Number.isSafeInteger(size)) { lent.release(); throw new InvalidDagError(`${job.cid.toString()} declares a size beyond 2^53`) }
  try {
    state.range = sizeCheck(job, size, state.range, options)
  } catch (err) {
    lent.release()
    throw err
  }
  const range = state.range
  const children: Job[] = []
  let pos = job.pos + own
  for (let i = 0; i < node.Links.length && pos < range.end; i++) {
    const end = pos + sizes[i]
    if (end > range.start && sizes[i] > 0) children.push({ cid: node.Links[i].Hash, pos, size: sizes[i] })
    pos = end
  }
  if (unixfs.data == null || own === 0) {
    lent.release()
    return { children }
  }
  return { data: clip(lent, unixfs.data, job.pos, range), children }
}

/**
 * Yield the bytes of the UnixFS file (or raw or identity block) `cid`, in order, as lent
 * chunks: release each once its bytes are consumed (with `reuseBuffers: false`, keep them).
 * Every block is verified against its CID before any of its bytes is yielded. At most
 * `readAhead` blocks are read ahead of the consumer.
 *
 * @throws WrongContentTypeError (not a file: a directory, symlink, dag-cbor…),
 * CorruptBlockError (a block does not match its CID), BlockNotFoundError, InvalidDagError
 * (sizes that disagree, a malformed node), InvalidParametersError (offset past the end)
 */
export async function * readFile (source: BlockSource, cid: CID, options: ReadFileOptions = {}): AsyncGenerator<Lent> {
  checkInt('offset', options.offset)
  checkInt('length', options.length)
  const readAhead = Math.max(1, options.readAhead ?? DEFAULT_READ_AHEAD)
  const pool = options.reuseBuffers === false ? undefined : new BufferPool(POOL_BUFFER_SIZE, readAhead + 2)
  const state: { range?: Range } = {}
  const start = (job: Job): Promise<Outcome> => {
    const p = readLocalBlock(source, job.cid, pool, options).then(lent => expand(job, lent, state, options))
    p.catch(() => {}) // awaited in order below; this only keeps an early failure from being unhandled
    return p
  }
  // Jobs still to consume, the next one last (children are pushed in reverse).
  const stack: Job[] = [{ cid, pos: 0 }]
  try {
    while (stack.length > 0) {
      options.signal?.throwIfAborted()
      // The root alone until its header gives the range; then up to `readAhead` blocks in flight.
      const window = state.range == null ? 1 : readAhead
      for (let i = stack.length - 1; i >= Math.max(0, stack.length - window); i--) stack[i].outcome ??= start(stack[i])
      const job = stack.pop() as Job
      const { data, children } = await (job.outcome as Promise<Outcome>)
      for (let i = children.length - 1; i >= 0; i--) stack.push(children[i])
      if (data != null) yield data
    }
  } finally {
    // Reads still in flight finish into their buffers before those can be dropped.
    await Promise.all(stack.map(async job => job.outcome?.then(o => { o.data?.release() }, () => {})))
  }
}
