import * as dagCbor from '@ipld/dag-cbor'
import { describe, expect, it } from 'vitest'
import { LISTING_DOMAIN, MAX_LISTING_BYTES } from '../../src/market/constants.ts'
import { open, seal } from '../../src/market/envelope.ts'
import { publicKeyOf } from '../../src/market/keys.ts'
import { createListing, decodeListing, encodeListing, revokeListing, updateListing, verifyListing } from '../../src/market/listing.ts'
import { DAY, OTHER_SECRET, SELLER_SECRET, T0, openModelParams, rawCid } from './helpers.ts'

const now = T0 + DAY

/** Re-signs an arbitrary payload as a listing envelope (a publisher signing bad content). */
function resign (payload: Record<string, unknown>, secret = SELLER_SECRET): Uint8Array {
  return seal(payload, secret, LISTING_DOMAIN)
}

function payloadOf (bytes: Uint8Array): Record<string, unknown> {
  return (dagCbor.decode(bytes) as { payload: Record<string, unknown> }).payload
}

describe('listing', () => {
  it('default: create, encode, verify round-trips every field', () => {
    const listing = createListing(openModelParams(), SELLER_SECRET)
    const back = verifyListing(encodeListing(listing), { now })
    expect(back.id.equals(listing.id)).toBe(true)
    expect(back.record).toEqual(listing.record)
    expect(back.record.license).toBe('Apache-2.0') // SPDX canonical case of the given 'apache-2.0'
    expect(back.record.publisher).toEqual(publicKeyOf(SELLER_SECRET))
    expect(back.record.access).toBe('open')
    expect(back.record.price).toBe(0n)
    expect(back.record.files[1].sha256).toBeNull()
  })

  it('behavior: a paid listing keeps its bigint price beyond 2^53', () => {
    const price = (1n << 60n) + 7n
    const listing = createListing(openModelParams({
      price, keyCommitment: new Uint8Array(32).fill(1), encryption: { alg: 'xchacha20poly1305-chunked/1', chunkSize: 65536 }
    }), SELLER_SECRET)
    const back = verifyListing(listing.bytes, { now })
    expect(back.record.access).toBe('paid')
    expect(back.record.price).toBe(price)
  })

  it('behavior: unknown licence, bad name, paid without commitment and open with price are refused', () => {
    expect(() => createListing(openModelParams({ license: 'apache-3.0' }), SELLER_SECRET)).toThrow(expect.objectContaining({ name: 'UnknownLicenseError' }))
    expect(() => createListing(openModelParams({ name: '../etc' }), SELLER_SECRET)).toThrow(expect.objectContaining({ name: 'InvalidListingError' }))
    expect(() => createListing(openModelParams({ price: 5n }), SELLER_SECRET)).toThrow(expect.objectContaining({ name: 'InvalidListingError' }))
    expect(() => createListing(openModelParams({ access: 'open', price: 5n }), SELLER_SECRET)).toThrow(expect.objectContaining({ name: 'InvalidListingError' }))
    expect(() => createListing(openModelParams({ files: [{ path: 'a/../b', size: 1, cid: rawCid('x') }] }), SELLER_SECRET)).toThrow(expect.objectContaining({ name: 'InvalidListingError' }))
    expect(() => createListing(openModelParams({ expires: T0 + 401 * DAY }), SELLER_SECRET)).toThrow(expect.objectContaining({ name: 'InvalidListingError' }))
  })

  it('behavior: "unspecified" is an accepted licence', () => {
    const listing = createListing(openModelParams({ license: 'unspecified' }), SELLER_SECRET)
    expect(verifyListing(listing.bytes, { now }).record.license).toBe('unspecified')
  })

  it('behavior: every tampered field is refused, whether or not the tamperer re-signs', () => {
    const listing = createListing(openModelParams(), SELLER_SECRET)
    const original = payloadOf(listing.bytes)
    const changes: Record<string, unknown> = {
      kind: 'dataset',
      name: 'other',
      version: '2',
      parent: rawCid('p'),
      description: 'x',
      card: null,
      license: 'MIT',
      tags: ['x'],
      task: null,
      files: [],
      root: rawCid('r'),
      access: 'paid',
      price: 9,
      unit: 'gib',
      publisher: publicKeyOf(OTHER_SECRET),
      created: T0 + 1,
      expires: T0 + 2 * DAY,
      seq: 1,
      state: 'revoked',
      keyCommitment: new Uint8Array(32),
      encryption: { alg: 'xchacha20poly1305-chunked/1', chunkSize: 65536 },
      schema: 'agora/listing@2'
    }
    expect(Object.keys(changes).sort()).toEqual(Object.keys(original).sort())
    for (const [field, value] of Object.entries(changes)) {
      const env = dagCbor.decode(listing.bytes) as Record<string, unknown>
      const forged = dagCbor.encode({ ...env, payload: { ...original, [field]: value } })
      // the original signature no longer covers the changed payload (or the schema breaks first)
      expect(() => verifyListing(forged, { now }), field).toThrow(expect.objectContaining({ name: expect.stringMatching(/InvalidSignatureError|InvalidListingError/) }))
    }
  })

  it('behavior: a flipped bit anywhere in the bytes is refused', () => {
    const listing = createListing(openModelParams(), SELLER_SECRET)
    for (let bit = 0; bit < listing.bytes.length * 8; bit += 7) {
      const b = listing.bytes.slice()
      b[bit >> 3] ^= 1 << (bit & 7)
      expect(() => verifyListing(b, { now }), `bit ${bit}`).toThrow()
    }
  })

  it('behavior: a listing signed by another key than its publisher is refused', () => {
    const listing = createListing(openModelParams(), SELLER_SECRET)
    expect(() => verifyListing(resign(payloadOf(listing.bytes), OTHER_SECRET), { now })).toThrow(expect.objectContaining({ name: 'InvalidSignatureError' }))
  })

  it('behavior: the same record signed under another domain is refused', () => {
    const listing = createListing(openModelParams(), SELLER_SECRET)
    const wrong = seal(payloadOf(listing.bytes), SELLER_SECRET, 'agora-receipt')
    expect(() => verifyListing(wrong, { now })).toThrow(expect.objectContaining({ name: 'InvalidSignatureError' }))
    expect(() => open(listing.bytes, 'agora-receipt')).toThrow(expect.objectContaining({ name: 'InvalidSignatureError' }))
    expect(open(listing.bytes, LISTING_DOMAIN).cid.equals(listing.id)).toBe(true)
  })

  it('behavior: expired and future listings are refused, decodeListing still reads them', () => {
    const listing = createListing(openModelParams(), SELLER_SECRET)
    expect(() => verifyListing(listing.bytes, { now: T0 + 30 * DAY })).toThrow(expect.objectContaining({ name: 'RecordExpiredError' }))
    expect(() => verifyListing(listing.bytes, { now: T0 - DAY })).toThrow(expect.objectContaining({ name: 'RecordExpiredError' }))
    expect(decodeListing(listing.bytes).id.equals(listing.id)).toBe(true)
  })

  it('behavior: an oversized record is refused before decoding', () => {
    // garbage that would fail decoding: the size error proves the size check ran first
    const big = new Uint8Array(MAX_LISTING_BYTES + 1).fill(0xff)
    expect(() => verifyListing(big, { now })).toThrow(expect.objectContaining({ name: 'RecordTooLargeError' }))
    expect(() => verifyListing(new Uint8Array(100).fill(0xff), { now })).toThrow(expect.objectContaining({ name: 'MalformedRecordError' }))
  })

  it('behavior: non-canonical encodings of a valid listing are refused', () => {
    const listing = createListing(openModelParams(), SELLER_SECRET)
    // the same map with its keys in reverse order: valid CBOR, but dag-cbor sorts keys by length
    const env = dagCbor.decode(listing.bytes) as Record<string, unknown>
    const entry = (k: string, v: unknown): number[] => [...dagCbor.encode(k), ...dagCbor.encode(v)]
    const bytes = Uint8Array.from([0xa3, ...entry('signature', env.signature), ...entry('publicKey', env.publicKey), ...entry('payload', env.payload)])
    expect(dagCbor.decode(bytes)).toEqual(env)
    expect(() => verifyListing(bytes, { now })).toThrow(expect.objectContaining({ name: 'MalformedRecordError' }))
  })

  it('behavior: update and revoke chain versions with higher sequence', () => {
    const v1 = createListing(openModelParams(), SELLER_SECRET)
    const v2 = updateListing(v1, { version: '1.1.0', created: T0 + 10, expires: T0 + 10 + DAY }, SELLER_SECRET)
    expect(v2.record.seq).toBe(1)
    expect(v2.record.parent?.equals(v1.id)).toBe(true)
    const gone = revokeListing(v2, SELLER_SECRET, { now: T0 + 20 })
    expect(gone.record.state).toBe('revoked')
    expect(gone.record.seq).toBe(2)
    expect(gone.record.expires).toBeGreaterThanOrEqual(v2.record.expires)
    expect(() => updateListing(v1, {}, OTHER_SECRET)).toThrow(expect.objectContaining({ name: 'InvalidListingError' }))
  })
})
