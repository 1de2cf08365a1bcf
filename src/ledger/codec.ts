/**
 * Canonical encoding of ledger state values. dag-cbor cannot tell `5` from `5n` after a round
 * trip, and state mixes safe integers (uids, blocks) with rao amounts (bigint), so state values
 * use this small self-describing format instead. It is canonical: one value has exactly one
 * encoding (map keys sorted, minimal varints, no floats), so its hash is a function of the value.
 *
 * Tags: 0 null, 1 false, 2 true, 3 uint (varint, safe integers only), 4 bigint (sign byte +
 * varint length + big-endian magnitude), 5 string (varint length + UTF-8), 6 bytes, 7 array,
 * 8 map (varint count, then key/value pairs, keys sorted by code unit).
 */
import { MalformedError } from './errors.ts'

/** A value the codec can encode. */
export type Value = null | boolean | number | bigint | string | Uint8Array | Value[] | { [k: string]: Value }

const enc = new TextEncoder()
const dec = new TextDecoder('utf-8', { fatal: true })

class Writer {
  buf = new Uint8Array(256)
  len = 0
  ensure (n: number): void {
    if (this.len + n <= this.buf.length) return
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.len + n))
    next.set(this.buf.subarray(0, this.len))
    this.buf = next
  }

  byte (b: number): void { this.ensure(1); this.buf[this.len++] = b }
  varint (n: number): void {
    this.ensure(8)
    while (n >= 0x80) { this.buf[this.len++] = (n % 0x80) | 0x80; n = Math.floor(n / 0x80) }
    this.buf[this.len++] = n
  }

  bytes (b: Uint8Array): void { this.varint(b.length); this.ensure(b.length); this.buf.set(b, this.len); this.len += b.length }

  /** A string as varint byte length + UTF-8 (ASCII written directly, the rest through TextEncoder). */
  string (s: string): void {
    const n = s.length
    for (let i = 0; i < n; i++) {
      if (s.charCodeAt(i) > 0x7f) return this.bytes(enc.encode(s))
    }
    this.varint(n)
    this.ensure(n)
    const buf = this.buf
    let p = this.len
    for (let i = 0; i < n; i++) buf[p++] = s.charCodeAt(i)
    this.len = p
  }

  /** A non-negative bigint as varint length + big-endian magnitude without leading zeros (none for 0). */
  magnitude (m: bigint): void {
    if (m === 0n) return this.varint(0)
    let hex = m.toString(16)
    if ((hex.length & 1) === 1) hex = '0' + hex
    const n = hex.length >> 1
    this.varint(n)
    this.ensure(n)
    for (let i = 0; i < n; i++) this.buf[this.len++] = parseInt(hex.slice(2 * i, 2 * i + 2), 16)
  }
}

/** Map keys are a small set of field names: their sorted order per key list is kept (bounded). */
const sortedKeys = new Map<string, { own: string[], sorted: string[] }>()

function sortKeys (own: string[]): string[] {
  const id = own.join('\u0000')
  const hit = sortedKeys.get(id)
  if (hit != null && hit.own.length === own.length && hit.own.every((k, i) => k === own[i])) return hit.sorted
  const sorted = [...own].sort()
  if (hit == null) {
    if (sortedKeys.size > 1000) sortedKeys.clear()
    sortedKeys.set(id, { own, sorted })
  }
  return sorted
}

function write (w: Writer, v: Value): void {
  if (v === null) return w.byte(0)
  if (v === false) return w.byte(1)
  if (v === true) return w.byte(2)
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v) || v < 0) throw new MalformedError(`state numbers must be safe non-negative integers, got ${v}`)
    w.byte(3); return w.varint(v)
  }
  if (typeof v === 'bigint') {
    w.byte(4); w.byte(v < 0n ? 1 : 0)
    return w.magnitude(v < 0n ? -v : v)
  }
  if (typeof v === 'string') { w.byte(5); return w.string(v) }
  if (v instanceof Uint8Array) { w.byte(6); return w.bytes(v) }
  if (Array.isArray(v)) {
    w.byte(7); w.varint(v.length)
    for (const x of v) write(w, x)
    return
  }
  const sorted = sortKeys(Object.keys(v))
  let count = 0
  for (const k of sorted) if (v[k] !== undefined) count++
  w.byte(8); w.varint(count)
  for (const k of sorted) {
    const x = v[k]
    if (x === undefined) continue
    w.string(k)
    write(w, x)
  }
}

