/**
 * A faster leaf stage for the standard UnixFS importer, and a read-ahead file reader.
 *
 * The importer's default buffer importer hands each leaf to `it-parallel-batch`, which reads a
 * batch of chunks, hashes them, writes them, and waits for the slowest write before reading
 * the next batch: reading, hashing and writing never overlap. {@link pipelinedBufferImporter}
 * encodes and hashes each leaf exactly as the default one does (same bytes, same CID), and
 * yields its result, in file order, as soon as it is hashed, while the write proceeds in the
 * background, with a bound on the bytes being written. With a {@link HashPool}, leaves in the
 * pool's shared memory are hashed on a worker thread, a few at once, so this thread only reads,
 * dispatches and builds the tree. The layout and tree stages stay the importer's own, so roots
 * are those of the stock importer by construction (and tests check it against the stock
 * importer).
 */
import { open } from 'node:fs/promises'
import * as dagPb from '@ipld/dag-pb'
import { UnixFS } from 'ipfs-unixfs'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { create as createDigest } from 'multiformats/hashes/digest'
import { sha256 } from 'multiformats/hashes/sha2'
import { AlignedArena, DIRECT_ALIGN } from './block-write.ts'
import { sha256Here } from './hash-pool.ts'
import type { HashPool } from './hash-pool.ts'
import type { Blockstore } from 'interface-blockstore'
import type { BufferImporter, ImporterOptions } from 'ipfs-unixfs-importer'

/** Bytes of leaves being written at once. */
const DEFAULT_MAX_PENDING_BYTES = 32 * 1024 * 1024

/**
 * Read buffers of one size, reused once their leaf is written: fresh 1 MiB buffers cost page
 * faults (zeroed pages from the kernel) and external-memory GCs for every MiB imported.
 */
export class BufferPool {
  readonly size: number
  /** Where the buffers come from when `aligned` (see {@link AlignedArena}). */
  readonly arena?: AlignedArena
  readonly #free: Buffer[] = []
  readonly #fresh: Buffer[]
  /** Buffers handed out (each whole, or the front of one as {@link BufferPool.shrink} gave it). */
  readonly #ours = new WeakSet<Uint8Array>()
  readonly #keep: number
  readonly #headroom: number
  readonly #step: number

