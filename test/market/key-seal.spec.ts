import { describe, expect, it } from 'vitest'
import { commitContentKey, checkContentKey, openSealedKey, sealContentKey, SEALED_KEY_SIZE } from '../../src/seal.ts'
import { publicKeyOf } from '../../src/market/keys.ts'
import { BUYER_SECRET, OTHER_SECRET, rawCid } from './helpers.ts'
import { sha256 } from '@noble/hashes/sha2.js'

const contentKey = new Uint8Array(32).map((_, i) => i)
const listingId = rawCid('listing')
const buyer = publicKeyOf(BUYER_SECRET)

describe('key seal', () => {
  it('default: a sealed key opens for its buyer and matches the commitment', () => {
    const sealed = sealContentKey({ contentKey, recipient: buyer, listingId })
    expect(sealed.length).toBe(SEALED_KEY_SIZE)
    expect(openSealedKey({ sealed, recipientSecret: BUYER_SECRET, listingId, commitment: commitContentKey(contentKey) })).toEqual(contentKey)
  })

  it('behavior: the commitment is sha256 over the length-prefixed domain and the key', () => {
    // written out by hand (src/signing.ts layout): varint(28) ‖ "agora-content-key-commitment" ‖ key
    const domain = new TextEncoder().encode('agora-content-key-commitment')
    expect(domain.length).toBe(28)
    expect(commitContentKey(contentKey)).toEqual(sha256(Uint8Array.from([28, ...domain, ...contentKey])))
  })

  it('behavior: another recipient cannot open it', () => {
    const sealed = sealContentKey({ contentKey, recipient: buyer, listingId })
    expect(() => openSealedKey({ sealed, recipientSecret: OTHER_SECRET, listingId })).toThrow(expect.objectContaining({ name: 'SealedKeyError' }))
  })

  it('behavior: a box sealed for another listing does not open', () => {
    const sealed = sealContentKey({ contentKey, recipient: buyer, listingId: rawCid('other') })
    expect(() => openSealedKey({ sealed, recipientSecret: BUYER_SECRET, listingId })).toThrow(expect.objectContaining({ name: 'SealedKeyError' }))
  })

  it('behavior: a flipped bit or wrong length is refused', () => {
    const sealed = sealContentKey({ contentKey, recipient: buyer, listingId })
    for (let bit = 8; bit < sealed.length * 8; bit += 5) {
      const bad = sealed.slice()
      bad[bit >> 3] ^= 1 << (bit & 7)
      expect(() => openSealedKey({ sealed: bad, recipientSecret: BUYER_SECRET, listingId }), `bit ${bit}`).toThrow(expect.objectContaining({ name: 'SealedKeyError' }))
    }
    expect(() => openSealedKey({ sealed: sealed.subarray(1), recipientSecret: BUYER_SECRET, listingId })).toThrow(expect.objectContaining({ name: 'SealedKeyError' }))
  })

  it('behavior: a key that does not match the commitment is refused', () => {
    const wrongKey = contentKey.slice()
    wrongKey[0] ^= 1
    const sealed = sealContentKey({ contentKey: wrongKey, recipient: buyer, listingId })
    expect(() => openSealedKey({ sealed, recipientSecret: BUYER_SECRET, listingId, commitment: commitContentKey(contentKey) }))
      .toThrow(expect.objectContaining({ name: 'KeyCommitmentMismatchError' }))
    expect(() => checkContentKey(wrongKey, commitContentKey(contentKey))).toThrow(expect.objectContaining({ name: 'KeyCommitmentMismatchError' }))
  })
})
