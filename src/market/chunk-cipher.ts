/**
 * Encryption of paid goods: content is cut into fixed-size chunks, each sealed with
 * XChaCha20-Poly1305 (`@noble/ciphers`), so any byte range can be fetched, checked and decrypted
 * alone, and miners store and serve ciphertext they cannot read.
 *
 * Layout (format 1): a 40-byte header, then chunks of `chunkSize + 16` bytes (the last shorter):
 *
 *   header = "AGORAENC" ‖ u8 version=1 ‖ 3 zero bytes ‖ u32be chunkSize ‖ u64be plaintextLength ‖ salt[16]
 *   chunk i = XChaCha20-Poly1305(key, nonce = salt ‖ u64be(i), aad = header).encrypt(plaintext i)
 *
 * Every chunk's index is in its nonce, so chunks cannot be reordered or moved; the header, with
 * the total length, is the associated data of every chunk, so a changed length, chunk size or
 * salt fails every chunk, and a dropped or truncated tail is caught by the length the header
 * fixes. An empty plaintext still has one (empty) chunk, so it is authenticated too. A random
 * 128-bit salt per file keeps nonces distinct when one content key encrypts several files.
 */
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js'
import { randomBytes } from '@noble/hashes/utils.js'
import { InvalidParametersError } from '../errors.ts'
import { DEFAULT_CHUNK_SIZE, MAX_CHUNK_SIZE, MIN_CHUNK_SIZE } from './constants.ts'
import { CiphertextFormatError, DecryptionError } from './errors.ts'
import { assertBytes } from './keys.ts'

/** Bytes of the ciphertext header. */
export const HEADER_SIZE = 40
/** Bytes of the Poly1305 tag on each chunk. */
export const TAG_SIZE = 16
const MAGIC = new TextEncoder().encode('AGORAENC')
const VERSION = 1

/** The parsed header of a ciphertext. */
export interface CipherHeader {
  chunkSize: number
  plaintextLength: number
  salt: Uint8Array
  /** The exact 40 header bytes (the associated data of every chunk). */
  bytes: Uint8Array
}

/** Options for encryption. */
export interface EncryptOptions {
  /** Exact number of plaintext bytes the source yields. */
  plaintextLength: number
  /** Plaintext bytes per chunk. @default DEFAULT_CHUNK_SIZE (64 KiB) */
  chunkSize?: number
  /** 16-byte salt; random unless given (tests and vectors only). */
  salt?: Uint8Array
}

/** A fresh random 32-byte content key. */
export function generateContentKey (): Uint8Array {
  return randomBytes(32)
}

/** Number of chunks for a plaintext length (at least one). */
export function chunkCount (plaintextLength: number, chunkSize: number): number {
  return Math.max(1, Math.ceil(plaintextLength / chunkSize))
}

/** Total ciphertext bytes, header included, for a plaintext length. */
export function encryptedSize (plaintextLength: number, chunkSize: number = DEFAULT_CHUNK_SIZE): number {
  return HEADER_SIZE + plaintextLength + chunkCount(plaintextLength, chunkSize) * TAG_SIZE
}

/** Builds a header. */
export function createHeader (options: EncryptOptions): CipherHeader {
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE
  const { plaintextLength } = options
  if (!Number.isSafeInteger(chunkSize) || chunkSize < MIN_CHUNK_SIZE || chunkSize > MAX_CHUNK_SIZE) {
    throw new RangeError(`chunk size must be an integer in [${MIN_CHUNK_SIZE}, ${MAX_CHUNK_SIZE}]`)
  }
  if (!Number.isSafeInteger(plaintextLength) || plaintextLength < 0) throw new RangeError('plaintext length must be a non-negative safe integer')
  const salt = options.salt ?? randomBytes(16)
  assertBytes(salt, 16, 'salt')
  const bytes = new Uint8Array(HEADER_SIZE)
  const view = new DataView(bytes.buffer)
  bytes.set(MAGIC, 0)
  bytes[8] = VERSION
  view.setUint32(12, chunkSize)
  view.setBigUint64(16, BigInt(plaintextLength))
  bytes.set(salt, 24)
  return { chunkSize, plaintextLength, salt: bytes.slice(24), bytes }
}

