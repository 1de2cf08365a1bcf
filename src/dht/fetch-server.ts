/**
 * The serving side of `/agora/fetch/1.0.0`: answers each WANT with one BLOCK or DONT_HAVE per
 * CID, in order. Every block read is paid for from the node's {@link ServeBudget} before it is
 * read and paid back once the transport has taken it, and a stream reads ahead only as far as
 * its window: a peer that never reads costs at most one window per stream, all of it counted
 * against the budget (and reset under contention, see serve-budget.ts).
 */
import { logger } from '@libp2p/logger'
import { byteStream } from '@libp2p/utils'
import { pEvent } from 'p-event'
import { Uint8ArrayList } from 'uint8arraylist'
import { MAX_WANT_MESSAGE } from './constants.ts'
import { decodeWant, encodeBlock, encodeDontHave, FrameReader } from './wire.ts'
import type { BudgetHolder, Lease, ServeBudget } from './serve-budget.ts'
import type { ServeEvent } from './types.ts'
import type { AbortOptions, Connection, Stream } from '@libp2p/interface'
import type { Blockstore } from 'interface-blockstore'
import type { CID } from 'multiformats/cid'

const log = logger('agora:dht:serve')

/**
 * Blocks a stream may hold: read (or being read) and not yet taken by the transport. Reading
 * block i + WINDOW waits until block i has left the stream's send buffer.
 */
export const WINDOW = 4

export interface FetchServerInit {
  blockstore: Blockstore
  maxBlockSize: number
  idleTimeout: number
  /** Shared by every stream (and Bitswap) of the node. */
  budget: ServeBudget
  onServe?: (event: ServeEvent) => void
}

/**
 * Reads a whole block as the chunks the blockstore yields (not concatenated), or `undefined`
 * when we do not have it or it is over the size limit.
 */
export async function readBlock (blockstore: Blockstore, cid: CID, maxBlockSize: number): Promise<Uint8ArrayList | undefined> {
  const block = new Uint8ArrayList()
  try {
    for await (const chunk of blockstore.get(cid)) {
      block.append(chunk)
      if (block.byteLength > maxBlockSize) return undefined
    }
  } catch (err: any) {
    if (err?.name === 'NotFoundError') return undefined
    throw err
  }
  return block
}

/** Writes `data`, waiting for 'drain' when the stream reports a full buffer. */
export async function send (stream: Stream, data: Uint8Array | Uint8ArrayList, timeout: number): Promise<void> {
  if (!stream.send(data)) {
    await pEvent(stream, 'drain', { rejectionEvents: ['close'], signal: AbortSignal.timeout(timeout) })
  }
}

/** The protocol handler, to register with `libp2p.handle(FETCH_PROTOCOL, ...)`. */
export function fetchHandler (init: FetchServerInit): (stream: Stream, connection: Connection) => Promise<void> {
  return async (stream, connection) => {
    const peer = connection.remotePeer
    const reader = new FrameReader(byteStream(stream, { maxBufferSize: MAX_WANT_MESSAGE * 4 }), MAX_WANT_MESSAGE)
    const holder = init.budget.holder(peer.toString(), err => { stream.abort(err) })
    const window = new StreamWindow(stream, holder, init.idleTimeout)
    // a stream reset or closed by the peer gives its budget back at once, even while it waits for more
    stream.addEventListener('close', () => { holder.close() }, { once: true })
    try {
      while (true) {
        const body = await reader.next(init.idleTimeout)
        if (body == null) break
        const cids = decodeWant(body)
        await serveBatch(init, window, peer, cids)
      }
      await window.flush()
      await stream.close({ signal: AbortSignal.timeout(init.idleTimeout) })
    } catch (err: any) {
      log('stream from %p failed - %e', peer, err)
      init.onServe?.({ type: 'agora:serve:error', peer, error: err })
      stream.abort(err)
    } finally {
      holder.close()
    }
  }
}

/**
 * What one stream has handed to `stream.send` and the transport has not taken yet, each frame
 * with what to release once it is taken (its share of the lease that paid for its block). The send buffer is a FIFO, so a frame has been taken
 * once the bytes queued after it are all that remain buffered.
 */
export class StreamWindow {
  private readonly stream: Stream
  private readonly holder: BudgetHolder
  private readonly timeout: number
  private readonly pending: Array<{ taken: () => void, end: number }> = []
  private queued = 0

  constructor (stream: Stream, holder: BudgetHolder, timeout: number) {
    this.stream = stream
    this.holder = holder
    this.timeout = timeout
    holder.watch(() => ({ waiting: this.size > 0, taken: this.taken() }))
  }

