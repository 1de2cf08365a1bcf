/**
 * The serving side of `/agora/fetch/1.0.0`: answers each WANT with one BLOCK or DONT_HAVE per
 * CID, in order, reading a few blocks ahead from the blockstore and waiting for 'drain' whenever
 * the stream's write buffer is full.
 */
import { logger } from '@libp2p/logger'
import { byteStream } from '@libp2p/utils'
import { pEvent } from 'p-event'
import { Uint8ArrayList } from 'uint8arraylist'
import { MAX_WANT_MESSAGE } from './constants.ts'
import { decodeWant, encodeBlock, encodeDontHave, FrameReader } from './wire.ts'
import type { ServeEvent } from './types.ts'
import type { Connection, Stream } from '@libp2p/interface'
import type { Blockstore } from 'interface-blockstore'
import type { CID } from 'multiformats/cid'

const log = logger('agora:dht:serve')

/** Blocks read from disk ahead of the one being sent. */
const READ_AHEAD = 4

export interface FetchServerInit {
  blockstore: Blockstore
  maxBlockSize: number
  idleTimeout: number
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
    try {
      while (true) {
        const body = await reader.next(init.idleTimeout)
        if (body == null) break
        const cids = decodeWant(body)
        await serveBatch(init, stream, peer, cids)
      }
      await stream.close()
    } catch (err: any) {
      log('stream from %p failed - %e', peer, err)
      init.onServe?.({ type: 'agora:serve:error', peer, error: err })
      stream.abort(err)
    }
  }
}

async function serveBatch (init: FetchServerInit, stream: Stream, peer: Connection['remotePeer'], cids: CID[]): Promise<void> {
  const reads: Array<Promise<Uint8ArrayList | undefined>> = []
  const startRead = (i: number): void => {
    if (i < cids.length) {
      const p = readBlock(init.blockstore, cids[i], init.maxBlockSize)
      p.catch(() => {}) // awaited below in order; this only prevents an unhandled rejection meanwhile
      reads[i] = p
    }
  }
  for (let i = 0; i < READ_AHEAD; i++) startRead(i)
  for (let i = 0; i < cids.length; i++) {
    const bytes = await reads[i]
    reads[i] = Promise.resolve(undefined)
    startRead(i + READ_AHEAD)
    if (bytes == null) {
      await send(stream, encodeDontHave(cids[i]), init.idleTimeout)
      init.onServe?.({ type: 'agora:serve:dont-have', peer, cid: cids[i] })
    } else {
      await send(stream, encodeBlock(cids[i], bytes), init.idleTimeout)
      init.onServe?.({ type: 'agora:serve:block', peer, cid: cids[i], bytes: bytes.byteLength })
    }
  }
}
