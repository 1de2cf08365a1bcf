/**
 * The catalogue protocol, `/agora/catalogue/2.0.0`: a peer that meets another pulls the current
 * listings it holds, and later (every minute, from a random peer) those it has not seen yet. The
 * puller sends one request frame; the server answers with one length-prefixed frame per listing
 * envelope and an empty frame at the end. Every frame is size-checked before it is read and
 * every listing is verified by the puller's ingest.
 *
 * Flow control: the server sends in windows of {@link CATALOGUE_WINDOW_BYTES} (counted as the
 * listing bytes of its frames) and may be {@link CATALOGUE_WINDOWS_AHEAD} windows ahead of the
 * puller; the puller sends a one-byte credit frame `[3]` each time it has read a whole window, and
 * the server waits for it. So the puller's stream buffers at most two windows and a frame,
 * however slow its ingest, where a server that wrote ahead overflowed the stream's 4 MiB read
 * buffer (`StreamBufferError`) and the pull of a big catalogue failed.
 *
 * Requests: `[1]` asks for every current listing. `[2, instance (8 bytes), position (u32 BE)]`
 * asks for those the server indexed at or after `position` of its index run `instance` (all of
 * them when the instance is not the server's current one), and the server adds, after the empty
 * frame, a trailer `[instance (8 bytes), position (u32 BE)]`: where to ask from next time. The
 * trailer's position is taken before the listings are sent, so a listing indexed meanwhile comes
 * again next time rather than never.
 */
import { logger } from '@libp2p/logger'
import { lpStream } from '@libp2p/utils'
import { MAX_LISTING_BYTES } from './constants.ts'
import { CatalogueLimitError } from './errors.ts'
import type { ListingIngest } from './gossip.ts'
import type { AbortOptions, Connection, Libp2p, PeerId, Stream } from '@libp2p/interface'

const log = logger('agora:market:catalogue')

/** The protocol id. */
export const CATALOGUE_PROTOCOL = '/agora/catalogue/2.0.0'
/** Bytes of listings per flow-control window. */
export const CATALOGUE_WINDOW_BYTES = 1024 * 1024
/** Windows the server may send ahead of the puller's credits. */
export const CATALOGUE_WINDOWS_AHEAD = 2

/** Request "all current listings". */
const REQUEST_ALL = 1
/** Request "the listings since a cursor", answered with a trailer. */
const REQUEST_SINCE = 2
/** The puller's credit: it has read one more window. */
const CREDIT = 3
const INSTANCE_BYTES = 8
const CURSOR_BYTES = INSTANCE_BYTES + 4

/** A position in a server's catalogue: the run of its index and how far into it. */
export interface CatalogueCursor {
  instance: Uint8Array
  position: number
}

/** What a server sends for a request: its listings and the cursor to come back with. */
export interface CatalogueAnswer {
  listings: AsyncIterable<Uint8Array> | Iterable<Uint8Array>
  next: CatalogueCursor
}

/**
 * The server's listings after `from` (every current one when `from` is undefined or of another
 * index run), with the cursor taken before them.
 */
export type CatalogueSource = (from: CatalogueCursor | undefined, options: AbortOptions) => CatalogueAnswer

function encodeCursor (c: CatalogueCursor): Uint8Array {
  const out = new Uint8Array(CURSOR_BYTES)
  out.set(c.instance.subarray(0, INSTANCE_BYTES))
  new DataView(out.buffer).setUint32(INSTANCE_BYTES, c.position)
  return out
}

function decodeCursor (b: Uint8Array): CatalogueCursor {
  if (b.byteLength !== CURSOR_BYTES) throw new CatalogueLimitError(`a catalogue cursor is ${CURSOR_BYTES} bytes, got ${b.byteLength}`)
  return { instance: Uint8Array.from(b.subarray(0, INSTANCE_BYTES)), position: new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(INSTANCE_BYTES) }
}

/** Bounds of one catalogue exchange. */
export interface CatalogueLimits {
  /** Listings accepted from one peer in one pull. @default 200_000 */
  maxListings: number
  /** Bytes accepted from one peer in one pull. @default 256 MiB */
  maxBytes: number
  /** Time limit of one whole exchange, ms. @default 120_000 */
  timeout: number
}

/** The default limits. */
export const DEFAULT_CATALOGUE_LIMITS: CatalogueLimits = { maxListings: 200_000, maxBytes: 256 * 1024 * 1024, timeout: 120_000 }

/** What one pull did. */
export interface PullResult {
  /** Frames received. */
  received: number
  /** Listings the index took (new or newer). */
  accepted: number
  /** Listings refused (invalid, stale, expired). */
  refused: number
  /** Where to pull from next time. */
  next?: CatalogueCursor
}

