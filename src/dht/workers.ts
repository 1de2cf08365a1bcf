/**
 * Per-provider fetch loops. Each takes wanted CIDs from the shared `FetchState` within a bounded
 * window, so several providers are striped in parallel and memory stays bounded by
 * providers × window × block size.
 */
import { byteStream } from '@libp2p/utils'
import { MAX_WANT_CIDS } from './constants.ts'
import { MalformedMessageError, ProviderLacksBlocksError, TruncatedStreamError } from './errors.ts'
import { send } from './fetch-server.ts'
import { BLOCK, decodeResponse, encodeWant, FrameReader } from './wire.ts'
import { deferred } from './fetch-state.ts'
import type { FetchState } from './fetch-state.ts'
import type { PeerId, Stream } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'

/** Blocks one worker may be writing to the blockstore at once. */
const MAX_PENDING_STORES = 4

export interface WorkerOptions {
  peer: PeerId
  window: number
  messageTimeout: number
  maxMessageSize: number
  signal: AbortSignal
}

/**
 * Fetches over `/agora/fetch/1.0.0` on `stream` until the fetch settles.
 * On any failure the CIDs in flight are released for other providers and the error is thrown.
 */
export async function agoraWorker (state: FetchState, stream: Stream, opts: WorkerOptions): Promise<void> {
  const key = opts.peer.toString()
  // the byte stream keeps a listener attached (no data piles up unread) and bounds what a
  // provider may push at us: at most one window of answers
  const bytes = byteStream(stream, { maxBufferSize: opts.window * opts.maxMessageSize + 65536 })
  const reader = new FrameReader(bytes, opts.maxMessageSize)
  const outstanding: CID[] = []
  const stores = new Set<Promise<void>>()
  try {
    while (!state.settled) {
      const room = opts.window - outstanding.length
      if (room >= Math.ceil(opts.window / 2) || outstanding.length === 0) {
        const cids = state.take(key, Math.min(room, MAX_WANT_CIDS))
        if (cids.length > 0) {
          outstanding.push(...cids)
          await send(stream, encodeWant(cids), opts.messageTimeout)
        }
      }
      if (outstanding.length === 0) {
        if (state.hasWanted() && !state.hasWorkFor(key)) throw new ProviderLacksBlocksError(`${key} lacks every block still wanted`)
        await raceAbort(state.wait(), opts.signal)
        continue
      }
      const body = await reader.next(opts.messageTimeout, { signal: opts.signal })
      if (body == null) throw new TruncatedStreamError(`stream closed with ${outstanding.length} blocks unanswered`)
      const res = decodeResponse(body)
      const expected = outstanding[0]
      if (!res.cid.equals(expected)) throw new MalformedMessageError(`answer for ${res.cid} where ${expected} was next`)
      if (res.type === BLOCK) {
        // stores overlap with reading the next answers; verification already happened here
        const stored = state.received(expected, res.bytes, opts.peer)
        stores.add(stored)
        stored.catch(() => {}).finally(() => stores.delete(stored))
        if (stores.size >= MAX_PENDING_STORES) await Promise.race(stores).catch(() => {})
      } else {
        state.dontHave(expected, opts.peer)
      }
      outstanding.shift() // only now: a block that failed verification must be released too
    }
    await stream.close({ signal: AbortSignal.timeout(opts.messageTimeout) })
  } catch (err: any) {
    state.release(outstanding)
    stream.abort(err)
    throw err
  }
}

/** The part of Helia's Bitswap that the bitswap worker uses. */
export interface BitswapWant {
  want(cid: CID, options: { signal: AbortSignal }): Promise<Uint8Array>
}

/**
 * Fetches over Bitswap from a provider that does not speak our protocol. Bitswap asks every
 * connected peer, so `peer` is only the slot holder; each block is verified again on receipt.
 */
export async function bitswapWorker (state: FetchState, bitswap: BitswapWant, opts: WorkerOptions): Promise<void> {
  const key = opts.peer.toString()
  const controller = new AbortController()
  const signal = AbortSignal.any([controller.signal, opts.signal])
  const inFlight = new Map<string, { cid: CID, promise: Promise<void> }>()
  const one = async (cid: CID): Promise<void> => {
    const bytes = await bitswap.want(cid, { signal: AbortSignal.any([signal, AbortSignal.timeout(opts.messageTimeout)]) })
    await state.received(cid, bytes, opts.peer)
    inFlight.delete(cid.toString())
  }
  try {
    while (!state.settled) {
      for (const cid of state.take(key, opts.window - inFlight.size)) {
        const promise = one(cid)
        promise.catch(() => {}) // raced below; a late rejection after a drop must not be unhandled
        inFlight.set(cid.toString(), { cid, promise })
      }
      if (inFlight.size === 0) {
        await raceAbort(state.wait(), opts.signal)
        continue
      }
      await Promise.race([...inFlight.values()].map(async f => { await f.promise }))
    }
  } catch (err) {
    controller.abort()
    state.release([...inFlight.values()].map(f => f.cid))
    throw err
  }
}

async function raceAbort (p: Promise<void>, signal: AbortSignal): Promise<void> {
  signal.throwIfAborted()
  const { promise, reject } = deferred()
  const onAbort = (): void => { reject(signal.reason) }
  signal.addEventListener('abort', onAbort, { once: true })
  try {
    await Promise.race([p, promise])
  } finally {
    signal.removeEventListener('abort', onAbort)
  }
}
