import { MemoryDatastore } from 'datastore-core'
import { describe, expect, it } from 'vitest'
import { decryptBytes, encryptBytes, generateContentKey } from '../../src/market/chunk-cipher.ts'
import { commitContentKey, openSealedKey, sealContentKey } from '../../src/seal.ts'
import { publicKeyOf } from '../../src/market/keys.ts'
import { createListing } from '../../src/market/listing.ts'
import type { Listing } from '../../src/market/listing.ts'
import { acceptDelivery, decodeDelivery, encodeDelivery, prepareDelivery, reissueKey } from '../../src/market/purchase.ts'
import { ReceiptBook } from '../../src/market/receipt-book.ts'
import { createReceipt, createReissueRequest } from '../../src/market/receipt.ts'
import { BUYER_SECRET, OTHER_SECRET, SELLER_SECRET, T0, openModelParams } from './helpers.ts'

const buyer = publicKeyOf(BUYER_SECRET)
const PRICE = 5_000_000_000n

function setup (): { key: Uint8Array, listing: Listing, sellerBook: ReceiptBook, buyerBook: ReceiptBook } {
  const key = generateContentKey()
  const listing = createListing(openModelParams({
    price: PRICE, keyCommitment: commitContentKey(key), encryption: { alg: 'xchacha20poly1305-chunked/1', chunkSize: 65536 }
  }), SELLER_SECRET)
  return { key, listing, sellerBook: new ReceiptBook({ datastore: new MemoryDatastore() }), buyerBook: new ReceiptBook({ datastore: new MemoryDatastore() }) }
}

describe('purchase', () => {
  it('default: the buyer gets a key that decrypts the published ciphertext, and cannot pay twice', async () => {
    const { key, listing, sellerBook, buyerBook } = setup()
    const plain = new TextEncoder().encode('weights '.repeat(10_000))
    const ciphertext = await encryptBytes(key, plain)
    await buyerBook.assertNotPurchased(buyer, listing.id)
    const delivery = await prepareDelivery({ listing, contentKey: key, buyer, escrow: 'escrow-7', amount: PRICE, sellerSecret: SELLER_SECRET, book: sellerBook, issued: T0 })
    // through the ledger: the payload of the deliver transaction
    const payload = encodeDelivery(delivery)
    expect(payload.length).toBeLessThanOrEqual(4096)
    const { contentKey } = await acceptDelivery({ listing, ...decodeDelivery(payload), buyerSecret: BUYER_SECRET, book: buyerBook })
    expect(await decryptBytes(contentKey, ciphertext)).toEqual(plain)
    await expect(buyerBook.assertNotPurchased(buyer, listing.id)).rejects.toHaveProperty('name', 'AlreadyPurchasedError')
    expect((await buyerBook.get(buyer, listing.id))?.record.escrow).toBe('escrow-7')
  })

  it('behavior: a peer that did not pay cannot open the delivered key', async () => {
    const { key, listing, sellerBook } = setup()
    const delivery = await prepareDelivery({ listing, contentKey: key, buyer, escrow: 'escrow-7', amount: PRICE, sellerSecret: SELLER_SECRET, book: sellerBook })
    await expect(acceptDelivery({ listing, sealedKey: delivery.sealedKey, receipt: delivery.receipt.bytes, buyerSecret: OTHER_SECRET, book: new ReceiptBook({ datastore: new MemoryDatastore() }) }))
      .rejects.toHaveProperty('name', 'InvalidReceiptError')
  })

  it('behavior: a seller cannot deliver a wrong key, underprice the escrow, or reuse an escrow', async () => {
    const { key, listing, sellerBook } = setup()
    const base = { listing, buyer, amount: PRICE, sellerSecret: SELLER_SECRET, book: sellerBook }
    await expect(prepareDelivery({ ...base, contentKey: generateContentKey(), escrow: 'e1' })).rejects.toHaveProperty('name', 'KeyCommitmentMismatchError')
    await expect(prepareDelivery({ ...base, contentKey: key, escrow: 'e1', amount: 1n })).rejects.toHaveProperty('name', 'InvalidReceiptError')
    await prepareDelivery({ ...base, contentKey: key, escrow: 'e1' }) // the failures above recorded nothing
    await expect(prepareDelivery({ ...base, contentKey: key, escrow: 'e1', buyer: publicKeyOf(OTHER_SECRET) })).rejects.toHaveProperty('name', 'ReceiptReplayError')
  })

  it('behavior: a buyer refuses a key that does not match the commitment and records nothing', async () => {
    const { listing, buyerBook } = setup()
    // a dishonest seller that skips prepareDelivery's check and seals another key
    const other = createListing(openModelParams({
      name: 'decoy', price: PRICE, keyCommitment: commitContentKey(new Uint8Array(32)), encryption: { alg: 'xchacha20poly1305-chunked/1', chunkSize: 65536 }
    }), SELLER_SECRET)
    const receipt = createReceipt({ listing, buyer, escrow: 'e9' }, SELLER_SECRET)
    const sealedKey = sealContentKey({ contentKey: generateContentKey(), recipient: buyer, listingId: listing.id })
    await expect(acceptDelivery({ listing, sealedKey, receipt: receipt.bytes, buyerSecret: BUYER_SECRET, book: buyerBook })).rejects.toHaveProperty('name', 'KeyCommitmentMismatchError')
    await expect(buyerBook.assertNotPurchased(buyer, listing.id)).resolves.toBeUndefined()
    // a receipt for another listing is refused too
    await expect(acceptDelivery({ listing: other, sealedKey, receipt: receipt.bytes, buyerSecret: BUYER_SECRET, book: buyerBook })).rejects.toHaveProperty('name', 'InvalidReceiptError')
  })

  it('behavior: malformed and oversized delivery payloads are refused before use', () => {
    expect(() => decodeDelivery(new Uint8Array(4097))).toThrow(expect.objectContaining({ name: 'RecordTooLargeError' }))
    expect(() => decodeDelivery(Uint8Array.of(0xff, 0x00))).toThrow(expect.objectContaining({ name: 'MalformedRecordError' }))
    expect(() => decodeDelivery(Uint8Array.of(0xa0))).toThrow(expect.objectContaining({ name: 'MalformedRecordError' }))
  })

  it('behavior: a receipt gets the key again without paying, once per request', async () => {
    const { key, listing, sellerBook, buyerBook } = setup()
    const delivery = await prepareDelivery({ listing, contentKey: key, buyer, escrow: 'escrow-7', amount: PRICE, sellerSecret: SELLER_SECRET, book: sellerBook })
    const { receipt } = await acceptDelivery({ listing, sealedKey: delivery.sealedKey, receipt: delivery.receipt.bytes, buyerSecret: BUYER_SECRET, book: buyerBook })
    const request = createReissueRequest(receipt, BUYER_SECRET)
    const params = { request, receipt: receipt.bytes, listing, contentKey: key, sellerSecret: SELLER_SECRET, book: sellerBook }
    const sealed = await reissueKey(params)
    expect(openSealedKey({ sealed, recipientSecret: BUYER_SECRET, listingId: listing.id, commitment: listing.record.keyCommitment ?? undefined })).toEqual(key)
    await expect(reissueKey(params)).rejects.toHaveProperty('name', 'ReceiptReplayError')
    // another peer cannot ride on the buyer's receipt
    expect(() => createReissueRequest(receipt, OTHER_SECRET)).toThrow(expect.objectContaining({ name: 'InvalidReceiptError' }))
  })
})
