import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MemoryDatastore } from 'datastore-core'
import { LevelDatastore } from 'datastore-level'
import { Key } from 'interface-datastore'
import type { Datastore } from 'interface-datastore'
import { afterEach, describe, expect, it } from 'vitest'
import { MAX_VALIDITY_MS } from '../../src/market/constants.ts'
import { commitContentKey } from '../../src/seal.ts'
import { peerIdOf, publicKeyOf } from '../../src/market/keys.ts'
import { ListingIndex } from '../../src/market/listing-index.ts'
import { createListing, revokeListing, updateListing } from '../../src/market/listing.ts'
import type { CreateListingParameters, Listing } from '../../src/market/listing.ts'
import { DAY, OTHER_SECRET, SELLER_SECRET, T0, openModelParams } from './helpers.ts'

let clock = T0 + DAY
const dirs: string[] = []

afterEach(async () => {
  clock = T0 + DAY
  await Promise.all(dirs.splice(0).map(async d => rm(d, { recursive: true, force: true })))
})

async function started (datastore: Datastore = new MemoryDatastore()): Promise<ListingIndex> {
  const index = new ListingIndex({ datastore }, { now: () => clock })
  await index.start()
  return index
}

function make (over: Partial<CreateListingParameters>, secret = SELLER_SECRET): Listing {
  return createListing(openModelParams({ description: '', tags: [], task: null, ...over }), secret)
}

function paid (over: Partial<CreateListingParameters>, price: bigint): Listing {
  return make({ ...over, price, keyCommitment: commitContentKey(new Uint8Array(32)), encryption: { alg: 'xchacha20poly1305-chunked/1', chunkSize: 65536 } })
}

const names = (hits: Array<{ listing: Listing }>): string[] => hits.map(h => h.listing.record.name)

