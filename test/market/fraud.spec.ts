/**
 * Fraud reports (src/market/fraud.ts): the record's encoding and signature, the check of a claim
 * against the ciphertext a listing names, and the book of verified reports. The ciphertexts are
 * built here with the chunk cipher, so which chunk fails follows from how they were built.
 */
import * as dagCbor from '@ipld/dag-cbor'
import { MemoryDatastore } from 'datastore-core'
import { describe, expect, it } from 'vitest'
import { createListing, encryptBytes, generateContentKey } from '../../src/market/index.ts'
import { checkFraudClaim, createFraudReport, decodeFraudReport, FRAUD_DOMAIN, FraudBook, MAX_FRAUD_REPORT_BYTES } from '../../src/market/fraud.ts'
import { seal } from '../../src/market/envelope.ts'
import { publicKeyOf } from '../../src/market/keys.ts'
import { BUYER_SECRET, DAY, OTHER_SECRET, SELLER_SECRET, T0, openModelParams, paidFileParams, rawCid } from './helpers.ts'
import type { Listing } from '../../src/market/index.ts'
import type { CID } from 'multiformats'

const CHUNK = 1024
// 40-byte header, then chunks of 1024 + 16 bytes
const chunkAt = (i: number): number => 40 + i * (CHUNK + 16)
const PLAIN = new Uint8Array(3 * CHUNK + 100).map((_, i) => (i * 31) & 0xff)

/** A paid listing of one file committing to `committed`, whose ciphertext is `ct` (served by the returned reader). */
function paidListing (committed: Uint8Array, ct: Uint8Array, name = 'weights'): { listing: Listing, read: (cid: CID, offset: number, length: number) => Promise<Uint8Array> } {
  const cid = rawCid(`ct-${name}`)
  const listing = createListing(paidFileParams({ name, cid, size: PLAIN.length, committed, chunkSize: CHUNK, created: T0, expires: T0 + DAY }), SELLER_SECRET)
  return { listing, read: async (c, offset, length) => { expect(c.equals(cid)).toBe(true); return ct.slice(offset, offset + length) } }
}