/** Encode a value canonically. */
export function encodeValue (v: Value): Uint8Array {
  const w = new Writer()
  write(w, v)
  return w.buf.slice(0, w.len)
}

class Reader {
  pos = 0
  readonly buf: Uint8Array
  constructor (buf: Uint8Array) { this.buf = buf }
  byte (): number {
    if (this.pos >= this.buf.length) throw new MalformedError('truncated value')
    return this.buf[this.pos++]
  }

  varint (): number {
    let n = 0
    let mul = 1
    for (let i = 0; i < 8; i++) {
      const b = this.byte()
      n += (b & 0x7f) * mul
      if ((b & 0x80) === 0) {
        if (i > 0 && b === 0) throw new MalformedError('non-minimal varint')
        return n
      }
      mul *= 0x80
    }
    throw new MalformedError('varint too long')
  }

  bytes (): Uint8Array {
    const n = this.varint()
    if (this.pos + n > this.buf.length) throw new MalformedError('truncated value')
    const b = this.buf.subarray(this.pos, this.pos + n)
    this.pos += n
    return b
  }
}

/** UTF-8 text; invalid UTF-8 is a `MalformedError` (TextDecoder throws a bare TypeError). */
function text (bytes: Uint8Array): string {
  try {
    return dec.decode(bytes)
  } catch (err) {
    throw new MalformedError('string is not valid UTF-8', { cause: err })
  }
}

/** A bigint: sign byte 0 or 1, magnitude without leading zeros, no negative zero (the one encoding `write` gives). */
function bigint (r: Reader): bigint {
  const sign = r.byte()
  if (sign > 1) throw new MalformedError(`bad bigint sign byte ${sign}`)
  const bytes = r.bytes()
  if (bytes.length > 0 && bytes[0] === 0) throw new MalformedError('bigint magnitude with a leading zero')
  if (sign === 1 && bytes.length === 0) throw new MalformedError('negative zero')
  let m = 0n
  for (const b of bytes) m = (m << 8n) | BigInt(b)
  return sign === 1 ? -m : m
}

function read (r: Reader, depth: number): Value {
  if (depth > 32) throw new MalformedError('value nested too deeply')
  const tag = r.byte()
  switch (tag) {
    case 0: return null
    case 1: return false
    case 2: return true
    case 3: {
      const n = r.varint()
      if (!Number.isSafeInteger(n)) throw new MalformedError('state number beyond 2^53')
      return n
    }
    case 4: return bigint(r)
    case 5: return text(r.bytes())
    case 6: return r.bytes().slice()
    case 7: {
      const n = r.varint()
      const out: Value[] = []
      for (let i = 0; i < n; i++) out.push(read(r, depth + 1))
      return out
    }
    case 8: {
      const n = r.varint()
      const out: Record<string, Value> = {}
      let last: string | undefined
      for (let i = 0; i < n; i++) {
        const key = text(r.bytes())
        // canonical: keys strictly ascending (so none repeats)
        if (last !== undefined && !(last < key)) throw new MalformedError('map keys not in canonical order')
        last = key
        const value = read(r, depth + 1)
        // a key `__proto__` is defined as an own property, never assigned (which sets the prototype)
        if (key === '__proto__') Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true })
        else out[key] = value
      }
      return out
    }
    default: throw new MalformedError(`unknown value tag ${tag}`)
  }
}

/** Decode a value; throws `MalformedError` on bad, non-canonical or trailing bytes. */
export function decodeValue (bytes: Uint8Array): Value {
  const r = new Reader(bytes)
  const v = read(r, 0)
  if (r.pos !== bytes.length) throw new MalformedError('trailing bytes after value')
  return v
}
