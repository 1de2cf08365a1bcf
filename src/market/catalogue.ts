/**
 * The catalogue protocol, `/agora/catalogue/1.0.0`: a peer that meets another pulls every current
 * listing it holds. The puller sends one request frame; the server answers with one
 * length-prefixed frame per listing envelope and an empty frame at the end. Every frame is
 * size-checked before it is read and every listing is verified by the puller's ingest.
 */
import { logger } from '@libp2p/logger'
import { lpStream } from '@libp2p/utils'
import { MAX_LISTING_BYTES } from './constants.ts'
import { CatalogueLimitError } from './errors.ts'
import type { ListingIngest } from './gossip.ts'
import type { AbortOptions, Connection, Libp2p, PeerId, Stream } from '@libp2p/interface'

const log = logger('agora:market:catalogue')

/** The protocol id. */
export const CATALOGUE_PROTOCOL = '/agora/catalogue/1.0.0'

/** The one request there is: "all current listings". */
const REQUEST_ALL = new Uint8Array([1])

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
}

/** The server side: answers a request with every listing `source` yields. */
export function catalogueHandler (source: (options: AbortOptions) => AsyncIterable<Uint8Array>, limits: CatalogueLimits = DEFAULT_CATALOGUE_LIMITS): (stream: Stream, connection: Connection) => Promise<void> {
  return async (stream, connection) => {
    const signal = AbortSignal.timeout(limits.timeout)
    try {
      const lp = lpStream(stream, { maxDataLength: 16 })
      const req = await lp.read({ signal })
      if (req.byteLength !== 1 || req.get(0) !== REQUEST_ALL[0]) throw new CatalogueLimitError('unknown catalogue request')
      let sent = 0
      for await (const bytes of source({ signal })) {
        await lp.write(bytes, { signal })
        sent++
      }
      await lp.write(new Uint8Array(0), { signal })
      await stream.close({ signal })
      log('sent %d listings to %p', sent, connection.remotePeer)
    } catch (err: any) {
      log('catalogue stream from %p failed - %e', connection.remotePeer, err)
      stream.abort(err)
    }
  }
}

/**
 * The client side: pulls every listing `peer` holds into `ingest`. Policy: frames above the
 * listing size limit, more listings or bytes than `limits` allow, or no end within the time limit
 * end the pull with `CatalogueLimitError`; what was ingested before stays (each was verified).
 */
export async function pullCatalogue (libp2p: Libp2p, peer: PeerId, ingest: ListingIngest, limits: CatalogueLimits = DEFAULT_CATALOGUE_LIMITS, options: AbortOptions = {}): Promise<PullResult> {
  const signal = AbortSignal.any([AbortSignal.timeout(limits.timeout), ...(options.signal != null ? [options.signal] : [])])
  const stream = await libp2p.dialProtocol(peer, CATALOGUE_PROTOCOL, { signal })
  const result: PullResult = { received: 0, accepted: 0, refused: 0 }
  let bytes = 0
  try {
    const lp = lpStream(stream, { maxDataLength: MAX_LISTING_BYTES })
    await lp.write(REQUEST_ALL, { signal })
    while (true) {
      const frame = await lp.read({ signal })
      if (frame.byteLength === 0) break
      result.received++
      bytes += frame.byteLength
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
