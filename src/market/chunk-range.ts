/**
 * Range reads of encrypted content: which ciphertext bytes hold a plaintext range, and how to
 * fetch, authenticate and decrypt only those chunks.
 */
import type { AbortOptions } from '@libp2p/interface'
import { chunkCount, chunkOffset, chunkPlainLength, decryptChunk, parseHeader, HEADER_SIZE, TAG_SIZE } from './chunk-cipher.ts'
import type { CipherHeader } from './chunk-cipher.ts'
import { CiphertextFormatError } from './errors.ts'

/** Reads `length` ciphertext bytes at `offset` (from a blockstore, a peer, a file…). */
export type CiphertextReader = (offset: number, length: number, options?: AbortOptions) => Promise<Uint8Array>

/** The chunks and ciphertext bytes that hold plaintext `[start, end)`. */
export interface CiphertextSpan {
  firstChunk: number
  lastChunk: number
  /** Ciphertext offset of the first chunk. */
  offset: number
  /** Ciphertext bytes from `offset` to the end of the last chunk. */
  length: number
}

/** The ciphertext span for plaintext `[start, end)`; throws `RangeError` outside the content. */
export function ciphertextSpan (header: CipherHeader, start: number, end: number): CiphertextSpan {
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start || end > header.plaintextLength) {
    throw new RangeError(`range [${start}, ${end}) is outside [0, ${header.plaintextLength})`)
  }
  const n = chunkCount(header.plaintextLength, header.chunkSize)
  const firstChunk = Math.min(Math.floor(start / header.chunkSize), n - 1)
  const lastChunk = end === start ? firstChunk : Math.floor((end - 1) / header.chunkSize)
  const offset = chunkOffset(header, firstChunk)
  const length = chunkOffset(header, lastChunk) + chunkPlainLength(header, lastChunk) + TAG_SIZE - offset
  return { firstChunk, lastChunk, offset, length }
}

/** Reads and parses the header through a reader. */
export async function readHeader (read: CiphertextReader, options?: AbortOptions): Promise<CipherHeader> {
  return parseHeader(await read(0, HEADER_SIZE, options))
}

/**
 * Yields the plaintext of `[start, end)` chunk by chunk, reading only the chunks that hold it and
 * authenticating each before any of its bytes are returned. Throws `DecryptionError` or
 * `CiphertextFormatError`.
 */
export async function * decryptRangeStream (key: Uint8Array, header: CipherHeader, start: number, end: number, read: CiphertextReader, options?: AbortOptions): AsyncGenerator<Uint8Array> {
  const span = ciphertextSpan(header, start, end)
  if (start === end) return
  for (let i = span.firstChunk; i <= span.lastChunk; i++) {
    options?.signal?.throwIfAborted()
    const want = chunkPlainLength(header, i) + TAG_SIZE
    const ct = await read(chunkOffset(header, i), want, options)
    if (ct.length !== want) throw new CiphertextFormatError(`chunk ${i}: read ${ct.length} bytes, expected ${want}`)
    const plain = decryptChunk(key, header, i, ct)
    const base = i * header.chunkSize
    yield plain.subarray(Math.max(0, start - base), Math.min(plain.length, end - base))
  }
}

/** The plaintext of `[start, end)` as one array (see {@link decryptRangeStream}). */
export async function decryptRange (key: Uint8Array, header: CipherHeader, start: number, end: number, read: CiphertextReader, options?: AbortOptions): Promise<Uint8Array> {
  const out = new Uint8Array(end - start)
  let o = 0
  for await (const piece of decryptRangeStream(key, header, start, end, read, options)) {
    out.set(piece, o)
    o += piece.length
  }
  return out
}