describe('listing index', () => {
  it('default: add, get, search and survive a reopen on LevelDB', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'agora-market-index-'))
    dirs.push(dir)
    let store = new LevelDatastore(dir)
    await store.open()
    let index = await started(store)
    const a = make({ name: 'llama-7b', description: 'a chat model', tags: ['llm'] })
    const b = make({ name: 'imagenet-mini', kind: 'dataset', description: 'images for classification', tags: ['vision'] })
    expect((await index.add(a.bytes)).status).toBe('added')
    expect((await index.add(b.bytes)).status).toBe('added')
    expect((await index.add(a.bytes)).status).toBe('unchanged')
    await index.stop()
    await store.close()

    store = new LevelDatastore(dir)
    await store.open()
    index = await started(store)
    expect(index.size).toBe(2)
    expect(Uint8Array.from((await index.get(a.id))?.bytes ?? [])).toEqual(a.bytes)
    expect(names(await index.search('llama'))).toEqual(['llama-7b'])
    expect(names(await index.search('images', { kind: 'dataset' }))).toEqual(['imagenet-mini'])
    await index.stop()
    await store.close()
  })

  it('behavior: a newer version replaces the older, and the older is refused afterwards', async () => {
    const index = await started()
    const v1 = make({ name: 'bert', description: 'old weights' })
    const v2 = updateListing(v1, { description: 'new weights', created: T0 + 10, expires: T0 + 30 * DAY }, SELLER_SECRET)
    await index.add(v1.bytes)
    expect((await index.add(v2.bytes)).status).toBe('updated')
    await expect(index.add(v1.bytes)).rejects.toHaveProperty('name', 'StaleListingError')
    expect(await index.get(v1.id)).toBeUndefined()
    expect(names(await index.search('old'))).toEqual([])
    expect(names(await index.search('new weights'))).toEqual(['bert'])
    expect(index.size).toBe(1)
  })

  it('behavior: an earlier version\'s id resolves to the current one, also after a restart; a listing naming another item\'s id as its parent does not take it over', async () => {
    const ds = new MemoryDatastore()
    let index = await started(ds)
    const v1 = make({ name: 'bert', description: 'old weights' })
    const v2 = updateListing(v1, { description: 'v2', created: T0 + 10, expires: T0 + 30 * DAY }, SELLER_SECRET)
    const v3 = updateListing(v2, { description: 'v3', created: T0 + 20, expires: T0 + 30 * DAY }, SELLER_SECRET)
    for (const v of [v1, v2, v3]) await index.add(v.bytes)
    // another publisher's listing claims v1 as its parent: a claim, not something this index saw
    const squatter = make({ name: 'bert-copy', parent: v1.id }, OTHER_SECRET)
    await index.add(squatter.bytes)
    const check = async (): Promise<void> => {
      for (const old of [v1, v2]) {
        const r = await index.resolve(old.id)
        expect(r?.superseded).toBe(true)
        expect(r?.listing.id.equals(v3.id)).toBe(true)
      }
      expect((await index.resolve(v3.id))?.superseded).toBe(false)
      expect((await index.resolve(v3.id))?.formerIds).toEqual([v2.id.toString(), v1.id.toString()])
      expect((await index.resolve(squatter.id))?.formerIds).toEqual([])
    }
    await check()
    await index.stop()
    index = await started(ds)
    await check()
    // revoked: neither the current id nor the earlier ones resolve
    await index.add(revokeListing(v3, SELLER_SECRET, { now: T0 + 30 }).bytes)
    expect(await index.resolve(v1.id)).toBeUndefined()
  })

  it('behavior: a revocation hides the item and later replays of older versions are refused', async () => {
    const datastore = new MemoryDatastore()
    let index = await started(datastore)
    const v1 = make({ name: 'gone' })
    await index.add(v1.bytes)
    const revoked = revokeListing(v1, SELLER_SECRET, { now: T0 + 5 })
    expect((await index.add(revoked.bytes)).status).toBe('revoked')
    expect(index.size).toBe(0)
    expect(await index.search('gone')).toEqual([])
    index = await started(datastore)
    await expect(index.add(v1.bytes)).rejects.toHaveProperty('name', 'StaleListingError')
    expect((await index.head(publicKeyOf(SELLER_SECRET), 'model', 'gone'))?.record.state).toBe('revoked')
    const spread: Uint8Array[] = []
    for await (const b of index.current()) spread.push(b)
    expect(spread).toEqual([revoked.bytes])
  })

  it('behavior: invalid, expired and tampered listings are refused and nothing is stored', async () => {
    const datastore = new MemoryDatastore()
    const index = await started(datastore)
    const ok = make({ name: 'fine' })
    const bad = ok.bytes.slice()
    bad[bad.length - 1] ^= 1
    await expect(index.add(bad)).rejects.toHaveProperty('name', 'InvalidSignatureError')
    clock = T0 + 31 * DAY
    await expect(index.add(ok.bytes)).rejects.toHaveProperty('name', 'RecordExpiredError')
    const stored: string[] = []
    for await (const key of datastore.queryKeys({})) stored.push(key.toString())
    expect(stored).toEqual([])
  })

  it('behavior: listings that expire disappear from search, and prune deletes them only when safe', async () => {
    const index = await started()
    const short = make({ name: 'short-lived', expires: T0 + 2 * DAY })
    await index.add(short.bytes)
    expect(names(await index.search('short'))).toEqual(['short-lived'])
    clock = T0 + 3 * DAY
    expect(await index.search('short')).toEqual([])
    expect(await index.get(short.id)).toBeUndefined()
    expect(await index.prune()).toBe(1) // hidden, but kept: an older version could still be valid
    expect(await index.head(publicKeyOf(SELLER_SECRET), 'model', 'short-lived')).toBeDefined()
    clock = T0 + MAX_VALIDITY_MS + 1
    expect(await index.prune()).toBe(1)
    expect(await index.head(publicKeyOf(SELLER_SECRET), 'model', 'short-lived')).toBeUndefined()
  })

  it('behavior: ranking puts name matches above description matches and filters apply', async () => {
    const index = await started()
    await index.add(make({ name: 'whisper-small', description: 'speech recognition', tags: ['audio'], task: 'automatic-speech-recognition', license: 'MIT' }).bytes)
    await index.add(make({ name: 'speech-notes', description: 'transcripts made with whisper', tags: ['text'] }).bytes)
    await index.add(paid({ name: 'whisper-large', description: 'bigger speech model', tags: ['audio'] }, 50n).bytes)
    await index.add(make({ name: 'whisper-tiny', description: 'speech', tags: ['audio'] }, OTHER_SECRET).bytes)
    const all = names(await index.search('whisper'))
    expect(all.slice(-1)).toEqual(['speech-notes']) // the only one with "whisper" outside its name
    expect(all).toHaveLength(4)
    expect(names(await index.search('whisper speech', { tag: 'text' }))).toEqual(['speech-notes'])
    expect(names(await index.search('whisper', { license: 'mit' }))).toEqual(['whisper-small'])
    expect(names(await index.search('whisper', { maxPrice: 10n }))).not.toContain('whisper-large')
    expect(names(await index.search('whisper', { maxPrice: 50n }))).toContain('whisper-large')
    expect(names(await index.search('whisper', { publisher: publicKeyOf(OTHER_SECRET) }))).toEqual(['whisper-tiny'])
    expect(names(await index.search('', { publisher: peerIdOf(publicKeyOf(OTHER_SECRET)) }))).toEqual(['whisper-tiny'])
    expect(names(await index.search('whisper', { task: 'automatic-speech-recognition' }))).toEqual(['whisper-small'])
    expect(names(await index.search('whisper nonexistentword'))).toEqual([])
    expect(names(await index.search('whisper', { limit: 2 }))).toEqual(all.slice(0, 2))
    expect(names(await index.search('whisper', { limit: 2, offset: 2 }))).toEqual(all.slice(2, 4))
    expect((await index.listMine(publicKeyOf(SELLER_SECRET))).map(l => l.record.name).sort()).toEqual(['speech-notes', 'whisper-large', 'whisper-small'])
  })

  it('behavior: an empty query lists newest first', async () => {
    const index = await started()
    await index.add(make({ name: 'first', created: T0 }).bytes)
    await index.add(make({ name: 'second', created: T0 + 1000 }).bytes)
    expect(names(await index.search(''))).toEqual(['second', 'first'])
    expect(names(await index.search('', { tag: 'x' }))).toEqual([])
    // a later arrival that is newer must show up first in the (cached) browse order
    await index.add(make({ name: 'third', created: T0 + 2000, tags: ['x'] }).bytes)
    expect(names(await index.search(''))).toEqual(['third', 'second', 'first'])
    expect(names(await index.search('', { tag: 'x' }))).toEqual(['third'])
    expect(names(await index.search('', { limit: 1, offset: 1 }))).toEqual(['second'])
  })

  it('behavior: addUnsafe skips the signature check but still refuses expired and stale versions', async () => {
    const index = await started()
    const v1 = make({ name: 'pre-verified' })
    const v2 = updateListing(v1, { created: T0 + 10, expires: T0 + 30 * DAY }, SELLER_SECRET)
    expect((await index.addUnsafe(v2)).status).toBe('added')
    await expect(index.addUnsafe(v1)).rejects.toHaveProperty('name', 'StaleListingError')
    clock = T0 + 31 * DAY
    await expect(index.addUnsafe(make({ name: 'late' }))).rejects.toHaveProperty('name', 'RecordExpiredError')
  })

  it('behavior: an unreadable stored entry is skipped on start and left in place', async () => {
    const datastore = new MemoryDatastore()
    let index = await started(datastore)
    await index.add(make({ name: 'good' }).bytes)
    const bad = new Key('/market/listings/agora-market/x/model/broken')
    await datastore.put(bad, Uint8Array.of(1, 2, 3))
    index = await started(datastore)
    expect(names(await index.search(''))).toEqual(['good'])
    expect(await datastore.get(bad)).toEqual(Uint8Array.of(1, 2, 3))
  })

  it('behavior: a listing dated ahead ranks by when the index first saw it, not above newer ones', async () => {
    const index = await started()
    // clock = T0 + DAY. "early" is dated 4 minutes ahead (within the 5-minute skew a listing may
    // have); "honest" is dated at the clock but arrives a minute later. By its own date "early"
    // would sort first for 4 minutes; ranked by when the index saw it, the later arrival is newer.
    const early = make({ name: 'early-bird', created: clock + 4 * 60_000, expires: clock + 10 * DAY }, OTHER_SECRET)
    await index.add(early.bytes)
    clock += 60_000
    const honest = make({ name: 'honest-model', created: clock, expires: clock + 10 * DAY })
    await index.add(honest.bytes)
    expect(names(await index.search(''))).toEqual(['honest-model', 'early-bird'])
    // the signed record itself is unchanged: the date shown is the publisher's
    expect((await index.get(early.id))?.record.created).toBe(T0 + DAY + 4 * 60_000)
  })

  it('behavior: using the index before start is a NotStartedError', async () => {
    const index = new ListingIndex({ datastore: new MemoryDatastore() })
    await expect(index.search('x')).rejects.toHaveProperty('name', 'NotStartedError')
  })
})