/** The server side: answers a request with the listings `source` gives for it. */
export function catalogueHandler (source: CatalogueSource, limits: CatalogueLimits = DEFAULT_CATALOGUE_LIMITS): (stream: Stream, connection: Connection) => Promise<void> {
  return async (stream, connection) => {
    const signal = AbortSignal.timeout(limits.timeout)
    try {
      const lp = lpStream(stream, { maxDataLength: 16 })
      const req = (await lp.read({ signal })).subarray()
      let from: CatalogueCursor | undefined
      if (req.byteLength === 1 + CURSOR_BYTES && req[0] === REQUEST_SINCE) from = decodeCursor(req.subarray(1))
      else if (req.byteLength !== 1 || req[0] !== REQUEST_ALL) throw new CatalogueLimitError('unknown catalogue request')
      const answer = source(from, { signal })
      let sent = 0
      let windowBytes = 0
      let credits = CATALOGUE_WINDOWS_AHEAD
      for await (const bytes of answer.listings) {
        await lp.write(bytes, { signal })
        sent++
        windowBytes += bytes.byteLength
        if (windowBytes < CATALOGUE_WINDOW_BYTES) continue
        windowBytes = 0
        if (--credits > 0) continue
        const credit = (await lp.read({ signal })).subarray()
        if (credit.byteLength !== 1 || credit[0] !== CREDIT) throw new CatalogueLimitError('expected a catalogue credit frame')
        credits++
      }
      await lp.write(new Uint8Array(0), { signal })
      if (req[0] === REQUEST_SINCE) await lp.write(encodeCursor(answer.next), { signal })
      await stream.close({ signal })
      log('sent %d listings to %p', sent, connection.remotePeer)
    } catch (err: any) {
      log('catalogue stream from %p failed - %e', connection.remotePeer, err)
      stream.abort(err)
    }
  }
}

/**
 * The client side: pulls into `ingest` the listings `peer` holds (since `from`, when given: the
 * `next` cursor of an earlier pull from it). Policy: frames above the listing size limit, more
 * listings or bytes than `limits` allow, or no end within the time limit end the pull with
 * `CatalogueLimitError`; what was ingested before stays (each was verified).
 */
export async function pullCatalogue (libp2p: Libp2p, peer: PeerId, ingest: ListingIngest, limits: CatalogueLimits = DEFAULT_CATALOGUE_LIMITS, options: AbortOptions & { from?: CatalogueCursor } = {}): Promise<PullResult> {
  const signal = AbortSignal.any([AbortSignal.timeout(limits.timeout), ...(options.signal != null ? [options.signal] : [])])
  const stream = await libp2p.dialProtocol(peer, CATALOGUE_PROTOCOL, { signal })
  const result: PullResult = { received: 0, accepted: 0, refused: 0 }
  let bytes = 0
  let windowBytes = 0
  try {
    const lp = lpStream(stream, { maxDataLength: MAX_LISTING_BYTES })
    const request = new Uint8Array(1 + CURSOR_BYTES)
    request[0] = REQUEST_SINCE
    // no cursor yet: an instance of zeros, which is no index run's, asks for everything
    request.set(encodeCursor(options.from ?? { instance: new Uint8Array(INSTANCE_BYTES), position: 0 }), 1)
    await lp.write(request, { signal })
    while (true) {
      const frame = await lp.read({ signal })
      if (frame.byteLength === 0) {
        result.next = decodeCursor((await lp.read({ signal })).subarray())
        break
      }
      result.received++
      bytes += frame.byteLength
      windowBytes += frame.byteLength
      if (windowBytes >= CATALOGUE_WINDOW_BYTES) {
        windowBytes = 0
        await lp.write(Uint8Array.of(CREDIT), { signal })
      }
      if (result.received > limits.maxListings || bytes > limits.maxBytes) {
        throw new CatalogueLimitError(`peer ${peer.toString()} sent more than ${limits.maxListings} listings or ${limits.maxBytes} bytes`)
      }
      try {
        const status = await ingest(frame.subarray(), peer.toString())
        if (status !== 'unchanged') result.accepted++
      } catch (err) {
        result.refused++
        log('refused a listing from %p - %e', peer, err)
      }
    }
    await stream.close({ signal })
  } catch (err: any) {
    stream.abort(err)
    if (err?.name === 'InvalidDataLengthError') throw new CatalogueLimitError(`peer ${peer.toString()} sent a frame above ${MAX_LISTING_BYTES} bytes`, { cause: err })
    throw err
  }
  return result
}
