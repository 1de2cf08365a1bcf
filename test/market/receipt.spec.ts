import { MemoryDatastore } from 'datastore-core'
import { describe, expect, it } from 'vitest'
import { commitContentKey } from '../../src/seal.ts'
import { publicKeyOf } from '../../src/market/keys.ts'
import { createListing } from '../../src/market/listing.ts'
import type { Listing } from '../../src/market/listing.ts'
import { ReceiptBook } from '../../src/market/receipt-book.ts'
import { amountDue, createReceipt, createReissueRequest, verifyReceipt, verifyReissueRequest } from '../../src/market/receipt.ts'
import { BUYER_SECRET, OTHER_SECRET, SELLER_SECRET, T0, openModelParams, rawCid } from './helpers.ts'

const buyer = publicKeyOf(BUYER_SECRET)
const seller = publicKeyOf(SELLER_SECRET)

function paidListing (name = 'paid-model'): Listing {
  return createListing(openModelParams({
    name, price: 5_000_000_000n, keyCommitment: commitContentKey(new Uint8Array(32)), encryption: { alg: 'xchacha20poly1305-chunked/1', chunkSize: 65536 }
  }), SELLER_SECRET)
}

describe('receipt', () => {
  it('default: a receipt verifies against its listing and buyer', () => {
    const listing = paidListing()
    const receipt = createReceipt({ listing, buyer, escrow: 'escrow-1', issued: T0 }, SELLER_SECRET)
    const back = verifyReceipt(receipt.bytes, { listing, buyer })
    expect(back.id.equals(receipt.id)).toBe(true)
    expect(back.record.amount).toBe(5_000_000_000n)
    expect(back.record.seller).toEqual(seller)
  })

  it('behavior: wrong listing, wrong buyer, short amount, non-publisher and tampering are refused', () => {
    const listing = paidListing()
    const receipt = createReceipt({ listing, buyer, escrow: 'escrow-1', issued: T0 }, SELLER_SECRET)
    expect(() => verifyReceipt(receipt.bytes, { listing: paidListing('other') })).toThrow(expect.objectContaining({ name: 'InvalidReceiptError' }))
    expect(() => verifyReceipt(receipt.bytes, { buyer: seller })).toThrow(expect.objectContaining({ name: 'InvalidReceiptError' }))
    const cheap = createReceipt({ listing, buyer, escrow: 'escrow-2', amount: 1n, issued: T0 }, SELLER_SECRET)
    expect(() => verifyReceipt(cheap.bytes, { listing })).toThrow(expect.objectContaining({ name: 'InvalidReceiptError' }))
    expect(() => createReceipt({ listing, buyer, escrow: 'e' }, OTHER_SECRET)).toThrow(expect.objectContaining({ name: 'InvalidReceiptError' }))
    const bad = receipt.bytes.slice()
    bad[bad.length - 1] ^= 1
    expect(() => verifyReceipt(bad)).toThrow(expect.objectContaining({ name: 'InvalidSignatureError' }))
  })

  it('behavior: a per-GiB price is due per started GiB of the files, at least once', () => {
    const GiB = 1024 ** 3
    const listing = (sizes: number[]): Listing => createListing(openModelParams({
      name: 'per-gib',
      price: 2_000_000_000n,
      unit: 'gib',
      files: sizes.map((size, i) => ({ path: `part-${i}.bin`, size, cid: rawCid('part') })),
      keyCommitment: commitContentKey(new Uint8Array(32)),
      encryption: { alg: 'xchacha20poly1305-chunked/1', chunkSize: 65536 }
    }), SELLER_SECRET)
    // 2 GiB + 1 GiB + 1 byte = 3 GiB and 1 byte: four started GiB at 2 TAO each
    const big = listing([2 * GiB, GiB, 1])
    expect(amountDue(big.record)).toBe(8_000_000_000n)
    // exactly 1 GiB is one GiB; empty files still cost one unit
    expect(amountDue(listing([GiB]).record)).toBe(2_000_000_000n)
    expect(amountDue(listing([0]).record)).toBe(2_000_000_000n)
    // a receipt for the per-download price (one unit) does not cover four
    const short = createReceipt({ listing: big, buyer, escrow: 'escrow-g', amount: 6_000_000_000n, issued: T0 }, SELLER_SECRET)
    expect(() => verifyReceipt(short.bytes, { listing: big })).toThrow(expect.objectContaining({ name: 'InvalidReceiptError' }))
    const full = createReceipt({ listing: big, buyer, escrow: 'escrow-g', issued: T0 }, SELLER_SECRET)
    expect(verifyReceipt(full.bytes, { listing: big }).record.amount).toBe(8_000_000_000n)
  })

  it('behavior: a reissue request verifies once and its replay is detected', async () => {
    const book = new ReceiptBook({ datastore: new MemoryDatastore() })
    const listing = paidListing()
    const receipt = createReceipt({ listing, buyer, escrow: 'escrow-1', issued: T0 }, SELLER_SECRET)
    const request = createReissueRequest(receipt, BUYER_SECRET, { now: T0 + 1000 })
    const { request: r } = verifyReissueRequest(request, receipt.bytes, { seller, now: T0 + 2000 })
    await book.useReissueRequest(r)
    await expect(book.useReissueRequest(r)).rejects.toHaveProperty('name', 'ReceiptReplayError')
    expect(() => verifyReissueRequest(request, receipt.bytes, { seller, now: T0 + 3_600_000 })).toThrow(expect.objectContaining({ name: 'RecordExpiredError' }))
    expect(() => verifyReissueRequest(request, receipt.bytes, { seller: buyer, now: T0 + 2000 })).toThrow(expect.objectContaining({ name: 'InvalidReceiptError' }))
    expect(() => createReissueRequest(receipt, OTHER_SECRET)).toThrow(expect.objectContaining({ name: 'InvalidReceiptError' }))
    // the request signed under the receipt domain is not a request
    const other = createReceipt({ listing: paidListing('x'), buyer, escrow: 'escrow-9', issued: T0 }, SELLER_SECRET)
    expect(() => verifyReissueRequest(receipt.bytes, other.bytes, { seller, now: T0 })).toThrow(expect.objectContaining({ name: 'InvalidSignatureError' }))
  })

  it('behavior: the book refuses a second purchase and a second receipt on one escrow, across reopen', async () => {
    const datastore = new MemoryDatastore()
    const listing = paidListing()
    const receipt = createReceipt({ listing, buyer, escrow: 'escrow-1', issued: T0 }, SELLER_SECRET)
    await new ReceiptBook({ datastore }).assertNotPurchased(buyer, listing.id)
    await new ReceiptBook({ datastore }).add(receipt)
    const book = new ReceiptBook({ datastore })
    await book.add(receipt) // idempotent
    expect((await book.get(buyer, listing.id))?.id.equals(receipt.id)).toBe(true)
    await expect(book.assertNotPurchased(buyer, listing.id)).rejects.toHaveProperty('name', 'AlreadyPurchasedError')
    await expect(book.assertNotPurchased(seller, listing.id)).resolves.toBeUndefined()
    const reused = createReceipt({ listing: paidListing('other'), buyer, escrow: 'escrow-1', issued: T0 }, SELLER_SECRET)
    await expect(book.add(reused)).rejects.toHaveProperty('name', 'ReceiptReplayError')
    const [a, b] = await Promise.allSettled([
      book.add(createReceipt({ listing, buyer: seller, escrow: 'escrow-2', issued: T0 }, SELLER_SECRET)),
      book.add(createReceipt({ listing, buyer: seller, escrow: 'escrow-2', issued: T0 + 1 }, SELLER_SECRET))
    ])
    expect([a.status, b.status].sort()).toEqual(['fulfilled', 'rejected'])
  })

  it('behavior: prune forgets only nonces too old to replay', async () => {
    const book = new ReceiptBook({ datastore: new MemoryDatastore() })
    const listing = paidListing()
    const receipt = createReceipt({ listing, buyer, escrow: 'escrow-1', issued: T0 }, SELLER_SECRET)
    const r1 = verifyReissueRequest(createReissueRequest(receipt, BUYER_SECRET, { now: T0 }), receipt.bytes, { seller, now: T0 }).request
    const r2 = verifyReissueRequest(createReissueRequest(receipt, BUYER_SECRET, { now: T0 + 3_600_000 }), receipt.bytes, { seller, now: T0 + 3_600_000 }).request
    await book.useReissueRequest(r1)
    await book.useReissueRequest(r2)
    expect(await book.prune(T0 + 3_600_000)).toBe(1)
    await expect(book.useReissueRequest(r2)).rejects.toHaveProperty('name', 'ReceiptReplayError')
  })
})
