import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  HEADER_SIZE, TAG_SIZE, chunkCount, decryptBytes, decryptStream, encryptBytes, encryptStream, encryptedSize, parseHeader
} from '../../src/market/chunk-cipher.ts'
import { ciphertextSpan, decryptRange, readHeader } from '../../src/market/chunk-range.ts'
import type { CiphertextReader } from '../../src/market/chunk-range.ts'

const CS = 1024 // the smallest chunk size, so small inputs span many chunks
const KEY = new Uint8Array(32).fill(9)
const failures = /DecryptionError|CiphertextFormatError/

function readerOf (ct: Uint8Array): CiphertextReader {
  return async (offset, length) => ct.slice(offset, offset + length)
}

async function drain (it: AsyncIterable<Uint8Array>): Promise<Uint8Array[]> {
  const out: Uint8Array[] = []
  for await (const b of it) out.push(b)
  return out
}

const plaintexts = fc.uint8Array({ minLength: 0, maxLength: 5 * CS + 17 })

describe('chunk cipher', () => {
  it('default: encrypt then decrypt round-trips, with the documented size', async () => {
    const plain = Uint8Array.from({ length: 3000 }, (_, i) => i % 251)
    const ct = await encryptBytes(KEY, plain, { chunkSize: CS })
    // 3000 bytes in 1024-byte chunks = 3 chunks: 40 header + 3000 + 3 tags of 16
    expect(ct.length).toBe(40 + 3000 + 3 * 16)
    expect(encryptedSize(3000, CS)).toBe(ct.length)
    expect(await decryptBytes(KEY, ct)).toEqual(plain)
    expect(parseHeader(ct)).toMatchObject({ chunkSize: CS, plaintextLength: 3000 })
  })

  it('behavior: empty content has one authenticated chunk', async () => {
    const ct = await encryptBytes(KEY, new Uint8Array(0), { chunkSize: CS })
    expect(ct.length).toBe(HEADER_SIZE + TAG_SIZE)
    expect(await decryptBytes(KEY, ct)).toEqual(new Uint8Array(0))
    await expect(decryptBytes(KEY, ct.subarray(0, HEADER_SIZE))).rejects.toHaveProperty('name', 'CiphertextFormatError')
  })

  it('behavior: any range decrypts alone to the same bytes (property)', async () => {
    await fc.assert(fc.asyncProperty(plaintexts, fc.nat(), fc.nat(), async (plain, a, b) => {
      const ct = await encryptBytes(KEY, plain, { chunkSize: CS })
      const start = plain.length === 0 ? 0 : a % (plain.length + 1)
      const end = start + (plain.length === start ? 0 : b % (plain.length - start + 1))
      const header = await readHeader(readerOf(ct))
      expect(await decryptRange(KEY, header, start, end, readerOf(ct))).toEqual(plain.subarray(start, end))
      const span = ciphertextSpan(header, start, end)
      expect(span.offset + span.length).toBeLessThanOrEqual(ct.length)
    }), { numRuns: 60 })
  })

  it('behavior: streaming with arbitrary input pieces gives the same ciphertext and plaintext', async () => {
    await fc.assert(fc.asyncProperty(plaintexts, fc.array(fc.integer({ min: 1, max: 3000 }), { minLength: 1, maxLength: 8 }), async (plain, cuts) => {
      const salt = new Uint8Array(16).fill(4)
      const pieces: Uint8Array[] = []
      for (let o = 0, i = 0; o < plain.length; i++) {
        const n = cuts[i % cuts.length]
        pieces.push(plain.subarray(o, o + n))
        o += n
      }
      const whole = await encryptBytes(KEY, plain, { chunkSize: CS, salt })
      const streamed = Buffer.concat(await drain(encryptStream(KEY, pieces, { plaintextLength: plain.length, chunkSize: CS, salt })))
      expect(Uint8Array.from(streamed)).toEqual(whole)
      const ctPieces = cuts.map((_, i) => whole.subarray(i * 100, i * 100 + 100)).concat([whole.subarray(cuts.length * 100)])
      expect(Uint8Array.from(Buffer.concat(await drain(decryptStream(KEY, ctPieces))))).toEqual(plain)
    }), { numRuns: 40 })
  })

  it('behavior: any flipped bit fails whole and range decryption (property)', async () => {
    await fc.assert(fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 3 * CS }), fc.nat(), async (plain, r) => {
      const ct = await encryptBytes(KEY, plain, { chunkSize: CS })
      const bit = r % (ct.length * 8)
      const bad = ct.slice()
      bad[bit >> 3] ^= 1 << (bit & 7)
      await expect(decryptBytes(KEY, bad)).rejects.toHaveProperty('name', expect.stringMatching(failures))
      // the range over the whole content reads every chunk, so it must fail too
      const header = bit < HEADER_SIZE * 8 ? null : parseHeader(bad)
      if (header != null) {
        await expect(decryptRange(KEY, header, 0, plain.length, readerOf(bad))).rejects.toHaveProperty('name', 'DecryptionError')
      }
    }), { numRuns: 80 })
  })

  it('behavior: reordered, dropped, duplicated chunks and truncation fail (property)', async () => {
    await fc.assert(fc.asyncProperty(fc.uint8Array({ minLength: 2 * CS + 1, maxLength: 5 * CS }), fc.nat(), fc.nat(), async (plain, r1, r2) => {
      const ct = await encryptBytes(KEY, plain, { chunkSize: CS })
      const n = chunkCount(plain.length, CS)
      const chunks = Array.from({ length: n }, (_, i) => ct.subarray(HEADER_SIZE + i * (CS + TAG_SIZE), Math.min(ct.length, HEADER_SIZE + (i + 1) * (CS + TAG_SIZE))))
      const head = ct.subarray(0, HEADER_SIZE)
      const i = r1 % (n - 1)
      const j = i + 1 + (r2 % (n - 1 - i))
      const swapped = chunks.slice()
      ;[swapped[i], swapped[j]] = [swapped[j], swapped[i]]
      const dropped = chunks.filter((_, k) => k !== i)
      const duplicated = [...chunks.slice(0, i + 1), chunks[i], ...chunks.slice(i + 1)]
      for (const variant of [swapped, dropped, duplicated]) {
        await expect(decryptBytes(KEY, Buffer.concat([head, ...variant]))).rejects.toHaveProperty('name', expect.stringMatching(failures))
      }
      const cut = HEADER_SIZE + (r2 % (ct.length - HEADER_SIZE))
      await expect(decryptBytes(KEY, ct.subarray(0, cut))).rejects.toHaveProperty('name', expect.stringMatching(failures))
      // a whole trailing chunk dropped with the header still claiming it: format error
      await expect(decryptBytes(KEY, Buffer.concat([head, ...chunks.slice(0, n - 1)]))).rejects.toHaveProperty('name', 'CiphertextFormatError')
    }), { numRuns: 40 })
  })

  it('behavior: a header that lies about the length fails authentication of every chunk', async () => {
    const plain = new Uint8Array(2 * CS)
    const ct = await encryptBytes(KEY, plain, { chunkSize: CS })
    const bad = ct.slice()
    new DataView(bad.buffer).setBigUint64(16, BigInt(CS)) // claim one chunk only, drop the second
    await expect(decryptBytes(KEY, bad.subarray(0, HEADER_SIZE + CS + TAG_SIZE))).rejects.toHaveProperty('name', 'DecryptionError')
  })

  it('behavior: the wrong key fails', async () => {
    const ct = await encryptBytes(KEY, new Uint8Array(100), { chunkSize: CS })
    await expect(decryptBytes(new Uint8Array(32), ct)).rejects.toHaveProperty('name', 'DecryptionError')
  })

  it('behavior: a source that yields more or fewer bytes than declared is refused', async () => {
    await expect(drain(encryptStream(KEY, [new Uint8Array(10)], { plaintextLength: 11, chunkSize: CS }))).rejects.toHaveProperty('name', 'InvalidParametersError')
    await expect(drain(encryptStream(KEY, [new Uint8Array(3000)], { plaintextLength: 2048, chunkSize: CS }))).rejects.toHaveProperty('name', 'InvalidParametersError')
    await expect(drain(encryptStream(KEY, [new Uint8Array(1)], { plaintextLength: 0, chunkSize: CS }))).rejects.toHaveProperty('name', 'InvalidParametersError')
  })

  it('behavior: a range outside the content is a RangeError', async () => {
    const ct = await encryptBytes(KEY, new Uint8Array(100), { chunkSize: CS })
    const header = parseHeader(ct)
    expect(() => ciphertextSpan(header, 50, 101)).toThrow(RangeError)
    expect(() => ciphertextSpan(header, 60, 50)).toThrow(RangeError)
  })
})