/** Parses and checks a header; throws `CiphertextFormatError`. */
export function parseHeader (bytes: Uint8Array): CipherHeader {
  assertBytes(bytes, undefined, 'header')
  if (bytes.length < HEADER_SIZE) throw new CiphertextFormatError(`ciphertext is shorter than its ${HEADER_SIZE}-byte header`)
  const h = bytes.slice(0, HEADER_SIZE)
  const view = new DataView(h.buffer)
  if (!MAGIC.every((b, i) => h[i] === b)) throw new CiphertextFormatError('not an agora ciphertext (bad magic)')
  if (h[8] !== VERSION || h[9] !== 0 || h[10] !== 0 || h[11] !== 0) throw new CiphertextFormatError(`unknown ciphertext version ${h[8]}`)
  const chunkSize = view.getUint32(12)
  const length = view.getBigUint64(16)
  if (chunkSize < MIN_CHUNK_SIZE || chunkSize > MAX_CHUNK_SIZE) throw new CiphertextFormatError(`chunk size ${chunkSize} out of range`)
  if (length > BigInt(Number.MAX_SAFE_INTEGER)) throw new CiphertextFormatError('plaintext length out of range')
  return { chunkSize, plaintextLength: Number(length), salt: h.slice(24), bytes: h }
}

/** Plaintext length of chunk `index`. */
export function chunkPlainLength (header: CipherHeader, index: number): number {
  const n = chunkCount(header.plaintextLength, header.chunkSize)
  if (!Number.isSafeInteger(index) || index < 0 || index >= n) throw new RangeError(`chunk ${index} out of range [0, ${n})`)
  return index === n - 1 ? header.plaintextLength - index * header.chunkSize : header.chunkSize
}

/** Byte offset of chunk `index` in the ciphertext. */
export function chunkOffset (header: CipherHeader, index: number): number {
  return HEADER_SIZE + index * (header.chunkSize + TAG_SIZE)
}

/** Encrypts one chunk. */
export function encryptChunk (key: Uint8Array, header: CipherHeader, index: number, plaintext: Uint8Array): Uint8Array {
  assertBytes(key, 32, 'content key')
  if (plaintext.length !== chunkPlainLength(header, index)) throw new RangeError(`chunk ${index} must hold ${chunkPlainLength(header, index)} bytes`)
  return xchacha20poly1305(key, nonceOf(header, index), header.bytes).encrypt(plaintext)
}

/** Decrypts and authenticates one chunk; throws `DecryptionError`. */
export function decryptChunk (key: Uint8Array, header: CipherHeader, index: number, ciphertext: Uint8Array): Uint8Array {
  assertBytes(key, 32, 'content key')
  const expected = chunkPlainLength(header, index) + TAG_SIZE
  if (ciphertext.length !== expected) throw new CiphertextFormatError(`chunk ${index} is ${ciphertext.length} bytes, expected ${expected}`, { chunk: index })
  try {
    return xchacha20poly1305(key, nonceOf(header, index), header.bytes).decrypt(ciphertext)
  } catch (err) {
    throw new DecryptionError(`chunk ${index} failed authentication (wrong key or altered bytes)`, { cause: err, chunk: index })
  }
}

/**
 * Encrypts a stream in bounded memory (one chunk buffered): yields the header, then each
 * encrypted chunk. Throws `InvalidParametersError` if the source yields more or fewer bytes than
 * `plaintextLength`.
 */
