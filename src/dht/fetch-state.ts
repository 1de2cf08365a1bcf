/**
 * The shared state of one fetch: which blocks are still wanted, which are in flight with which
 * provider, which providers said they lack which block, and the local walk over blocks already
 * stored (so a resumed fetch requests only what is missing).
 */
import { logger } from '@libp2p/logger'
import { FsBlockstore } from 'blockstore-fs'
import { assertSupportedHash, contiguous, DAG_CBOR, DAG_PB, isIdentity, linksOf, mayHaveLinks, verifyBlock } from './blocks.ts'
import { DEFAULT_MAX_BLOCKS, DEFAULT_MAX_LINKS_PER_BLOCK } from './constants.ts'
import { FetchTooLargeError } from './errors.ts'
import type { BlockBytes } from './blocks.ts'
import { readBlock } from './fetch-server.ts'
import type { FetchProgressEvent } from './types.ts'
import type { PeerId } from '@libp2p/interface'
import type { Blockstore } from 'interface-blockstore'
import type { CID } from 'multiformats/cid'

const log = logger('agora:dht:fetch')

/** Raw blocks up to this size are copied into reused buffers (see {@link FetchState.received}). */
const REUSED_BLOCK_SIZE = 1024 * 1024

/** Buffers of {@link REUSED_BLOCK_SIZE} bytes, reused by one fetch. */
class BlockBuffers {
  private readonly free: Uint8Array[] = []
  private readonly keep: number
  constructor (keep: number) { this.keep = keep }

  /** `bytes` gathered into a reused buffer (a view of its first `bytes.byteLength` bytes). */
  copy (bytes: BlockBytes): Uint8Array {
    const buf = this.free.pop() ?? new Uint8Array(REUSED_BLOCK_SIZE)
    let at = 0
    for (const chunk of bytes instanceof Uint8Array ? [bytes] : bytes) { buf.set(chunk, at); at += chunk.byteLength }
    return buf.subarray(0, at)
  }

  give (view: Uint8Array): void {
    if (this.free.length < this.keep) this.free.push(new Uint8Array(view.buffer, 0, REUSED_BLOCK_SIZE))
  }
}

export interface FetchStateInit {
  blockstore: Blockstore
  /** Follow links (a whole DAG) or fetch only the given block. */
  walk: boolean
  maxBlockSize: number
  /** Blocks requested or being stored at once, all providers together. */
  maxInFlight: number
  /** Most links one block may list; more fails the fetch (`TooManyLinksError`). @default 16384 */
  maxLinksPerBlock?: number
  /** Most blocks the fetch may discover, identity links included; more fails it (`FetchTooLargeError`). @default 4194304 */
  maxBlocks?: number
  onProgress?: (event: FetchProgressEvent) => void
}

/** Bookkeeping for one fetch. Not safe to share between fetches. */
export class FetchState {
  readonly init: FetchStateInit
  /** CIDs to request, used as a stack (depth first keeps the frontier small). */
  private readonly wanted: CID[] = []
  private readonly toCheck: CID[] = []
  private readonly seen = new Set<string>()
  private readonly lacking = new Map<string, Set<string>>()
  private readonly inFlight = new Set<string>()
  private walking = false
  private waiters: Array<() => void> = []
  private readonly finish = deferred()
  private readonly buffers: BlockBuffers
  private readonly maxLinksPerBlock: number
  private readonly maxBlocks: number
  /** Resolves when every block of the DAG is stored; rejects with the reason the fetch failed. */
  readonly finished: Promise<void> = this.finish.promise
  settled = false
  blocksFetched = 0
  bytesFetched = 0
  blocksSkipped = 0
  lastProgress = Date.now()
  /**
   * In a single-block fetch (`walk: false`), the verified bytes of the one block once stored, so
   * the caller returns them without reading the blockstore back; undefined if it was stored before.
   */
  block: Uint8Array | undefined

