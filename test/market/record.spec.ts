import { describe, expect, it } from 'vitest'
import { MAX_LISTING_BYTES } from '../../src/market/constants.ts'
import { peerIdOf, publicKeyOf } from '../../src/market/keys.ts'
import { createListing, revokeListing, updateListing } from '../../src/market/listing.ts'
import { listingErrorVerdict, listingKey, listingValidator, selectListingRecord } from '../../src/market/record.ts'
import { DAY, OTHER_SECRET, SELLER_SECRET, T0, openModelParams } from './helpers.ts'

const validate = listingValidator({ now: () => T0 + DAY })
const utf8 = new TextEncoder()

describe('record', () => {
  it('default: the key is /agora-market/<peer id>/<kind>/<name> and a valid record passes', async () => {
    const listing = createListing(openModelParams(), SELLER_SECRET)
    const key = listingKey(listing.record)
    expect(new TextDecoder().decode(key)).toBe(`/agora-market/${peerIdOf(publicKeyOf(SELLER_SECRET))}/model/tiny-llama-q4`)
    await expect(validate(key, listing.bytes)).resolves.toBeUndefined()
  })

  it('behavior: a record under another item key is refused', async () => {
    const listing = createListing(openModelParams(), SELLER_SECRET)
    const other = createListing(openModelParams({ name: 'other' }), SELLER_SECRET)
    await expect(validate(listingKey(other.record), listing.bytes)).rejects.toHaveProperty('name', 'RecordKeyMismatchError')
    const foreign = createListing(openModelParams(), OTHER_SECRET)
    await expect(validate(listingKey(foreign.record), listing.bytes)).rejects.toHaveProperty('name', 'RecordKeyMismatchError')
  })

  it('behavior: size first, then signature, then expiry', async () => {
    const listing = createListing(openModelParams(), SELLER_SECRET)
    const key = listingKey(listing.record)
    await expect(validate(key, new Uint8Array(MAX_LISTING_BYTES + 1))).rejects.toHaveProperty('name', 'RecordTooLargeError')
    const forged = listing.bytes.slice()
    forged[forged.length - 1] ^= 1 // last byte of the signature (the envelope ends with it)
    await expect(validate(key, forged)).rejects.toHaveProperty('name', 'InvalidSignatureError')
    await expect(listingValidator({ now: () => T0 + 31 * DAY })(key, listing.bytes)).rejects.toHaveProperty('name', 'RecordExpiredError')
    // an expired record with a bad signature reports the signature: expiry is checked last
    await expect(listingValidator({ now: () => T0 + 31 * DAY })(key, forged)).rejects.toHaveProperty('name', 'InvalidSignatureError')
  })

  it('behavior: the selector picks the highest sequence, so a replayed older version loses', () => {
    const v1 = createListing(openModelParams(), SELLER_SECRET)
    const v2 = updateListing(v1, { created: T0 + 1, expires: T0 + 2 * DAY }, SELLER_SECRET)
    const gone = revokeListing(v2, SELLER_SECRET, { now: T0 + 2 })
    const key = listingKey(v1.record)
    expect(selectListingRecord(key, [v1.bytes, v2.bytes])).toBe(1)
    expect(selectListingRecord(key, [v2.bytes, v1.bytes])).toBe(0)
    expect(selectListingRecord(key, [v1.bytes, gone.bytes, v2.bytes])).toBe(1)
  })

  it('behavior: equal sequence prefers the longer validity, and garbage ranks last', () => {
    const short = createListing(openModelParams({ expires: T0 + DAY + 1 }), SELLER_SECRET)
    const long = createListing(openModelParams({ expires: T0 + 20 * DAY }), SELLER_SECRET)
    const key = listingKey(short.record)
    expect(selectListingRecord(key, [long.bytes, short.bytes])).toBe(0)
    expect(selectListingRecord(key, [short.bytes, long.bytes])).toBe(1)
    expect(selectListingRecord(key, [utf8.encode('junk'), short.bytes])).toBe(1)
  })

  it('behavior: forged records are rejected for gossip, stale or expired ones ignored', async () => {
    const listing = createListing(openModelParams(), SELLER_SECRET)
    const key = listingKey(listing.record)
    const forged = listing.bytes.slice()
    forged[forged.length - 1] ^= 1
    const errorOf = async (p: Promise<unknown>): Promise<unknown> => p.then(() => null, (err: unknown) => err)
    expect(listingErrorVerdict(await errorOf(validate(key, forged)))).toBe('reject')
    expect(listingErrorVerdict(await errorOf(validate(key, new Uint8Array(MAX_LISTING_BYTES + 1))))).toBe('reject')
    expect(listingErrorVerdict(await errorOf(listingValidator({ now: () => T0 + 31 * DAY })(key, listing.bytes)))).toBe('ignore')
    expect(listingErrorVerdict(new Error('disk full'))).toBe('ignore')
  })

  it('behavior: with knownSequence, a replayed older version is refused for storage', async () => {
    const v1 = createListing(openModelParams(), SELLER_SECRET)
    const v2 = updateListing(v1, { created: T0 + 1, expires: T0 + 2 * DAY }, SELLER_SECRET)
    const key = listingKey(v1.record)
    const known = new Map([[new TextDecoder().decode(key), 1]])
    const guarded = listingValidator({ now: () => T0 + DAY, knownSequence: k => known.get(k) })
    await expect(guarded(key, v1.bytes)).rejects.toHaveProperty('name', 'StaleListingError')
    await expect(guarded(key, v2.bytes)).resolves.toBeUndefined()
  })
})