export async function * encryptStream (key: Uint8Array, source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, options: EncryptOptions): AsyncGenerator<Uint8Array> {
  assertBytes(key, 32, 'content key')
  const header = createHeader(options)
  const length = header.plaintextLength
  yield header.bytes
  if (length === 0) {
    for await (const extra of source) {
      if (extra.length > 0) throw new InvalidParametersError('source yielded more than 0 bytes')
    }
    yield encryptChunk(key, header, 0, new Uint8Array(0))
    return
  }
  let index = 0
  let total = 0
  for await (const chunk of rechunk(source, header.chunkSize)) {
    total += chunk.length
    if (total > length) throw new InvalidParametersError(`source yielded more than ${length} bytes`)
    if (chunk.length !== chunkPlainLength(header, index)) break
    yield encryptChunk(key, header, index++, chunk)
  }
  if (total !== length) throw new InvalidParametersError(`source yielded ${total} bytes, expected ${length}`)
}

/**
 * Decrypts a whole ciphertext stream in bounded memory, authenticating every chunk before
 * yielding it. Throws `CiphertextFormatError` for a bad header or a short/long stream and
 * `DecryptionError` for a chunk that fails authentication.
 */
export async function * decryptStream (key: Uint8Array, source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  assertBytes(key, 32, 'content key')
  let header: CipherHeader | undefined
  let index = 0
  let n = 0
  for await (const piece of rechunk(source, HEADER_SIZE, (size) => header == null ? size : header.chunkSize + TAG_SIZE)) {
    if (header == null) {
      header = parseHeader(piece)
      n = chunkCount(header.plaintextLength, header.chunkSize)
      continue
    }
    if (index >= n) throw new CiphertextFormatError('ciphertext has bytes after its last chunk', { chunk: n - 1 })
    const expected = chunkPlainLength(header, index) + TAG_SIZE
    if (piece.length > expected) throw new CiphertextFormatError('ciphertext has bytes after its last chunk', { chunk: index })
    if (piece.length < expected) throw new CiphertextFormatError(`ciphertext ends inside chunk ${index} (truncated)`, { chunk: index })
    yield decryptChunk(key, header, index++, piece)
  }
  if (header == null) throw new CiphertextFormatError('ciphertext is shorter than its header', { chunk: 0 })
  if (index !== n) throw new CiphertextFormatError(`ciphertext ends after ${index} of ${n} chunks (truncated)`, { chunk: index })
}

/** Encrypts bytes in memory (small content, tests). */
export async function encryptBytes (key: Uint8Array, plaintext: Uint8Array, options: Omit<EncryptOptions, 'plaintextLength'> = {}): Promise<Uint8Array> {
  return concat(await collect(encryptStream(key, [plaintext], { ...options, plaintextLength: plaintext.length })))
}

/** Decrypts bytes in memory (small content, tests). */
export async function decryptBytes (key: Uint8Array, ciphertext: Uint8Array): Promise<Uint8Array> {
  return concat(await collect(decryptStream(key, [ciphertext])))
}

function nonceOf (header: CipherHeader, index: number): Uint8Array {
  const nonce = new Uint8Array(24)
  nonce.set(header.salt, 0)
  new DataView(nonce.buffer).setBigUint64(16, BigInt(index))
  return nonce
}

/**
 * Regroups a byte stream into pieces of `first` bytes, then of `next(previous)` bytes; the last
 * piece may be shorter. Holds at most one piece.
 */
async function * rechunk (source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, first: number, next: (size: number) => number = s => s): AsyncGenerator<Uint8Array> {
  let size = first
  let buf = new Uint8Array(size)
  let filled = 0
  for await (const input of source) {
    let offset = 0
    while (offset < input.length) {
      const take = Math.min(size - filled, input.length - offset)
      buf.set(input.subarray(offset, offset + take), filled)
      filled += take
      offset += take
      if (filled === size) {
        yield buf
        size = next(size)
        buf = new Uint8Array(size)
        filled = 0
      }
    }
  }
  if (filled > 0) yield buf.subarray(0, filled)
}

async function collect (it: AsyncIterable<Uint8Array>): Promise<Uint8Array[]> {
  const out: Uint8Array[] = []
  for await (const b of it) out.push(b)
  return out
}

/** Concatenates byte arrays. */
export function concat (parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let o = 0
  for (const p of parts) { out.set(p, o); o += p.length }
  return out
}
