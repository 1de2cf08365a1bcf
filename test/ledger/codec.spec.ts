/**
 * The state value codec: `encodeValue` gives exactly the bytes of the format as codec.ts
 * documents it, checked against a straightforward encoder written here from that description
 * (bigints as sign byte + big-endian magnitude built byte by byte, strings through
 * TextEncoder, map keys sorted by code unit with undefined entries left out), for random values
 * (ASCII, non-ASCII and lone-surrogate strings, bigints around byte boundaries, the same map
 * shape with keys in different insertion orders); and it round-trips through `decodeValue`
 * (strings without lone surrogates).
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decodeValue, encodeValue } from '../../src/ledger/codec.ts'
import type { Value } from '../../src/ledger/codec.ts'

const enc = new TextEncoder()

function varint (n: number): number[] {
  const out: number[] = []
  while (n >= 0x80) { out.push((n % 0x80) | 0x80); n = Math.floor(n / 0x80) }
  out.push(n)
  return out
}

function withLength (b: Uint8Array | number[]): number[] { return [...varint(b.length), ...b] }

/** The format of codec.ts, one value at a time. */
function reference (v: Value | undefined): number[] {
  if (v === null) return [0]
  if (v === false) return [1]
  if (v === true) return [2]
  if (typeof v === 'number') return [3, ...varint(v)]
  if (typeof v === 'bigint') {
    let m = v < 0n ? -v : v
    const be: number[] = []
    while (m > 0n) { be.unshift(Number(m % 256n)); m /= 256n }
    return [4, v < 0n ? 1 : 0, ...withLength(be)]
  }
  if (typeof v === 'string') return [5, ...withLength(enc.encode(v))]
  if (v instanceof Uint8Array) return [6, ...withLength(v)]
  if (Array.isArray(v)) return [7, ...varint(v.length), ...v.flatMap(reference)]
  if (v === undefined) throw new Error('undefined is not a value')
  const keys = Object.keys(v).filter(k => v[k] !== undefined)
  keys.sort((a, b) => a < b ? -1 : a > b ? 1 : 0)
  return [8, ...varint(keys.length), ...keys.flatMap(k => [...withLength(enc.encode(k)), ...reference(v[k])])]
}

const text = fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary' }), fc.constantFrom('', 'a/5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty', 'é', '\u{1F600}', '\uD800'))
const big = fc.oneof(fc.bigInt({ min: -(1n << 200n), max: 1n << 200n }), fc.constantFrom(0n, 1n, -1n, 255n, 256n, -256n, 65535n, 65536n, (1n << 64n) - 1n, 1n << 64n))
const { value } = fc.letrec<{ value: Value }>(tie => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null), fc.boolean(), fc.nat({ max: Number.MAX_SAFE_INTEGER }), big, text, fc.uint8Array({ maxLength: 40 }),
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(text, fc.option(tie('value'), { nil: undefined as unknown as null }), { maxKeys: 6 }) as fc.Arbitrary<Value>
  )
}))

/** True unless a string in `v` (value or key) has a lone surrogate (which UTF-8 turns into U+FFFD). */
function wellFormed (v: Value): boolean {
  if (typeof v === 'string') return !/\p{Cs}/u.test(v)
  if (Array.isArray(v)) return v.every(wellFormed)
  if (v == null || typeof v !== 'object' || v instanceof Uint8Array) return true
  return Object.entries(v).every(([k, x]) => wellFormed(k) && (x === undefined || wellFormed(x)))
}

describe('state value codec', () => {
  it('default: encodes exactly as the format says and round-trips', () => {
    fc.assert(fc.property(value, v => {
      const bytes = encodeValue(v)
      expect([...bytes]).toEqual(reference(v))
      if (wellFormed(v)) expect(encodeValue(decodeValue(bytes))).toEqual(bytes)
    }), { numRuns: 2000 })
  })

  it('behavior: the same keys in any insertion order, some undefined, encode alike', () => {
    fc.assert(fc.property(fc.uniqueArray(text, { minLength: 1, maxLength: 8 }), fc.array(fc.nat(), { minLength: 8, maxLength: 8 }), (keys, perm) => {
      const a: Record<string, Value> = {}
      for (const [i, k] of keys.entries()) a[k] = i % 3 === 2 ? undefined as unknown as Value : BigInt(i) * 1000n
      const order = keys.map((k, i) => [k, perm[i]] as const).sort((x, y) => x[1] - y[1]).map(([k]) => k)
      const b: Record<string, Value> = {}
      for (const k of order) b[k] = a[k]
      expect([...encodeValue(a)]).toEqual(reference(a))
      expect(encodeValue(b)).toEqual(encodeValue(a))
      // and a key list seen before, with a key made to look like two joined ones
      const c = { ...b, [keys.join('\u0000')]: 1 }
      expect([...encodeValue(c)]).toEqual(reference(c))
    }), { numRuns: 500 })
  })
})