describe('fraud reports', () => {
  it('behavior: a report signed by the buyer decodes to what it says; a changed byte, an extra field or an oversized report is refused', () => {
    const key = generateContentKey()
    const { listing } = paidListing(key, new Uint8Array(0))
    const r = createFraudReport({ listing, key, file: 0, chunk: 2, created: T0 + 5 }, BUYER_SECRET)
    const back = decodeFraudReport(r.bytes)
    expect(back.id.equals(r.id)).toBe(true)
    expect(back.record).toMatchObject({ file: 0, chunk: 2, created: T0 + 5, reporter: publicKeyOf(BUYER_SECRET), publisher: publicKeyOf(SELLER_SECRET) })
    expect(back.record.listing.equals(listing.id)).toBe(true)

    const env = dagCbor.decode(r.bytes) as { payload: Record<string, unknown>, publicKey: Uint8Array, signature: Uint8Array }
    const forged = dagCbor.encode({ ...env, payload: { ...env.payload, chunk: 3 } })
    expect(() => decodeFraudReport(forged)).toThrow(expect.objectContaining({ name: 'InvalidSignatureError' }))
    // signed properly, but with a field the schema does not have
    const extra = seal({ ...env.payload, note: 'x' }, BUYER_SECRET, FRAUD_DOMAIN)
    expect(() => decodeFraudReport(extra)).toThrow(expect.objectContaining({ name: 'FraudReportError', message: expect.stringContaining('exactly') }))
    expect(() => decodeFraudReport(new Uint8Array(MAX_FRAUD_REPORT_BYTES + 1))).toThrow(expect.objectContaining({ name: 'RecordTooLargeError' }))
    // signed by someone other than the reporter it names
    const other = dagCbor.encode({ ...env, publicKey: publicKeyOf(OTHER_SECRET) })
    expect(() => decodeFraudReport(other)).toThrow(expect.objectContaining({ name: expect.stringMatching(/InvalidSignatureError|FraudReportError/) }))
  })

  it('security: a listing encrypted with another key than it committed to is proven fraudulent on any chunk; the honest listing refutes every report', async () => {
    const committed = generateContentKey()
    const fraud = paidListing(committed, await encryptBytes(generateContentKey(), PLAIN, { chunkSize: CHUNK }), 'fraud')
    const honest = paidListing(committed, await encryptBytes(committed, PLAIN, { chunkSize: CHUNK }), 'honest')
    // 3 * 1024 + 100 bytes: four chunks, 0..3
    for (const chunk of [0, 1, 2, 3]) {
      await expect(checkFraudClaim(createFraudReport({ listing: fraud.listing, key: committed, file: 0, chunk }, BUYER_SECRET), fraud.listing, fraud.read)).resolves.toBeUndefined()
      await expect(checkFraudClaim(createFraudReport({ listing: honest.listing, key: committed, file: 0, chunk }, BUYER_SECRET), honest.listing, honest.read))
        .rejects.toMatchObject({ name: 'FraudReportError', message: expect.stringContaining('the report is false') })
    }
    // a chunk or file that does not exist, a key that is not the committed one, another listing
    const report = (over: { key?: Uint8Array, file?: number, chunk?: number }): ReturnType<typeof createFraudReport> => createFraudReport({ listing: fraud.listing, key: committed, file: 0, chunk: 0, ...over }, BUYER_SECRET)
    await expect(checkFraudClaim(report({ chunk: 4 }), fraud.listing, fraud.read)).rejects.toMatchObject({ name: 'FraudReportError', message: expect.stringContaining('no chunk 4') })
    await expect(checkFraudClaim(report({ file: 1 }), fraud.listing, fraud.read)).rejects.toMatchObject({ name: 'FraudReportError', message: expect.stringContaining('no file 1') })
    await expect(checkFraudClaim(report({ key: generateContentKey() }), fraud.listing, fraud.read)).rejects.toMatchObject({ name: 'FraudReportError', message: expect.stringContaining('not the one the listing committed to') })
    await expect(checkFraudClaim(report({}), honest.listing, honest.read)).rejects.toMatchObject({ name: 'FraudReportError', message: expect.stringContaining('another listing') })
  })

  it('security: one altered chunk is proven on that chunk only; a truncated file and a header that disagrees with the listing are proven too', async () => {
    const key = generateContentKey()
    const good = await encryptBytes(key, PLAIN, { chunkSize: CHUNK })
    const altered = good.slice()
    altered[chunkAt(2) + 7] ^= 1
    const a = paidListing(key, altered, 'altered')
    const at = (chunk: number): ReturnType<typeof createFraudReport> => createFraudReport({ listing: a.listing, key, file: 0, chunk }, BUYER_SECRET)
    await expect(checkFraudClaim(at(2), a.listing, a.read)).resolves.toBeUndefined()
    await expect(checkFraudClaim(at(1), a.listing, a.read)).rejects.toMatchObject({ name: 'FraudReportError' })

    // the file ends 10 bytes into its last chunk (chunk 3 holds 100 bytes + a 16-byte tag)
    const t = paidListing(key, good.slice(0, chunkAt(3) + 10), 'truncated')
    await expect(checkFraudClaim(createFraudReport({ listing: t.listing, key, file: 0, chunk: 3 }, BUYER_SECRET), t.listing, t.read)).resolves.toBeUndefined()

    // encrypted with 2048-byte chunks while the listing says 1024: the header disagrees
    const h = paidListing(key, await encryptBytes(key, PLAIN, { chunkSize: 2 * CHUNK }), 'header')
    await expect(checkFraudClaim(createFraudReport({ listing: h.listing, key, file: 0, chunk: 0 }, BUYER_SECRET), h.listing, h.read)).resolves.toBeUndefined()
  })

  it('behavior: the book marks a reported listing and its publisher, keeps one report per listing, survives a restart and drops the oldest past its limit', async () => {
    const key = generateContentKey()
    const ds = new MemoryDatastore()
    const listings = ['one', 'two', 'three'].map(n => paidListing(key, new Uint8Array(0), n).listing)
    const byOther = createListing(openModelParams({ name: 'elsewhere' }), OTHER_SECRET)
    const book = new FraudBook({ datastore: ds }, { max: 2 })
    await book.start()
    expect(book.marks(listings[0])).toEqual({ listing: false, publisher: false })
    expect(await book.add(createFraudReport({ listing: listings[0], key, file: 0, chunk: 0, created: T0 }, BUYER_SECRET))).toBe(true)
    // a second report about the same listing is not kept
    expect(await book.add(createFraudReport({ listing: listings[0], key, file: 0, chunk: 1, created: T0 + 1 }, BUYER_SECRET))).toBe(false)
    expect(book.marks(listings[0])).toEqual({ listing: true, publisher: true })
    expect(book.marks(listings[1])).toEqual({ listing: false, publisher: true })
    expect(book.marks(byOther)).toEqual({ listing: false, publisher: false })

    const reopened = new FraudBook({ datastore: ds }, { max: 2 })
    await reopened.start()
    expect(reopened.get(listings[0].id)?.record.chunk).toBe(0)
    await reopened.add(createFraudReport({ listing: listings[1], key, file: 0, chunk: 0, created: T0 + 2 }, BUYER_SECRET))
    await reopened.add(createFraudReport({ listing: listings[2], key, file: 0, chunk: 0, created: T0 + 3 }, BUYER_SECRET))
    // the limit is 2: the oldest (listing one) went, from memory and from the datastore
    expect(reopened.size).toBe(2)
    expect(reopened.has(listings[0].id)).toBe(false)
    const again = new FraudBook({ datastore: ds }, { max: 2 })
    await again.start()
    expect(again.all().map(r => r.record.listing.toString())).toEqual([listings[1].id.toString(), listings[2].id.toString()])
  })
})
