/**
 * Messages of `/agora/fetch/1.0.0`. Every message is framed as `varint(length) ‖ body`; the
 * length is checked against the limit before any of the body is read.
 *
 * Bodies:
 * - WANT      `0x01 ‖ (varint(len) ‖ cid)*` : client → server, at most MAX_WANT_CIDS CIDs
 * - BLOCK     `0x02 ‖ varint(len) ‖ cid ‖ bytes` : server → client
 * - DONT_HAVE `0x03 ‖ varint(len) ‖ cid` : server → client
 *
 * The server answers every wanted CID exactly once, in the order asked, so the client knows
 * which CID each answer is for and a reordered or unasked-for answer is a protocol error.
 */
import { CID } from 'multiformats/cid'
import { Uint8ArrayList } from 'uint8arraylist'
import { equals } from 'uint8arrays/equals'
import { MAX_CID_LENGTH, MAX_WANT_CIDS } from './constants.ts'
import { MalformedMessageError, MessageTooLargeError, StreamStalledError, TruncatedStreamError } from './errors.ts'
import type { AbortOptions } from '@libp2p/interface'

export const WANT = 0x01
export const BLOCK = 0x02
export const DONT_HAVE = 0x03

/** A decoded answer from a server. */
export type FetchResponse =
  | { type: typeof BLOCK, cid: CID, bytes: Uint8ArrayList }
  | { type: typeof DONT_HAVE, cid: CID }

function varintLength (n: number): number {
  let len = 1
  while (n >= 0x80) { n = Math.floor(n / 128); len++ }
  return len
}

function writeVarint (n: number, out: Uint8Array, offset: number): number {
  while (n >= 0x80) {
    out[offset++] = (n % 128) | 0x80
    n = Math.floor(n / 128)
  }
  out[offset++] = n
  return offset
}

/**
 * Reads a varint from `buf` at `offset`. Returns `undefined` when more bytes are needed.
 * Lengths on this protocol fit in 4 bytes; a longer varint is malformed.
 */
export function readVarint (buf: Uint8ArrayList | Uint8Array, offset: number): [value: number, next: number] | undefined {
  let value = 0
  let shift = 1
  for (let i = 0; i < 5; i++) {
    if (offset + i >= buf.byteLength) return undefined
    const b = buf instanceof Uint8Array ? buf[offset + i] : buf.get(offset + i)
    value += (b & 0x7f) * shift
    if ((b & 0x80) === 0) return [value, offset + i + 1]
    shift *= 128
  }
  throw new MalformedMessageError('length varint longer than 5 bytes')
}

/** Frames a body: `varint(length) ‖ body`. */
function frame (type: number, parts: Array<Uint8Array | Uint8ArrayList>): Uint8ArrayList {
  let bodyLength = 1
  for (const p of parts) bodyLength += p.byteLength
  const header = new Uint8Array(varintLength(bodyLength) + 1)
  header[writeVarint(bodyLength, header, 0)] = type
  return new Uint8ArrayList(header, ...parts)
}

function cidWithLength (cid: CID): Uint8Array {
  const out = new Uint8Array(varintLength(cid.bytes.byteLength) + cid.bytes.byteLength)
  out.set(cid.bytes, writeVarint(cid.bytes.byteLength, out, 0))
  return out
}

/** A framed WANT message for `cids` (1..MAX_WANT_CIDS). */
export function encodeWant (cids: CID[]): Uint8ArrayList {
  if (cids.length === 0 || cids.length > MAX_WANT_CIDS) throw new RangeError(`a WANT carries 1..${MAX_WANT_CIDS} CIDs`)
  return frame(WANT, cids.map(cidWithLength))
}

/** A framed BLOCK message. The block bytes are not copied. */
export function encodeBlock (cid: CID, bytes: Uint8Array | Uint8ArrayList): Uint8ArrayList {
  return frame(BLOCK, [cidWithLength(cid), bytes])
}

/** A framed DONT_HAVE message. */
export function encodeDontHave (cid: CID): Uint8ArrayList {
  return frame(DONT_HAVE, [cidWithLength(cid)])
}

