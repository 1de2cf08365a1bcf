/**
 * The fast decoder for the transactions' dag-cbor subset (tx/fast-cbor.ts) against
 * `@ipld/dag-cbor`'s own `decode`: whatever it accepts, dag-cbor accepts and decodes to the same
 * value (same types: numbers, Uint8Arrays, plain objects with keys in the same order), for
 * random values, their encodings with single bytes changed, cut short or extended, and hand-made
 * edge cases (shortest-form boundaries, 2^53, negative limits, non-ASCII text, floats, tags,
 * duplicate keys, indefinite lengths); and every transaction kind and a block decode through it.
 */
import * as cbor from '@ipld/dag-cbor'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decodeBlock, sealBlock } from '../../src/ledger/block.ts'
import { decodeTxUnsafe, signTx } from '../../src/ledger/tx/codec.ts'
import { decodeSubset, UNSUPPORTED } from '../../src/ledger/tx/fast-cbor.ts'
import { testKey } from './helpers.ts'
import type { TxBody } from '../../src/ledger/index.ts'

/** What dag-cbor says: the value, or that it refuses. */
function reference (bytes: Uint8Array): { ok: true, value: unknown } | { ok: false } {
  try {
    return { ok: true, value: cbor.decode(bytes) }
  } catch {
    return { ok: false }
  }
}

/** Deep equality that also compares types and key order. */
function same (a: unknown, b: unknown): boolean {
  if (typeof a !== typeof b) return false
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    return a instanceof Uint8Array && b instanceof Uint8Array && a.constructor === b.constructor && a.length === b.length && a.every((x, i) => x === b[i])
  }
  if (Array.isArray(a) || Array.isArray(b)) return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => same(x, b[i]))
  if (a !== null && typeof a === 'object') {
    if (b === null || Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false
    const ka = Object.keys(a)
    const kb = Object.keys(b as object)
    return ka.length === kb.length && ka.every((k, i) => k === kb[i] && same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
  }
  return Object.is(a, b)
}

/** Checks one input; returns whether the fast decoder took it. */
function check (bytes: Uint8Array): boolean {
  const fast = decodeSubset(bytes)
  if (fast === UNSUPPORTED) return false
  const ref = reference(bytes)
  expect(ref.ok).toBe(true)
  expect(same(fast, (ref as { value: unknown }).value)).toBe(true)
  return true
}

const value: fc.Arbitrary<unknown> = fc.letrec<{ v: unknown }>(tie => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null), fc.boolean(),
    fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }), fc.nat({ max: 300 }), fc.integer({ min: -300, max: 0 }),
    fc.bigInt({ min: -(1n << 64n), max: (1n << 64n) - 1n }),
    fc.string(), fc.string({ unit: 'binary' }), fc.uint8Array({ maxLength: 70 }),
    fc.array(tie('v'), { maxLength: 4 }),
    fc.dictionary(fc.string({ maxLength: 6 }), tie('v'), { maxKeys: 5 })
  )
})).v

describe('fast dag-cbor subset decoder', () => {
  it('behavior: agrees with dag-cbor on random values and damaged encodings of them', () => {
    let taken = 0
    fc.assert(fc.property(value, fc.nat(), fc.nat({ max: 255 }), (v, at, byte) => {
      const bytes = cbor.encode(v)
      if (check(bytes)) taken++
      const changed = bytes.slice()
      changed[at % changed.length] = byte
      check(changed)
      check(bytes.subarray(0, at % bytes.length))
      check(Uint8Array.from([...bytes, byte]))
    }), { numRuns: 3000 })
    expect(taken).toBeGreaterThan(1000) // the subset is most of what transactions hold
  })

  it('behavior: edge cases are decoded alike or left to dag-cbor', () => {
    const cases: Array<[number[], boolean]> = [
      [[0x17], true], [[0x18, 0x17], false], [[0x18, 0x18], true], [[0x19, 0x00, 0xff], false], [[0x19, 0x01, 0x00], true],
      [[0x1a, 0x00, 0x00, 0xff, 0xff], false], [[0x1a, 0x00, 0x01, 0x00, 0x00], true], [[0x1a, 0xff, 0xff, 0xff, 0xff], true],
      [[0x1b, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff], false], [[0x1b, 0, 0, 0, 1, 0, 0, 0, 0], true],
      [[0x1b, 0x00, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], true], // 2^53 − 1
      [[0x1b, 0x00, 0x20, 0, 0, 0, 0, 0, 0], false], // 2^53: a bigint
      [[0x3b, 0x00, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe], true], // −2^53 + 1
      [[0x3b, 0x00, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], false], // −2^53
      [[0x62, 0xc3, 0xa9], false], // "é"
      [[0x61, 0x7f], true], [[0xf9, 0x3c, 0x00], false], [[0xfb, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0], false], [[0xf7], false],
      [[0xd8, 0x2a, 0x40], false], [[0xa2, 0x61, 0x61, 0x01, 0x61, 0x61, 0x02], false], [[0x9f, 0xff], false], [[0x5f, 0xff], false],
      [[0xa1, 0x01, 0x02], false], [[0xa1, 0x69, ...new TextEncoder().encode('__proto__'), 0x01], false],
      [[0xa2, 0x61, 0x74, 0x01, 0x61, 0x67, 0x02], true], [[0x84, 0x01], false], [[], false], [[0x01, 0x01], false]
    ]
    for (const [bytes, taken] of cases) expect([bytes, check(Uint8Array.from(bytes))]).toEqual([bytes, taken])
  })

  it('default: every transaction kind and a block go through the fast path and decode as before', () => {
    const k = testKey('alice')
    const to = testKey('bob')
    const bodies: TxBody[] = [
      { kind: 'transfer', to: to.address, amount: 5n },
      { kind: 'transfer', to: to.address, amount: (1n << 63n) },
      { kind: 'addStake', hotkey: to.address, amount: 1n },
      { kind: 'registerNetwork' },
      { kind: 'burnedRegister', netuid: 3, hotkey: to.address },
      { kind: 'setWeights', netuid: 1, uids: [0, 1, 2, 300], values: [1, 65535, 0, 7], versionKey: 0 },
      { kind: 'escrow', seller: to.address, agent: k.address, recipient: to.publicKey, commitment: new Uint8Array(32).fill(3), amount: 10n, listing: 'bafyreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy', timeout: 5 }
    ]
    const wire = bodies.map((body, n) => signTx({ chainId: 'agora-test', signer: k.address, nonce: n * 1000, body }, k.secretKey).bytes)
    for (const w of wire) {
      expect(check(w)).toBe(true)
      const outer = cbor.decode(w) as { t: Uint8Array }
      check(outer.t)
      const d = decodeTxUnsafe(w)
      expect(d.stx.tx.signer).toBe(k.address)
    }
    const block = sealBlock({ chainId: 'agora-test', height: 7, parent: new Uint8Array(32).fill(1), stateRoot: new Uint8Array(32).fill(2), txRoot: new Uint8Array(32).fill(3), timestamp: 1_760_000_000_000, txCount: wire.length }, wire, testKey('authority').secretKey)
    expect(check(block.bytes)).toBe(true)
    expect(check(block.headerBytes)).toBe(true)
    const back = decodeBlock(block.bytes)
    expect(back.header).toEqual(block.header)
    expect(back.txs.map(t => [...t])).toEqual(wire.map(w => [...w]))
  })
})
