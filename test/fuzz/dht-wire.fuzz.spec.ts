/**
 * Fuzzing the `/agora/fetch/1.0.0` decoders: WANT and BLOCK / DONT_HAVE bodies, and the frame
 * reader over a hostile byte stream. Every input either decodes into a value that re-encodes to
 * a valid message or is refused with the wire module's named errors.
 */
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js'
import fc from 'fast-check'
import { CID } from 'multiformats/cid'
import * as Digest from 'multiformats/hashes/digest'
import { Uint8ArrayList } from 'uint8arraylist'
import { describe, expect, it } from 'vitest'
import { MAX_CID_LENGTH, MAX_WANT_CIDS } from '../../src/dht/constants.ts'
import { BLOCK, decodeResponse, decodeWant, encodeBlock, encodeDontHave, encodeWant, FrameReader, readVarint } from '../../src/dht/wire.ts'
import { arrayBufferGrowth, decodeOrNamed, decodeOrNamedAsync, fuzzBudget } from './budget.ts'
import { concat, hostileBytes } from './mutate.ts'
import type { ByteSource } from '../../src/dht/wire.ts'

const budget = fuzzBudget(5)

/** What the body decoders may throw: nothing but MalformedMessageError (wire.ts contract). */
const BODY_ERRORS = ['MalformedMessageError']
/** What the frame reader may throw on a stream that ends (no timeouts here: the source never hangs). */
const FRAME_ERRORS = ['MalformedMessageError', 'MessageTooLargeError', 'TruncatedStreamError']

const cidOf = (s: string, codec = 0x55): CID => CID.createV1(codec, Digest.create(0x12, nobleSha256(new TextEncoder().encode(s))))
const CIDS = ['a', 'b', 'c', 'd'].map((s, i) => cidOf(s, i % 2 === 0 ? 0x55 : 0x70))

/** A body as the frame reader returns it: the framed message without its length prefix. */
function body (framed: Uint8ArrayList): Uint8Array {
  const bytes = framed.subarray()
  const [, start] = readVarint(bytes, 0) as [number, number]
  return bytes.subarray(start)
}

const validWants = [body(encodeWant(CIDS)), body(encodeWant([CIDS[0]])), body(encodeWant([cidOf('v0')]))]
const validResponses = [body(encodeBlock(CIDS[0], Uint8Array.from([1, 2, 3]))), body(encodeDontHave(CIDS[1])), body(encodeBlock(CIDS[2], new Uint8Array(0)))]

/** A source that yields `chunks` and then ends. */
function source (chunks: Uint8Array[]): ByteSource {
  const queue = [...chunks]
  return {
    async read () {
      const next = queue.shift()
      return next == null ? null : new Uint8ArrayList(next)
    }
  }
}

/** `bytes` cut at the given (sorted, de-duplicated) offsets. */
function split (bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map(c => c % (bytes.length + 1)))].sort((a, b) => a - b)
  const out: Uint8Array[] = []
  let last = 0
  for (const p of [...points, bytes.length]) {
    if (p > last) out.push(bytes.subarray(last, p))
    last = p
  }
  return out
}

