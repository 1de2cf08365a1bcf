/**
 * A faster leaf stage for the standard UnixFS importer, and a read-ahead file reader.
 *
 * The importer's default buffer importer hands each leaf to `it-parallel-batch`, which reads a
 * batch of chunks, hashes them, writes them, and waits for the slowest write before reading
 * the next batch: reading, hashing and writing never overlap. {@link pipelinedBufferImporter}
 * encodes and hashes each leaf exactly as the default one does (same bytes, same CID), and
 * yields its result at once while the write proceeds in the background, with a bound on the
 * bytes being written. The layout and tree stages stay the importer's own, so roots are those
 * of the stock importer by construction (and tests check it against the stock importer).
 */
import { open } from 'node:fs/promises'
import * as dagPb from '@ipld/dag-pb'
import { UnixFS } from 'ipfs-unixfs'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'
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
  readonly #free: Buffer[] = []
  readonly #ours = new WeakSet<ArrayBufferLike>()
  readonly #keep: number

  constructor (size: number, keep = 64) {
    this.size = size
    this.#keep = keep
  }

  take (): Buffer {
    const b = this.#free.pop()
    if (b != null) return b
    const fresh = Buffer.allocUnsafeSlow(this.size)
    this.#ours.add(fresh.buffer)
    return fresh
  }

  /** Return a buffer this pool handed out, whole; anything else is ignored. */
  give (b: Uint8Array): void {
    if (b.byteOffset !== 0 || b.byteLength !== this.size || !this.#ours.has(b.buffer)) return
    if (this.#free.length < this.#keep) this.#free.push(b as Buffer)
  }
}

/** What the leaf stage needs to know of the profile (as the importer resolves it). */
export interface LeafOptions {
  rawLeaves: boolean
  cidVersion: 0 | 1
  /** Bound on bytes written concurrently. @default 32 MiB */
  maxPendingBytes?: number
  /** Where raw leaves' buffers go back after their write (see {@link BufferPool}). */
  pool?: BufferPool
}

/** The leaf settings a profile implies (the importer's own `profile` defaults). */
export function leafOptionsFor (profile: ImporterOptions['profile']): LeafOptions {
  return profile === 'unixfs-v0-2015' ? { rawLeaves: false, cidVersion: 0 } : { rawLeaves: true, cidVersion: 1 }
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

  const write = (blocks: Pick<Blockstore, 'put'>, cid: CID, block: Uint8Array, recycle: boolean): void => {
    pendingBytes += block.byteLength
    const p: Promise<void> = Promise.resolve(blocks.put(cid, block)).then(
      () => { if (recycle) o.pool?.give(block) },
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

  const bufferImporter: BufferImporter = async function * (file, blockstore) {
    let index = 0
    for await (const chunk of file.content) {
      await room()
      let block = chunk
      let unixfs: UnixFS | undefined
      if (!o.rawLeaves) {
        // As the default buffer importer: a dag-pb node holding a UnixFS 'file' leaf.
        unixfs = new UnixFS({ type: 'file', data: chunk })
        block = dagPb.encode({ Data: unixfs.marshal(), Links: [] })
      }
      const digest = await sha256.digest(block)
      const cid = o.rawLeaves ? CID.createV1(raw.code, digest) : CID.create(o.cidVersion, dagPb.code, digest)
      // Policy: only a raw leaf after the file's first is recycled. Its bytes are read by the
      // hash and the write alone; the importer keeps `block` of the first leaf only (to turn a
      // one-leaf file into its root), so that one is never reused.
      write(blockstore, cid, block, o.rawLeaves && index++ > 0)
      const result = { cid, unixfs, size: BigInt(block.byteLength), block }
      yield async () => result
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
      return n === chunkSize ? buf : buf.subarray(0, n)
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