  /** Frames queued and not yet taken by the transport. */
  get size (): number {
    this.reclaim()
    return this.pending.length
  }

  get budget (): BudgetHolder {
    return this.holder
  }

  /** Queues a frame; `taken` is called once the transport has taken all of it. */
  send (frame: Uint8ArrayList, taken: () => void): void {
    this.stream.send(frame)
    this.queued += frame.byteLength
    this.pending.push({ taken, end: this.queued })
    this.reclaim()
  }

  /**
   * Waits until the transport takes some bytes (a 'drain' or the buffer emptying), at most the
   * idle timeout: a peer that stops reading has its stream reset then, budget or no budget.
   */
  async progress (): Promise<void> {
    if (this.size === 0) return
    await pEvent(this.stream, ['drain', 'idle'], { rejectionEvents: ['close'], signal: AbortSignal.timeout(this.timeout) })
    this.reclaim()
  }

  /** Waits until every queued frame has been taken. */
  async flush (): Promise<void> {
    while (this.size > 0) await this.progress()
  }

  /** Bytes of this stream the transport has taken. */
  private taken (): number {
    return this.queued - this.stream.writeBufferLength
  }

  private reclaim (): void {
    const taken = this.taken()
    while (this.pending.length > 0 && this.pending[0].end <= taken) {
      this.pending.shift()?.taken()
    }
  }
}

interface Loaded { bytes?: Uint8ArrayList, lease: Lease }

/** Acquires a lease of `maxBlockSize` (the size is unknown before reading), reads, shrinks it. */
async function load (init: FetchServerInit, holder: BudgetHolder, cid: CID, options?: AbortOptions): Promise<Loaded> {
  const lease = await holder.acquire(init.maxBlockSize, options)
  try {
    const bytes = await readBlock(init.blockstore, cid, init.maxBlockSize)
    lease.shrink(bytes?.byteLength ?? 0)
    return { bytes, lease }
  } catch (err) {
    lease.release()
    throw err
  }
}

/** A block read once and answered for every entry of a WANT listing it while it is in the window. */
interface SharedRead {
  read: Promise<Loaded>
  /** Entries answered (or to be answered) from it whose frames the transport has not taken. */
  refs: number
}

/**
 * Policy: every entry of a WANT is answered, in order (the protocol's rule: our prober lists a
 * block once per place it has in a file, so honest WANTs repeat CIDs), but a CID listed again
 * while its earlier read is still in the stream's window is not read again: the repeat's frame
 * shares the bytes, which are paid for once and given back when the last frame sharing them has
 * been taken. A repeat beyond the window is read again, like the same CID in a later WANT; either
 * way a stream holds at most WINDOW frames, so repeats cost bandwidth, never memory.
 */
async function serveBatch (init: FetchServerInit, window: StreamWindow, peer: Connection['remotePeer'], cids: CID[]): Promise<void> {
  const reads: SharedRead[] = [] // the reads of blocks i..next-1, in order
  const inWindow = new Map<string, SharedRead>()
  let next = 0
  // blocks being read or read and unsent, plus frames not yet taken, stay within the window
  const fill = (i: number): void => {
    while (next < cids.length && (next - i) + window.size < WINDOW) {
      const key = cids[next].toString()
      let shared = inWindow.get(key)
      if (shared == null) {
        const read = load(init, window.budget, cids[next], { signal: AbortSignal.timeout(init.idleTimeout) })
        read.catch(() => {}) // awaited below in order; this only prevents an unhandled rejection meanwhile
        shared = { read, refs: 0 }
        inWindow.set(key, shared)
      }
      shared.refs++
      reads.push(shared)
      next++
    }
  }
  for (let i = 0; i < cids.length; i++) {
    fill(i)
    while (reads.length === 0) { // the window is full of frames the transport has not taken
      await window.progress()
      fill(i)
    }
    const [shared] = reads.splice(0, 1) // block i's
    const loaded = await shared.read
    const key = cids[i].toString()
    const taken = (): void => {
      if (--shared.refs > 0) return
      loaded.lease.release()
      if (inWindow.get(key) === shared) inWindow.delete(key)
    }
    if (loaded.bytes == null) {
      window.send(encodeDontHave(cids[i]), taken)
      init.onServe?.({ type: 'agora:serve:dont-have', peer, cid: cids[i] })
    } else {
      window.send(encodeBlock(cids[i], loaded.bytes), taken)
      init.onServe?.({ type: 'agora:serve:block', peer, cid: cids[i], bytes: loaded.bytes.byteLength })
    }
    fill(i + 1)
  }
}
