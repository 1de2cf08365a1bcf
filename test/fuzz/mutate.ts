/**
 * Mutations of valid encodings, driven by fast-check: hostile bytes that are close to what a
 * decoder accepts, so they reach its deeper checks instead of failing at the first byte.
 */
import * as dagCbor from '@ipld/dag-cbor'
import fc from 'fast-check'

/** One edit of a byte string (never in place: edits copy, or return a view of what they keep). */
type Mutation = (b: Uint8Array) => Uint8Array

/** CBOR heads that announce huge lengths: byte string, text, array and map of 2^64 − 1 and 2^32 − 1. */
const HUGE_HEADS = [
  [0x5b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
  [0x7a, 0xff, 0xff, 0xff, 0xff],
  [0x9b, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
  [0xba, 0xff, 0xff, 0xff, 0xff],
  // an unsigned varint of 2^35 − 1 (lengths in the fetch wire format and in multiformats)
  [0xff, 0xff, 0xff, 0xff, 0x7f]
]

function concat (...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let o = 0
  for (const p of parts) { out.set(p, o); o += p.length }
  return out
}

const at = (len: number): fc.Arbitrary<number> => fc.nat({ max: Math.max(0, len) })

/** Arbitrary single mutations for a byte string of length `len`. */
function mutation (len: number): fc.Arbitrary<Mutation> {
  return fc.oneof(
    // flip one bit
    fc.tuple(at(len - 1), fc.nat({ max: 7 })).map(([i, bit]): Mutation => b => {
      const out = Uint8Array.from(b)
      if (out.length > 0) out[i % out.length] ^= 1 << bit
      return out
    }),
    // overwrite a byte with any value
    fc.tuple(at(len - 1), fc.integer({ min: 0, max: 255 })).map(([i, v]): Mutation => b => {
      const out = Uint8Array.from(b)
      if (out.length > 0) out[i % out.length] = v
      return out
    }),
    // truncate
    at(len).map((n): Mutation => b => b.subarray(0, Math.min(n, b.length))),
    // drop a prefix
    at(len).map((n): Mutation => b => b.subarray(Math.min(n, b.length))),
    // insert random bytes
    fc.tuple(at(len), fc.uint8Array({ minLength: 1, maxLength: 16 })).map(([i, ins]): Mutation => b => {
      const p = Math.min(i, b.length)
      return concat(b.subarray(0, p), ins, b.subarray(p))
    }),
    // insert a head that claims a huge length
    fc.tuple(at(len), fc.constantFrom(...HUGE_HEADS)).map(([i, head]): Mutation => b => {
      const p = Math.min(i, b.length)
      return concat(b.subarray(0, p), Uint8Array.from(head), b.subarray(p))
    }),
    // overwrite with a huge-length head in place
    fc.tuple(at(len), fc.constantFrom(...HUGE_HEADS)).map(([i, head]): Mutation => b => {
      const out = Uint8Array.from(b)
      const p = Math.min(i, b.length)
      out.set(Uint8Array.from(head).subarray(0, Math.max(0, out.length - p)), p)
      return out
    }),
    // duplicate a slice in place
    fc.tuple(at(len), fc.integer({ min: 1, max: 64 })).map(([i, n]): Mutation => b => {
      const p = Math.min(i, b.length)
      return concat(b.subarray(0, p + n), b.subarray(p, p + n), b.subarray(p + n))
    }),
    // append garbage
    fc.uint8Array({ minLength: 1, maxLength: 8 }).map((tail): Mutation => b => concat(b, tail))
  )
}

/** Bytes derived from `valid` by one to four mutations. */
export function mutated (valid: Uint8Array): fc.Arbitrary<Uint8Array> {
  // a plain copy: a Buffer's `slice` is a view, and no mutation may reach the caller's bytes
  const start: Uint8Array = Uint8Array.from(valid)
  return fc.array(mutation(valid.length), { minLength: 1, maxLength: 4 }).map(ms => ms.reduce<Uint8Array>((b, m) => m(b), start))
}

/** Mutations of any of `valids`, mixed with plain random bytes (a quarter of the cases). */
export function hostileBytes (...valids: Uint8Array[]): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...valids).chain(mutated) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 512 }) }
  )
}

/** A dag-cbor value fast-check can make (no undefined, no floats that dag-cbor refuses). */
export const cborValue: fc.Arbitrary<unknown> = fc.letrec(tie => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.bigInt({ min: -(1n << 64n), max: (1n << 64n) - 1n }),
    fc.string({ maxLength: 40 }),
    fc.uint8Array({ maxLength: 70 }),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.string({ maxLength: 8 }), tie('value'), { maxKeys: 4 })
  )
})).value

/**
 * Structural mutations of a dag-cbor map (the top level of `valid`), re-encoded canonically so
 * they pass the CBOR layer and reach the schema: a field removed, an extra field, a field's
 * value replaced, or (as raw bytes, not canonical) a key repeated.
 */
export function mutatedMap (valid: Uint8Array): fc.Arbitrary<Uint8Array> {
  const map = dagCbor.decode(valid) as Record<string, unknown>
  const keys = Object.keys(map)
  return fc.oneof(
    fc.constantFrom(...keys).map(k => {
      const { [k]: _dropped, ...rest } = map
      return dagCbor.encode(rest)
    }),
    fc.tuple(fc.string({ minLength: 1, maxLength: 12 }), cborValue).map(([k, v]) => dagCbor.encode({ ...map, [k]: v })),
    fc.tuple(fc.constantFrom(...keys), cborValue).map(([k, v]) => dagCbor.encode({ ...map, [k]: v })),
    fc.constantFrom(...keys).map(k => duplicateKey(map, k))
  )
}

/** The map's canonical entries followed by a second copy of the entry `k` (raw CBOR, count + 1). */
function duplicateKey (map: Record<string, unknown>, k: string): Uint8Array {
  const sorted = Object.keys(map).sort((a, b) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0))
  const n = sorted.length + 1
  const head = n < 24 ? Uint8Array.of(0xa0 | n) : Uint8Array.of(0xb8, n)
  const entries = [...sorted, k].map(key => concat(dagCbor.encode(key), dagCbor.encode(map[key])))
  return concat(head, ...entries)
}

export { concat }
