/**
 * Fuzzing the catalogue protocol's frames (`/agora/catalogue/2.0.0`) in both directions, over
 * in-memory stream pairs (`streamPair` of @libp2p/utils): a hostile server answering a pull
 * with random and mutated frames, and a hostile client sending random requests to the handler.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { byteStream, lpStream, streamPair } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { catalogueHandler, pullCatalogue } from '../../src/market/catalogue.ts'
import { createListing, verifyListing } from '../../src/market/listing.ts'
import { DAY, openModelParams, SELLER_SECRET, T0 } from '../market/helpers.ts'
import { decodeOrNamedAsync, fuzzBudget } from './budget.ts'
import { concat, hostileBytes } from './mutate.ts'
import type { Connection, Libp2p, Stream } from '@libp2p/interface'

const budget = fuzzBudget(2)

/**
 * What a pull may end with: `CatalogueLimitError` (catalogue.ts policy), and the named errors of
 * @libp2p/utils' length-prefixed reader for a stream that ends early or a length prefix longer
 * than it reads (the module passes those through by name).
 */
const PULL_ERRORS = ['CatalogueLimitError', 'UnexpectedEOFError', 'InvalidDataLengthLengthError', 'InvalidMessageLengthError', 'StreamResetError', 'StreamStateError']

const NOW = T0 + DAY
const listing = createListing(openModelParams(), SELLER_SECRET).bytes
const peer = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
const ADDR = multiaddr('/ip4/127.0.0.1/tcp/1')

/** A varint. */
function varint (n: number): Uint8Array {
  const out: number[] = []
  while (n >= 0x80) { out.push((n % 128) | 0x80); n = Math.floor(n / 128) }
  out.push(n)
  return Uint8Array.from(out)
}

const frame = (b: Uint8Array): Uint8Array => concat(varint(b.length), b)
/** A valid answer: one listing, the end frame, the 12-byte cursor trailer. */
const validAnswer = concat(frame(listing), frame(new Uint8Array(0)), frame(new Uint8Array(12).fill(3)))

/**
 * An in-memory stream pair with fixed addresses (streamPair numbers its mock connections' ports
 * by a counter, which passes 65535 in a long fuzz run).
 */
async function pair (): Promise<[Stream, Stream]> {
  return streamPair({ outboundConnection: { remoteAddr: ADDR }, inboundConnection: { remoteAddr: ADDR } })
}

/** The hostile server: reads the request frame, writes `answer` as raw bytes, closes. */
async function answerWith (stream: Stream, answer: Uint8Array): Promise<void> {
  try {
    await lpStream(stream).read()
    await byteStream(stream).write(answer)
    await stream.close()
  } catch {
    // the client gave up first: nothing more to send
  }
}

describe('fuzz: catalogue frames', () => {
  it('pullCatalogue against a hostile server: a result within the limits, or a named error', async () => {
    const answers = fc.oneof(hostileBytes(validAnswer), fc.array(fc.oneof(hostileBytes(listing), fc.constant(listing)), { maxLength: 3 }).map(ls => concat(...ls.map(frame), frame(new Uint8Array(0)), frame(new Uint8Array(12)))))
    await fc.assert(fc.asyncProperty(answers, async answer => {
      const [outbound, inbound] = await pair()
      const serve = answerWith(inbound, answer)
      const libp2p = { dialProtocol: async () => outbound } as unknown as Libp2p
      let ingested = 0
      const r = await decodeOrNamedAsync(async () => pullCatalogue(libp2p, peer, async bytes => { verifyListing(bytes, { now: NOW }); ingested++; return 'added' }, { maxListings: 5, maxBytes: 1 << 20, timeout: 5_000 }), PULL_ERRORS)
      await serve
      if (r == null) return
      // only listings that verified were counted as accepted, and never more than the limit
      expect(r.accepted).toBe(ingested)
      expect(r.received).toBeLessThanOrEqual(5)
      expect(r.next?.instance.byteLength).toBe(8)
    }), budget.params(100))
  }, budget.timeout)

  it('catalogueHandler against a hostile client: never throws, and answers only the two request forms', async () => {
    const requests = fc.oneof(
      fc.uint8Array({ maxLength: 40 }),
      hostileBytes(frame(Uint8Array.of(1)), frame(concat(Uint8Array.of(2), new Uint8Array(12))))
    )
    const connection = { remotePeer: peer } as unknown as Connection
    await fc.assert(fc.asyncProperty(requests, async request => {
      const [outbound, inbound] = await pair()
      let asked = 0
      const handler = catalogueHandler(() => { asked++; return { listings: [listing], next: { instance: new Uint8Array(8).fill(1), position: 1 } } }, { maxListings: 5, maxBytes: 1 << 20, timeout: 2_000 })
      const handled = handler(inbound, connection)
      await byteStream(outbound).write(request).catch(() => {})
      await outbound.close().catch(() => {})
      // the handler catches everything itself (it resets the stream): awaiting it never rejects
      await expect(handled).resolves.toBeUndefined()
      // the source is consulted only when the first frame is one of the request forms [1] and
      // [2, cursor] (bytes after that frame are never read)
      const known = (request[0] === 1 && request[1] === 1) || (request[0] === 13 && request[1] === 2 && request.length >= 14)
      if (!known) expect(asked).toBe(0)
    }), budget.params(100))
  }, budget.timeout)
})
