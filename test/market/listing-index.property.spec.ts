import { MemoryDatastore } from 'datastore-core'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ListingIndex } from '../../src/market/listing-index.ts'
import { createListing } from '../../src/market/listing.ts'
import type { Listing } from '../../src/market/listing.ts'
import { DAY, SELLER_SECRET, T0, openModelParams } from './helpers.ts'

const NOW = T0 + DAY
const ITEMS = ['alpha', 'beta', 'gamma']

/** One version of one of three items: sequence, state and expiry drawn at random. */
const version = fc.record({
  item: fc.integer({ min: 0, max: ITEMS.length - 1 }),
  seq: fc.integer({ min: 0, max: 4 }),
  revoked: fc.boolean(),
  expiresIn: fc.integer({ min: 1, max: 3 })
})

function make (v: { item: number, seq: number, revoked: boolean, expiresIn: number }): Listing {
  return createListing(openModelParams({
    name: ITEMS[v.item], seq: v.seq, state: v.revoked ? 'revoked' : 'active', expires: NOW + v.expiresIn * DAY
  }), SELLER_SECRET)
}

/**
 * The model: per item, the best version ever offered (highest sequence, then latest expiry, then
 * lowest bytes, as the DHT selector ranks them); the item is visible when that version is active.
 */
function expected (offered: Listing[]): string[] {
  const best = new Map<string, Listing>()
  for (const l of offered) {
    const b = best.get(l.record.name)
    const better = b == null || l.record.seq > b.record.seq ||
      (l.record.seq === b.record.seq && (l.record.expires > b.record.expires ||
        (l.record.expires === b.record.expires && Buffer.compare(l.bytes, b.bytes) < 0)))
    if (better) best.set(l.record.name, l)
  }
  return [...best.values()].filter(l => l.record.state === 'active').map(l => l.id.toString()).sort()
}

describe('listing index properties', () => {
  it('default: whatever the order of versions, the index shows the best version of each item, also after reopen', async () => {
    await fc.assert(fc.asyncProperty(fc.array(version, { minLength: 1, maxLength: 8 }), async (versions) => {
      const listings = versions.map(make)
      const datastore = new MemoryDatastore()
      const index = new ListingIndex({ datastore }, { now: () => NOW })
      await index.start()
      for (const l of listings) {
        // refusals (older versions) are part of the behaviour under test; only their name matters
        await index.add(l.bytes).catch((err: Error) => { expect(err.name).toBe('StaleListingError') })
      }
      const want = expected(listings)
      const ids = async (ix: ListingIndex): Promise<string[]> => (await ix.search('')).map(h => h.listing.id.toString()).sort()
      expect(await ids(index)).toEqual(want)
      const reopened = new ListingIndex({ datastore }, { now: () => NOW })
      await reopened.start()
      expect(await ids(reopened)).toEqual(want)
    }), { numRuns: 40 })
  })
})