  constructor (init: FetchStateInit) {
    this.init = init
    this.buffers = new BlockBuffers(init.maxInFlight + 2)
    this.maxLinksPerBlock = init.maxLinksPerBlock ?? DEFAULT_MAX_LINKS_PER_BLOCK
    this.maxBlocks = init.maxBlocks ?? DEFAULT_MAX_BLOCKS
    this.finished.catch(() => {}) // the caller awaits it; this only keeps an early failure from being unhandled
  }

  /**
   * Adds CIDs to check against the store (and to request if missing).
   *
   * @throws FetchTooLargeError when the fetch would then know more than `maxBlocks` blocks
   */
  discover (cids: CID[]): void {
    this.queue(cids)
    this.kick()
  }

  /**
   * Queues the CIDs not seen before for the local walk.
   *
   * Policy: the blocks one fetch may discover are bounded (`fetch.maxBlocks`), so the memory of
   * its bookkeeping and the work of its walk are too, whatever the provider's DAG claims.
   */
  private queue (cids: CID[]): void {
    for (const cid of cids) {
      const key = cid.toString()
      if (this.seen.has(key)) continue
      if (this.seen.size >= this.maxBlocks) {
        throw new FetchTooLargeError(`the DAG has more than ${this.maxBlocks} blocks, over the limit of one fetch (config fetch.maxBlocks)`)
      }
      this.seen.add(key)
      this.toCheck.push(cid)
    }
  }

  private kick (): void {
    if (this.walking || this.settled || this.toCheck.length === 0) return
    this.walking = true
    this.walkStored().then(() => {
      this.walking = false
      this.kick()
      this.changed()
    }, err => {
      this.walking = false
      this.fail(err)
    })
  }

  /** Up to `n` wanted CIDs that `peer` has not said it lacks; they become in flight. */
  take (peer: string, n: number): CID[] {
    // Policy: memory is bounded by the fetch's in-flight budget, however many providers serve it
    n = Math.min(n, this.init.maxInFlight - this.inFlight.size)
    const out: CID[] = []
    for (let i = this.wanted.length - 1; i >= 0 && out.length < n; i--) {
      const cid = this.wanted[i]
      if (this.lacking.get(cid.toString())?.has(peer) === true) continue
      this.wanted.splice(i, 1)
      this.inFlight.add(cid.toString())
      out.push(cid)
    }
    return out
  }

  /** Whether some wanted block is not known to be lacking at `peer`. */
  hasWorkFor (peer: string): boolean {
    return this.wanted.some(cid => this.lacking.get(cid.toString())?.has(peer) !== true)
  }

  /** Blocks wanted that no-one is fetching. */
  get wantedCount (): number {
    return this.wanted.length
  }

  /** Whether blocks are wanted that no-one is fetching. */
  hasWanted (): boolean {
    return this.wanted.length > 0
  }

  /** Puts in-flight CIDs back (their provider failed). */
  release (cids: CID[]): void {
    for (const cid of cids) {
      if (this.inFlight.delete(cid.toString())) this.wanted.push(cid)
    }
    this.changed()
  }

  /** `peer` answered that it does not have `cid`. */
  dontHave (cid: CID, peer: PeerId): void {
    const key = cid.toString()
    let set = this.lacking.get(key)
    if (set == null) { set = new Set(); this.lacking.set(key, set) }
    set.add(peer.toString())
    this.init.onProgress?.({ type: 'agora:fetch:dont-have', cid, peer })
    this.release([cid])
  }

  /**
   * A block arrived: verify it against its CID (synchronously: a bad block throws at once),
   * then return the promise of storing it and queueing its links. A failed store fails the
   * whole fetch (it is our disk, not the provider).
   *
   * Policy: nothing reaches the blockstore before its hash matched its CID.
   *
   * @throws BlockVerificationError (the caller drops the provider and releases the CID)
   */
  received (cid: CID, bytes: BlockBytes, peer: PeerId): Promise<void> {
    verifyBlock(cid, bytes)
    // Policy: a buffer is reused only for a block without links (nothing decoded from it can
    // keep a view of it) stored in blockstore-fs, whose put has written the bytes to the file
    // when it settles and keeps no reference (a memory store keeps the buffer itself). The
    // blocks arrive in pieces and are written in one piece: reusing the buffers keeps the 1 MiB
    // copies from piling up as garbage between collections.
    // (never in a single-block fetch: its block is handed to the caller, see `block`)
    const reuse = this.init.walk && !(bytes instanceof Uint8Array) && bytes.byteLength <= REUSED_BLOCK_SIZE &&
      !mayHaveLinks(cid) && this.init.blockstore instanceof FsBlockstore
    const data = reuse ? this.buffers.copy(bytes) : contiguous(bytes)
    const stored = this.store(cid, data, peer)
    stored.catch(err => { this.fail(err) })
    if (reuse) stored.then(() => { this.buffers.give(data) }, () => {})
    return stored
  }