  /**
   * `aligned`: the first `keep` buffers are slices of one shared region (reserved address space,
   * touched only as buffers are first used), each in a slot of its own that starts on a page, so
   * their blocks can be written with O_DIRECT and hashed by workers. `headroom` and `tailroom`
   * bytes of the slot around each buffer let a leaf be framed in place ({@link BufferPool.frame}).
   */
  constructor (size: number, keep = 64, options: { aligned?: boolean, headroom?: number, tailroom?: number } = {}) {
    this.size = size
    this.#keep = keep
    this.#headroom = options.headroom ?? 0
    this.#step = Math.ceil((this.#headroom + size + (options.tailroom ?? 0)) / DIRECT_ALIGN) * DIRECT_ALIGN
    this.arena = options.aligned === true ? alignedArena(keep * this.#step) : undefined
    const fresh: Buffer[] = []
    for (let i = keep - 1; i >= 0 && this.arena != null; i--) fresh.push(Buffer.from(this.arena.memory, i * this.#step + this.#headroom, size))
    this.#fresh = fresh
  }

  take (): Buffer {
    const b = this.#free.pop() ?? this.#fresh.pop() ?? Buffer.allocUnsafeSlow(this.size)
    this.#ours.add(b)
    return b
  }

  /** The first `n` bytes of a buffer just taken, as the one piece of it in use (n < size: the last read). */
  shrink (b: Buffer, n: number): Buffer {
    if (n === b.byteLength) return b
    const front = b.subarray(0, n)
    this.#ours.add(front)
    return front
  }

  /** Return a buffer this pool handed out, whole; anything else is ignored. */
  give (b: Uint8Array): void {
    if (b.byteLength !== this.size || !this.#ours.has(b)) return
    this.#ours.delete(b)
    if (this.#free.length < this.#keep) this.#free.push(b as Buffer)
  }

  /**
   * `b` with `before` bytes in front of it and `after` behind it, in place: only for a buffer
   * this pool handed out (as {@link take} or {@link shrink} gave it) from the shared region,
   * whose slot has that much room. Undefined otherwise. The caller owns those bytes of the slot.
   */
  frame (b: Uint8Array, before: number, after: number): Buffer | undefined {
    const a = this.arena
    if (a == null || b.buffer !== a.memory || !this.#ours.has(b) || b.byteOffset % this.#step !== this.#headroom) return undefined
    if (before > this.#headroom || this.#headroom + b.byteLength + after > this.#step) return undefined
    return Buffer.from(a.memory, b.byteOffset - before, before + b.byteLength + after)
  }
}

/** A region for the pool, or none if the address space for one is not available now (then plain buffers). */
function alignedArena (bytes: number): AlignedArena | undefined {
  try {
    return new AlignedArena(bytes)
  } catch {
    return undefined
  }
}

/** Bytes of a varint. */
function varintLength (n: number): number {
  let len = 1
  while (n >= 0x80) { n = Math.floor(n / 0x80); len++ }
  return len
}

function putVarint (into: Uint8Array, at: number, n: number): number {
  while (n >= 0x80) { into[at++] = (n % 0x80) | 0x80; n = Math.floor(n / 0x80) }
  into[at++] = n
  return at
}

/**
 * The bytes around `n > 0` bytes of content in the dag-pb leaf the default buffer importer
 * builds (`dagPb.encode({ Data: new UnixFS({ type: 'file', data }).marshal(), Links: [] })`):
 * PBNode.Data (field 1) holding UnixFS { Type (1) = File (2), Data (2) = content, filesize (3) = n }.
 */
export function fileLeafFrame (n: number): { before: Uint8Array, after: Uint8Array } {
  const unixfs = 2 + 1 + varintLength(n) + n + 1 + varintLength(n)
  const before = new Uint8Array(1 + varintLength(unixfs) + 2 + 1 + varintLength(n))
  let at = 0
  before[at++] = 0x0a
  at = putVarint(before, at, unixfs)
  before[at++] = 0x08
  before[at++] = 0x02
  before[at++] = 0x12
  putVarint(before, at, n)
  const after = new Uint8Array(1 + varintLength(n))
  after[0] = 0x18
  putVarint(after, 1, n)
  return { before, after }
}

/** Bytes the dag-pb leaf of a full chunk of `chunkSize` adds before and after the content. */
export function fileLeafRoom (chunkSize: number): { headroom: number, tailroom: number } {
  const { before, after } = fileLeafFrame(chunkSize)
  return { headroom: before.byteLength, tailroom: after.byteLength }
}

/** What the leaf stage needs to know of the profile (as the importer resolves it). */
export interface LeafOptions {
  rawLeaves: boolean
  cidVersion: 0 | 1
  /** Bound on bytes written concurrently. @default 32 MiB */
  maxPendingBytes?: number
  /** Where leaves' read buffers go back after their write (see {@link BufferPool}). */
  pool?: BufferPool
  /** Hash workers for leaves in the pool's shared memory. @default hash on this thread */
  hashPool?: HashPool
}

interface LeafResult { cid: CID, unixfs?: UnixFS, size: bigint, block: Uint8Array }

/** The leaf settings a profile implies (the importer's own `profile` defaults). */
export function leafOptionsFor (profile: ImporterOptions['profile']): LeafOptions {
  return profile === 'unixfs-v0-2015' ? { rawLeaves: false, cidVersion: 0 } : { rawLeaves: true, cidVersion: 1 }
}

/** The chunk size a profile implies (the importer's own `profile` defaults). */
export function chunkSizeFor (profile: ImporterOptions['profile']): number {
  return profile === 'unixfs-v0-2015' ? 256 * 1024 : 1024 * 1024
}

/** A buffer importer whose writes overlap reading and hashing; `drain()` awaits every write. */
export interface PipelinedLeaves {
  bufferImporter: BufferImporter
  /** Resolves when every leaf write finished; rejects with the first write error. */
  drain: () => Promise<void>
}

/** Create the leaf stage for one import (may serve several files). */
export function pipelinedBufferImporter (o: LeafOptions): PipelinedLeaves {
  const max = o.maxPendingBytes ?? DEFAULT_MAX_PENDING_BYTES
  const pending = new Set<Promise<void>>()
  let pendingBytes = 0
  let failure: Error | undefined

  /** Write `block` in the background; then `recycle` (the buffer it was read into) goes back to the pool. */
  const write = (blocks: Pick<Blockstore, 'put'>, cid: CID, block: Uint8Array, recycle?: Uint8Array): void => {
    pendingBytes += block.byteLength
    const p: Promise<void> = Promise.resolve(blocks.put(cid, block)).then(
      () => { if (recycle != null) o.pool?.give(recycle) },
      (err: Error) => { failure ??= err }
    ).finally(() => { pending.delete(p); pendingBytes -= block.byteLength })
    pending.add(p)
  }

  const room = async (): Promise<void> => {
    const full = (): boolean => pendingBytes >= max && pending.size > 0
    while (full()) await Promise.race(pending)
    if (failure != null) throw failure
  }

  const drain = async (): Promise<void> => {
    while (pending.size > 0) await Promise.all(pending)
    if (failure != null) throw failure
  }

  const hash = async (block: Uint8Array): Promise<Uint8Array> => o.hashPool != null ? o.hashPool.digest(block) : sha256Here(block)
  const window = o.hashPool == null ? 1 : Math.max(1, 4 * o.hashPool.size)

  /** A leaf as the default buffer importer builds it; its write starts as soon as it is hashed. */
  const leaf = async (blockstore: Pick<Blockstore, 'put'>, chunk: Uint8Array, recycle: boolean): Promise<LeafResult> => {
    let block = chunk
    let unixfs: UnixFS | undefined
    if (!o.rawLeaves) {
      // As the default buffer importer: a dag-pb node holding a UnixFS 'file' leaf. A chunk
      // read into a pool slot gets the node's bytes written around it, in place (same bytes).
      unixfs = new UnixFS({ type: 'file', data: chunk })
      const frame = chunk.byteLength > 0 ? fileLeafFrame(chunk.byteLength) : undefined
      const framed = frame != null ? o.pool?.frame(chunk, frame.before.byteLength, frame.after.byteLength) : undefined
      if (frame != null && framed != null) {
        framed.set(frame.before, 0)
        framed.set(frame.after, framed.byteLength - frame.after.byteLength)
        block = framed
      } else {
        block = dagPb.encode({ Data: unixfs.marshal(), Links: [] })
      }
    }
    const digest = createDigest(sha256.code, await hash(block))
    const cid = o.rawLeaves ? CID.createV1(raw.code, digest) : CID.create(o.cidVersion, dagPb.code, digest)
    write(blockstore, cid, block, recycle ? chunk : undefined)
    return { cid, unixfs, size: BigInt(block.byteLength), block }
  }

  const bufferImporter: BufferImporter = async function * (file, blockstore) {
    let index = 0
    // Leaves being hashed, in file order: up to `window` at once (four per hash worker, so a
    // worker always has the next one queued when this thread is slow to collect a digest).
    const hashing: Array<Promise<LeafResult>> = []
    try {
      for await (const chunk of file.content) {
        await room()
        // Policy: only the read buffer of a leaf after the file's first is recycled. Its bytes
        // are read by the hash and the write alone (of a dag-pb leaf, the importer reads
        // `unixfs.data`'s length only); the importer keeps `block` of the first leaf (to turn a
        // one-leaf file into its root), so that one is never reused.
        const p = leaf(blockstore, chunk, index++ > 0)
        p.catch(() => {}) // awaited below in order; a rejection waiting its turn is not unhandled
        hashing.push(p)
        if (hashing.length >= window) {
          const result = await (hashing.shift() as Promise<LeafResult>)
          yield async () => result
        }
      }
      while (hashing.length > 0) {
        const result = await (hashing.shift() as Promise<LeafResult>)
        yield async () => result
      }
    } finally {
      // On failure too: no hash may still hold a leaf when the import moves on.
      await Promise.allSettled(hashing)
    }
    // The file's leaves are complete before the layout builds its parents.
    await drain()
  }
  return { bufferImporter, drain }
}

/**
 * Read a file in `pool.size` pieces (pool buffers, filled completely except the last),
 * keeping `depth` reads in flight ahead of the consumer.
 */
export async function * readAhead (path: string, pool: BufferPool, depth = 4, signal?: AbortSignal): AsyncGenerator<Uint8Array> {
  const chunkSize = pool.size
  const fh = await open(path, 'r')
  try {
    let position = 0
    const fill = async (at: number): Promise<Uint8Array> => {
      const buf = pool.take()
      let n = 0
      while (n < chunkSize) {
        const { bytesRead } = await fh.read(buf, n, chunkSize - n, at + n)
        if (bytesRead === 0) break
        n += bytesRead
      }
      return pool.shrink(buf, n)
    }
    const queue: Array<Promise<Uint8Array>> = []
    const refill = (): void => {
      while (queue.length < depth) { queue.push(fill(position)); position += chunkSize }
    }
    try {
      while (true) {
        signal?.throwIfAborted()
        refill()
        const buf = await (queue.shift() as Promise<Uint8Array>)
        if (buf.byteLength > 0) yield buf
        if (buf.byteLength < chunkSize) break
      }
    } finally {
      // Let the reads still in flight settle before the handle closes.
      await Promise.allSettled(queue)
    }
  } finally {
    await fh.close()
  }
}
