/**
 * Framing and messages of /agora/fetch/1.0.0: round trips, size limits checked before reading
 * a body, and arbitrary bytes never escaping as anything but MalformedMessageError.
 */
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js'
import fc from 'fast-check'
import { CID } from 'multiformats/cid'
import * as Digest from 'multiformats/hashes/digest'
import { Uint8ArrayList } from 'uint8arraylist'
import { describe, expect, it } from 'vitest'
import { MAX_WANT_CIDS } from '../../src/dht/constants.ts'
import { BLOCK, decodeResponse, decodeWant, DONT_HAVE, encodeBlock, encodeDontHave, encodeWant, FrameReader } from '../../src/dht/wire.ts'
import type { ByteSource } from '../../src/dht/wire.ts'

const cidOf = (s: string): CID => CID.createV1(0x55, Digest.create(0x12, nobleSha256(new TextEncoder().encode(s))))

/** A byte source that yields the given chunks, then ends (or, with `hang`, never answers again). */
function source (chunks: Uint8Array[], hang = false): ByteSource {
  return {
    async read (options) {
      const next = chunks.shift()
      if (next != null) return new Uint8ArrayList(next)
      if (!hang) return null
      return new Promise((_resolve, reject) => {
        options?.signal?.addEventListener('abort', () => { reject(options.signal?.reason) })
      })
    }
  }
}

describe('wire', () => {
  it('default: WANT, BLOCK and DONT_HAVE survive framing and decoding, split at any byte', async () => {
    const cids = ['a', 'b', 'c'].map(cidOf)
    const block = new Uint8Array(1000).fill(9)
    const bytes = new Uint8ArrayList(encodeWant(cids), encodeBlock(cids[0], block), encodeDontHave(cids[1])).subarray()
    // deliver in 7-byte pieces so that headers and bodies straddle reads
    const pieces: Uint8Array[] = []
    for (let i = 0; i < bytes.length; i += 7) pieces.push(bytes.subarray(i, i + 7))
    const reader = new FrameReader(source(pieces), 2000)
    const want = await reader.next(1000)
    expect(decodeWant(want!).map(String)).toEqual(cids.map(String))
    const res = decodeResponse((await reader.next(1000))!)
    expect(res.type).toBe(BLOCK)
    expect(res.cid.toString()).toBe(cids[0].toString())
    expect(res.type === BLOCK ? res.bytes.subarray() : undefined).toEqual(block)
    expect(decodeResponse((await reader.next(1000))!)).toMatchObject({ type: DONT_HAVE })
    expect(await reader.next(1000)).toBeNull()
  })

  it('behavior: an announced length over the limit is refused before the body arrives', async () => {
    // varint 0x80 0x80 0x04 = 65536; the body never comes (the source would hang)
    const reader = new FrameReader(source([Uint8Array.from([0x80, 0x80, 0x04])], true), 65535)
    await expect(reader.next(60_000)).rejects.toHaveProperty('name', 'MessageTooLargeError')
  })

  it('behavior: a stream ending inside a message is TruncatedStreamError; a silent one StreamStalledError', async () => {
    await expect(new FrameReader(source([Uint8Array.from([10, 1, 2])]), 100).next(1000)).rejects.toHaveProperty('name', 'TruncatedStreamError')
    await expect(new FrameReader(source([Uint8Array.from([10, 1, 2])], true), 100).next(50)).rejects.toHaveProperty('name', 'StreamStalledError')
  })

  it('behavior: malformed WANTs are refused with MalformedMessageError', () => {
    const body = (...b: number[]): Uint8ArrayList => new Uint8ArrayList(Uint8Array.from(b))
    expect(() => decodeWant(body(0x01))).toThrow(expect.objectContaining({ name: 'MalformedMessageError' }))
    expect(() => decodeWant(body(0x02, 0x01, 0x00))).toThrow(expect.objectContaining({ name: 'MalformedMessageError' }))
    expect(() => decodeWant(body(0x01, 0x03, 0xff, 0xff, 0xff))).toThrow(expect.objectContaining({ name: 'MalformedMessageError' }))
    expect(() => decodeWant(body(0x01, 0xff, 0x01))).toThrow(expect.objectContaining({ name: 'MalformedMessageError' }))
    expect(() => encodeWant(new Array(MAX_WANT_CIDS + 1).fill(cidOf('x')))).toThrow(RangeError)
  })

  it('behavior: arbitrary bytes decode or fail only with MalformedMessageError', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 1, maxLength: 200 }), (bytes) => {
      for (const decode of [decodeWant, decodeResponse]) {
        try {
          decode(new Uint8ArrayList(bytes))
        } catch (err: any) {
          expect(err.name).toBe('MalformedMessageError')
        }
      }
    }), { numRuns: 2000 })
  })

  it('behavior: any list of CIDs round-trips through a WANT', () => {
    fc.assert(fc.property(fc.array(fc.string(), { minLength: 1, maxLength: 50 }), (names) => {
      const cids = names.map(cidOf)
      const framed = encodeWant(cids).subarray()
      // skip the varint length prefix: the body starts after the first byte without the 0x80 bit
      let start = 0
      while ((framed[start] & 0x80) !== 0) start++
      expect(decodeWant(new Uint8ArrayList(framed.subarray(start + 1))).map(String)).toEqual(cids.map(String))
    }))
  })
})