describe('fuzz: fetch wire format', () => {
  it('decodeWant: mutated and random bodies give 1..MAX_WANT_CIDS CIDs that re-encode, or MalformedMessageError', () => {
    fc.assert(fc.property(hostileBytes(...validWants), bytes => {
      const cids = decodeOrNamed(() => decodeWant(new Uint8ArrayList(bytes)), BODY_ERRORS)
      if (cids == null) return
      expect(cids.length).toBeGreaterThanOrEqual(1)
      expect(cids.length).toBeLessThanOrEqual(MAX_WANT_CIDS)
      // what was accepted is a WANT the encoder would have produced: decoding is lossless
      expect(decodeWant(new Uint8ArrayList(body(encodeWant(cids)))).map(String)).toEqual(cids.map(String))
    }), budget.params(400))
  }, budget.timeout)

  it('decodeResponse: mutated and random bodies give a BLOCK or DONT_HAVE with a valid CID, or MalformedMessageError', () => {
    fc.assert(fc.property(hostileBytes(...validResponses), bytes => {
      const res = decodeOrNamed(() => decodeResponse(new Uint8ArrayList(bytes)), BODY_ERRORS)
      if (res == null) return
      expect(res.cid.bytes.byteLength).toBeLessThanOrEqual(MAX_CID_LENGTH)
      // re-encoding the decoded answer gives back exactly the body: nothing was dropped or invented
      const again = res.type === BLOCK ? encodeBlock(res.cid, res.bytes) : encodeDontHave(res.cid)
      expect(body(again)).toEqual(bytes)
    }), budget.params(400))
  }, budget.timeout)

  it('FrameReader: any byte stream, cut anywhere, yields bodies within the limit or a named error', async () => {
    const stream = fc.oneof(
      fc.uint8Array({ maxLength: 300 }),
      fc.array(fc.constantFrom(...validWants, ...validResponses), { minLength: 1, maxLength: 4 })
        .map(bodies => concat(...bodies.map(b => encodeWantFrame(b))))
        .chain(b => hostileBytes(b))
    )
    await fc.assert(fc.asyncProperty(stream, fc.array(fc.nat(), { maxLength: 6 }), fc.integer({ min: 1, max: 200 }), async (bytes, cuts, maxLength) => {
      const reader = new FrameReader(source(split(bytes, cuts)), maxLength)
      let total = 0
      await decodeOrNamedAsync(async () => {
        for (let i = 0; i < 1000; i++) {
          const next = await reader.next(5_000)
          if (next == null) return
          // a body is never empty and never above the limit, and bodies never add up to more than was sent
          expect(next.byteLength).toBeGreaterThanOrEqual(1)
          expect(next.byteLength).toBeLessThanOrEqual(maxLength)
          total += next.byteLength
          expect(total).toBeLessThanOrEqual(bytes.length)
        }
      }, FRAME_ERRORS)
    }), budget.params(300))
  }, budget.timeout)

  it('FrameReader: a length prefix claiming up to 2^35 bytes is refused as soon as it arrives, without buffering', async () => {
    // 5-byte varints up to 2^35 − 1; any length above the limit must be refused before any body
    // byte is awaited (the source ends right after the prefix: waiting would be TruncatedStreamError)
    const claims = fc.integer({ min: 1_048_577, max: 2 ** 35 - 1 })
    let growth = 0
    await fc.assert(fc.asyncProperty(claims, async claim => {
      growth = Math.max(growth, await arrayBufferGrowth(async () => {
        const reader = new FrameReader(source([varint(claim)]), 1024 * 1024)
        await expect(reader.next(5_000)).rejects.toHaveProperty('name', 'MessageTooLargeError')
      }))
    }), budget.params(100))
    // refusing a claim allocates nothing of its size: far below even one MiB per case
    expect(growth).toBeLessThan(1024 * 1024)
  }, budget.timeout)

  it('finding: a CID written as 0x00 ‖ raw codec ‖ multihash (which CID.decode reads as a dag-pb CIDv0) is refused', () => {
    // found by the decodeResponse property: the decoded CID named another codec than the bytes
    const mh = CIDS[0].multihash.bytes
    const cidBytes = concat(Uint8Array.of(0x00, 0x55), mh)
    const want = concat(Uint8Array.of(0x01, cidBytes.length), cidBytes)
    expect(() => decodeWant(new Uint8ArrayList(want))).toThrow(expect.objectContaining({ name: 'MalformedMessageError' }))
  })

  it('readVarint: a varint of more than 5 bytes is MalformedMessageError; shorter ones decode or ask for more', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 12 }), bytes => {
      const r = decodeOrNamed(() => readVarint(bytes, 0), BODY_ERRORS)
      if (r == null) return
      const [value, next] = r
      // at most 5 bytes are consumed, so the value stays below 2^35
      expect(next).toBeLessThanOrEqual(5)
      expect(value).toBeLessThan(2 ** 35)
    }), budget.params(300))
  }, budget.timeout)
})

/** An unsigned varint. */
function varint (n: number): Uint8Array {
  const out: number[] = []
  while (n >= 0x80) { out.push((n % 128) | 0x80); n = Math.floor(n / 128) }
  out.push(n)
  return Uint8Array.from(out)
}

/** A body framed with its length. */
function encodeWantFrame (b: Uint8Array): Uint8Array {
  return concat(varint(b.length), b)
}