  private async store (cid: CID, bytes: Uint8Array, peer: PeerId): Promise<void> {
    // Policy: links are counted first, also when only this block is fetched: a block over the
    // link limit fails the fetch and is never written (no later walk could use it)
    const links = this.init.walk || cid.code === DAG_PB || cid.code === DAG_CBOR ? linksOf(cid, bytes, this.maxLinksPerBlock) : []
    // one write of the whole block: an iterable of chunks would cost one write call per chunk
    await this.init.blockstore.put(cid, bytes)
    if (!this.init.walk) this.block = bytes
    this.inFlight.delete(cid.toString())
    this.blocksFetched++
    this.bytesFetched += bytes.byteLength
    this.lastProgress = Date.now()
    this.init.onProgress?.({ type: 'agora:fetch:block', cid, bytes: bytes.byteLength, peer })
    if (this.init.walk) this.discover(links)
    this.changed()
  }

  /** Ends the fetch with an error; every waiting worker wakes up. */
  fail (err: Error): void {
    if (this.settled) return
    this.settled = true
    this.finish.reject(err)
    this.changed()
  }

  /** Wakes every waiting worker, e.g. after a provider left. */
  wake (): void {
    this.changed()
  }

  /** Resolves on the next change of state (or at once if settled). */
  async wait (): Promise<void> {
    if (this.settled) return
    await new Promise<void>(resolve => { this.waiters.push(resolve) })
  }

  private changed (): void {
    if (!this.settled && !this.walking && this.toCheck.length === 0 && this.wanted.length === 0 && this.inFlight.size === 0) {
      this.settled = true
      this.finish.resolve()
    }
    const waiters = this.waiters
    this.waiters = []
    for (const w of waiters) w()
  }

  /**
   * Checks discovered CIDs against the store; stored ones are walked locally, missing ones
   * wanted. Identity CIDs are walked from their digest.
   *
   * Policy: an identity block is never stored (it is its CID: storing it would turn each link of
   * a fetched block into a file of ours) and its digest is at most 128 bytes.
   */
  private async walkStored (): Promise<void> {
    let cid: CID | undefined
    while (!this.settled && (cid = this.toCheck.pop()) != null) {
      assertSupportedHash(cid)
      let bytes: BlockBytes | undefined
      if (isIdentity(cid)) {
        bytes = cid.multihash.digest
      } else if (await this.init.blockstore.has(cid)) {
        this.blocksSkipped++
        this.lastProgress = Date.now()
        this.init.onProgress?.({ type: 'agora:fetch:skip', cid })
        if (this.init.walk && mayHaveLinks(cid)) bytes = await readBlock(this.init.blockstore, cid, Infinity)
      } else {
        this.wanted.push(cid)
        this.changed()
        continue
      }
      if (bytes != null && this.init.walk && mayHaveLinks(cid)) this.queue(linksOf(cid, bytes, this.maxLinksPerBlock))
    }
    log.trace('local walk done, %d wanted', this.wanted.length)
  }
}

/** A promise with its settle functions (Promise.withResolvers is beyond our ES2023 lib). */
export function deferred (): { promise: Promise<void>, resolve: () => void, reject: (err: Error) => void } {
  let resolve!: () => void
  let reject!: (err: Error) => void
  const promise = new Promise<void>((_resolve, _reject) => { resolve = _resolve; reject = _reject })
  return { promise, resolve, reject }
}
