/**
 * A fast decoder for the small subset of dag-cbor that transactions use, in front of
 * `@ipld/dag-cbor`'s `decode` (which stays the authority on what the wire format is).
 *
 * It accepts only: unsigned and negative integers within the safe-integer range, definite byte
 * strings, definite ASCII text strings, definite arrays, definite maps with ASCII text keys
 * (no duplicates, no `__proto__`), false, true and null, every length and integer in its
 * shortest form, nesting at most 16 deep, and nothing after the first item. For such input it
 * returns exactly what `cbor.decode` returns (numbers as numbers, byte strings as copies, maps
 * as plain objects with keys in wire order; byte strings are plain `Uint8Array` copies even from
 * a `Buffer`). For anything else (floats, tags, undefined,
 * big integers, non-ASCII text, non-minimal or indefinite lengths, truncation, trailing bytes)
 * it returns `UNSUPPORTED`, and the caller decodes with `cbor.decode`, which decides.
 */

/** Returned when the input is outside the subset. */
export const UNSUPPORTED: unique symbol = Symbol('unsupported')

const MAX_DEPTH = 16

class Reader {
  pos = 0
  readonly b: Uint8Array
  constructor (b: Uint8Array) { this.b = b }
}

/** The argument of the head at `r.pos` (shortest form only), or -1. Leaves `r.pos` after the head. */
function argument (r: Reader, info: number): number {
  const b = r.b
  if (info < 24) return info
  if (info === 24) {
    if (r.pos + 1 > b.length) return -1
    const v = b[r.pos++]
    return v < 24 ? -1 : v
  }
  if (info === 25) {
    if (r.pos + 2 > b.length) return -1
    const v = (b[r.pos] << 8) | b[r.pos + 1]
    r.pos += 2
    return v < 0x100 ? -1 : v
  }
  if (info === 26) {
    if (r.pos + 4 > b.length) return -1
    const v = ((b[r.pos] << 24) >>> 0) + ((b[r.pos + 1] << 16) | (b[r.pos + 2] << 8) | b[r.pos + 3])
    r.pos += 4
    return v < 0x10000 ? -1 : v
  }
  if (info === 27) {
    if (r.pos + 8 > b.length) return -1
    const hi = ((b[r.pos] << 24) >>> 0) + ((b[r.pos + 1] << 16) | (b[r.pos + 2] << 8) | b[r.pos + 3])
    const lo = ((b[r.pos + 4] << 24) >>> 0) + ((b[r.pos + 5] << 16) | (b[r.pos + 6] << 8) | b[r.pos + 7])
    r.pos += 8
    if (hi === 0) return -1 // fits in 32 bits: not the shortest form
    if (hi >= 0x200000) return -1 // beyond 2^53 − 1: cbor decodes a bigint
    return hi * 0x100000000 + lo
  }
  return -1 // indefinite lengths and reserved values
}

function ascii (r: Reader, n: number): string | typeof UNSUPPORTED {
  const b = r.b
  if (r.pos + n > b.length) return UNSUPPORTED
  let s = ''
  for (let i = r.pos; i < r.pos + n; i++) {
    const c = b[i]
    if (c > 0x7f) return UNSUPPORTED
    s += String.fromCharCode(c)
  }
  r.pos += n
  return s
}

function item (r: Reader, depth: number): unknown {
  const b = r.b
  if (r.pos >= b.length || depth > MAX_DEPTH) return UNSUPPORTED
  const head = b[r.pos++]
  const major = head >> 5
  const info = head & 0x1f
  if (major === 7) {
    if (info === 20) return false
    if (info === 21) return true
    if (info === 22) return null
    return UNSUPPORTED
  }
  if (major === 6) return UNSUPPORTED
  const n = argument(r, info)
  if (n < 0) return UNSUPPORTED
  switch (major) {
    case 0: return n
    case 1: return n === Number.MAX_SAFE_INTEGER ? UNSUPPORTED : -1 - n
    case 2: {
      if (r.pos + n > b.length) return UNSUPPORTED
      const out = b.slice(r.pos, r.pos + n)
      r.pos += n
      return out
    }
    case 3: return ascii(r, n)
    case 4: {
      if (n > b.length - r.pos) return UNSUPPORTED
      const out: unknown[] = []
      for (let i = 0; i < n; i++) {
        const x = item(r, depth + 1)
        if (x === UNSUPPORTED) return UNSUPPORTED
        out.push(x)
      }
      return out
    }
    default: { // 5: map
      if (n > b.length - r.pos) return UNSUPPORTED
      const out: Record<string, unknown> = {}
      for (let i = 0; i < n; i++) {
        if (r.pos >= b.length) return UNSUPPORTED
        const kh = b[r.pos++]
        if (kh >> 5 !== 3) return UNSUPPORTED
        const kn = argument(r, kh & 0x1f)
        if (kn < 0) return UNSUPPORTED
        const key = ascii(r, kn)
        if (key === UNSUPPORTED || key === '__proto__' || Object.hasOwn(out, key)) return UNSUPPORTED
        const x = item(r, depth + 1)
        if (x === UNSUPPORTED) return UNSUPPORTED
        out[key] = x
      }
      return out
    }
  }
}

/** Decode `bytes` if it lies in the subset, else `UNSUPPORTED` (decode it with `cbor.decode`). */
export function decodeSubset (bytes: Uint8Array): unknown {
  if (!(bytes instanceof Uint8Array)) return UNSUPPORTED
  // a plain view (a Buffer's slice would be a Buffer view, not a copy)
  const r = new Reader(bytes.constructor === Uint8Array ? bytes : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength))
  const v = item(r, 0)
  if (v === UNSUPPORTED || r.pos !== bytes.length) return UNSUPPORTED
  return v
}