function readCid (body: Uint8Array, offset: number): [CID, number] {
  const len = readVarint(body, offset)
  if (len == null) throw new MalformedMessageError('truncated CID length')
  const [n, start] = len
  if (n === 0 || n > MAX_CID_LENGTH || start + n > body.byteLength) throw new MalformedMessageError(`bad CID length ${n}`)
  const bytes = body.subarray(start, start + n)
  let cid: CID
  try {
    cid = CID.decode(bytes)
  } catch (err) {
    throw new MalformedMessageError('invalid CID', { cause: err })
  }
  // Policy: a CID is taken only in its one canonical form. `CID.decode` reads `0x00 ‖ codec ‖
  // multihash` as the CIDv0 of the multihash, whatever the codec says, so the CID decoded would
  // not be the one the bytes name.
  if (!equals(cid.bytes, bytes)) throw new MalformedMessageError('CID is not in canonical form')
  return [cid, start + n]
}

/** Decodes a WANT body. @throws MalformedMessageError */
export function decodeWant (list: Uint8ArrayList): CID[] {
  const body = list.subarray()
  if (body[0] !== WANT) throw new MalformedMessageError(`expected WANT, got message type ${body[0]}`)
  const cids: CID[] = []
  let offset = 1
  while (offset < body.byteLength) {
    if (cids.length === MAX_WANT_CIDS) throw new MalformedMessageError(`more than ${MAX_WANT_CIDS} CIDs in one WANT`)
    const [cid, next] = readCid(body, offset)
    cids.push(cid)
    offset = next
  }
  if (cids.length === 0) throw new MalformedMessageError('empty WANT')
  return cids
}

/** Decodes a BLOCK or DONT_HAVE body; the block bytes stay in the chunks they came in. @throws MalformedMessageError */
export function decodeResponse (list: Uint8ArrayList): FetchResponse {
  const head = list.subarray(0, Math.min(list.byteLength, 1 + 5 + MAX_CID_LENGTH))
  const [cid, offset] = readCid(head, 1)
  if (head[0] === BLOCK) return { type: BLOCK, cid, bytes: list.sublist(offset) }
  if (head[0] === DONT_HAVE && offset === list.byteLength) return { type: DONT_HAVE, cid }
  throw new MalformedMessageError(`unexpected message type ${head[0]}`)
}

/** The part of a libp2p byte stream that `FrameReader` needs (`byteStream` from @libp2p/utils). */
export interface ByteSource {
  read(options?: AbortOptions): Promise<Uint8ArrayList | null>
}

/**
 * Splits a byte stream into message bodies. A message whose announced length exceeds
 * `maxLength` is refused as soon as its length prefix has arrived.
 */
export class FrameReader {
  private readonly buffer = new Uint8ArrayList()
  private readonly source: ByteSource
  private readonly maxLength: number

  constructor (source: ByteSource, maxLength: number) {
    this.source = source
    this.maxLength = maxLength
  }

  /**
   * The next message body (its chunks, not copied), or `null` when the stream ended cleanly between messages.
   *
   * @param timeout - ms to wait for the whole message; `StreamStalledError` past it
   */
  async next (timeout: number, options?: AbortOptions): Promise<Uint8ArrayList | null> {
    // one timer and one controller per message, no AbortSignal.any: this runs once per block
    const stall = new AbortController()
    const timer = setTimeout(() => { stall.abort(new StreamStalledError(`no complete message within ${timeout} ms`)) }, timeout)
    const onAbort = (): void => { stall.abort(options?.signal?.reason) }
    options?.signal?.addEventListener('abort', onAbort, { once: true })
    try {
      return await this.read(stall.signal)
    } catch (err) {
      if (stall.signal.aborted && options?.signal?.aborted !== true) throw stall.signal.reason
      throw err
    } finally {
      clearTimeout(timer)
      options?.signal?.removeEventListener('abort', onAbort)
    }
  }

  private async read (signal: AbortSignal): Promise<Uint8ArrayList | null> {
    signal.throwIfAborted()
    while (true) {
      const header = readVarint(this.buffer, 0)
      if (header != null) {
        const [length, start] = header
        if (length > this.maxLength) throw new MessageTooLargeError(`message of ${length} bytes exceeds the limit of ${this.maxLength}`)
        if (length === 0) throw new MalformedMessageError('empty message')
        if (this.buffer.byteLength >= start + length) {
          const body = this.buffer.sublist(start, start + length)
          this.buffer.consume(start + length)
          return body
        }
      }
      const chunk = await this.source.read({ signal })
      if (chunk == null) {
        if (this.buffer.byteLength === 0) return null
        throw new TruncatedStreamError(`stream ended inside a message (${this.buffer.byteLength} bytes buffered)`)
      }
      this.buffer.append(chunk)
    }
  }
}
