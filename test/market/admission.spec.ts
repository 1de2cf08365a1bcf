/**
 * Admission control of the listing index (src/market/admission.ts): the bookkeeping on its own,
 * then a real ListingIndex on LevelDB under a flood of 10,000 listings from fresh keys, which
 * must stay within its budget while a staked publisher's listing still gets in and is found.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LevelDatastore } from 'datastore-level'
import { afterEach, describe, expect, it } from 'vitest'
import { Admission } from '../../src/market/admission.ts'
import { ListingIndex } from '../../src/market/listing-index.ts'
import { createListing } from '../../src/market/listing.ts'
import { publicKeyOf } from '../../src/market/keys.ts'
import { openModelParams, SELLER_SECRET } from './helpers.ts'
import type { AdmissionLimits, Admitted } from '../../src/market/admission.ts'

const dirs: string[] = []
afterEach(async () => { await Promise.all(dirs.splice(0).map(async d => rm(d, { recursive: true, force: true }))) })

const big = { listings: 1e9, bytes: 1e12 }
const limits = (over: Partial<AdmissionLimits>): Partial<AdmissionLimits> => ({
  total: big, unstaked: big, unstakedPublisher: big, stakedPublisher: big, perSource: { ...big, ratePerSecond: 1e9, burst: 1e9 }, ...over
})
const doc = (publisher: string, source: string | undefined, staked = false, size = 100): Admitted => ({ publisher, source, staked, size })

describe('listing admission', () => {
  it('behavior: a source gets its burst, then its rate', () => {
    let clock = 0
    const a = new Admission(limits({ perSource: { ...big, ratePerSecond: 10, burst: 5 } }), () => clock)
    for (let i = 0; i < 5; i++) a.admit(doc(`p${i}`, 'peer'))
    expect(() => a.admit(doc('p5', 'peer'))).toThrow(expect.objectContaining({ name: 'ListingAdmissionError' }))
    // another source is not held back by this one
    a.admit(doc('p6', 'other'))
    // 10 a second: after 300 ms three more tokens
    clock = 300
    for (let i = 0; i < 3; i++) a.admit(doc(`q${i}`, 'peer'))
    expect(() => a.admit(doc('q3', 'peer'))).toThrow(expect.objectContaining({ name: 'ListingAdmissionError' }))
  })

  it('behavior: charge takes from the source\'s rate once, refuses a source whose budget is full, and passes staked publishers', () => {
    const a = new Admission(limits({ perSource: { listings: 2, bytes: 1e9, ratePerSecond: 0, burst: 3 } }), () => 0)
    // charge then admit(…, charged) spend one token per listing: three listings for a burst of three
    for (const p of ['p0', 'p1']) { a.charge({ source: 'peer', staked: false }); const d = doc(p, 'peer'); expect(a.admit(d, true)).toEqual([]); a.added(d) }
    // the source holds its budget of two: refused before anything else is looked at
    expect(() => { a.charge({ source: 'peer', staked: false }) }).toThrow(expect.objectContaining({ name: 'ListingAdmissionError', message: expect.stringContaining('budget') }))
    // that refusal still spent the third token: the rate is now what refuses
    expect(() => { a.charge({ source: 'peer', staked: false }) }).toThrow(expect.objectContaining({ message: expect.stringContaining('faster than') }))
    // staked publishers and listings without a source are not charged
    a.charge({ source: 'peer', staked: true })
    a.charge({ staked: false })
  })

  it('behavior: budgets per unstaked publisher and per source count unstaked listings only', () => {
    const a = new Admission(limits({ unstakedPublisher: { listings: 2, bytes: 1e9 }, perSource: { listings: 3, bytes: 1e9, ratePerSecond: 1e9, burst: 1e9 } }))
    const add = (d: Admitted): void => { expect(a.admit(d)).toEqual([]); a.added(d) }
    add(doc('alice', 's1'))
    add(doc('alice', 's2'))
    expect(() => a.admit(doc('alice', 's3'))).toThrow(expect.objectContaining({ name: 'ListingAdmissionError' }))
    // a new version of a held item does not count as one more listing
    const held = doc('alice', 's1')
    expect(a.admit({ ...doc('alice', 's1'), replaces: held })).toEqual([])
    add(doc('bob', 's1'))
    add(doc('carol', 's1'))
    expect(() => a.admit(doc('dave', 's1'))).toThrow(expect.objectContaining({ name: 'ListingAdmissionError' }))
    // staked publishers' listings do not use the source's budget
    add(doc('erin', 's1', true))
  })

  it('behavior: at the unstaked ceiling the largest source\'s oldest listing goes first; staked ones never go for unstaked', () => {
    const a = new Admission(limits({ unstaked: { listings: 4, bytes: 1e9 }, total: { listings: 6, bytes: 1e9 } }))
    const flood = [doc('m1', 'mallory'), doc('m2', 'mallory'), doc('m3', 'mallory')]
    const honest = doc('h1', 'honest')
    for (const d of [...flood, honest]) a.added(d)
    // the ceiling of 4 unstaked is full: a new honest listing evicts mallory's oldest
    expect(a.admit(doc('h2', 'honest'))).toEqual([flood[0]])
    a.removed(flood[0])
    a.added(doc('h2', 'honest'))
    // staked listings fill the total (6) up: 4 unstaked + 2 staked
    a.added(doc('s1', undefined, true))
    a.added(doc('s2', undefined, true))
    // a staked newcomer evicts an unstaked listing (mallory's, the largest source)
    expect(a.admit(doc('s3', undefined, true))).toEqual([flood[1]])
    // with only staked and sourceless listings left, an unstaked newcomer is refused
    const b = new Admission(limits({ total: { listings: 2, bytes: 1e9 } }))
    b.added(doc('s1', undefined, true))
    b.added(doc('own', undefined))
    expect(() => b.admit(doc('x', 'peer'))).toThrow(expect.objectContaining({ name: 'ListingAdmissionError' }))
  })

  it('security: 10,000 listings from fresh keys by one peer leave the index within budget; a staked publisher still gets in', { timeout: 120_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'agora-admission-'))
    dirs.push(dir)
    const store = new LevelDatastore(dir)
    await store.open()
    const staked = publicKeyOf(SELLER_SECRET)
    const index = new ListingIndex({ datastore: store }, {
      isStaked: key => Buffer.from(key).equals(Buffer.from(staked)),
      admission: { unstaked: { listings: 500, bytes: 64 * 1024 ** 2 }, perSource: { listings: 300, bytes: 64 * 1024 ** 2, ratePerSecond: 1e6, burst: 1e6 } }
    })
    await index.start()
    const now = Date.now()
    let refused = 0
    for (let i = 0; i < 10_000; i++) {
      const secret = new Uint8Array(32)
      new DataView(secret.buffer).setUint32(0, i + 1)
      const l = createListing(openModelParams({ name: `spam-${i}`, created: now, expires: now + 86_400_000 }), secret)
      try {
        await index.add(l.bytes, { from: 'mallory' })
      } catch (err) {
        expect((err as Error).name).toBe('ListingAdmissionError')
        refused++
      }
    }
    // the source's budget is 300 unstaked listings: the rest were refused
    expect(refused).toBe(10_000 - 300)
    expect(index.usage.unstaked.listings).toBe(300)
    let stored = 0
    for await (const key of store.queryKeys({ prefix: '/market/listings/' })) { expect(key.toString()).toContain('spam-'); stored++ }
    expect(stored).toBe(300)
    // the staked publisher's listing, from the same peer, is taken and found
    const honest = createListing(openModelParams({ name: 'real-model', created: now, expires: now + 86_400_000 }), SELLER_SECRET)
    expect((await index.add(honest.bytes, { from: 'mallory' })).status).toBe('added')
    expect((await index.search('real-model')).map(h => h.listing.record.name)).toEqual(['real-model'])
    await index.stop()
    await store.close()
  })
})
