/**
 * The committed vectors (test/fixtures/market/vectors.json, see generate.ts beside it) checked
 * two ways: this code must reproduce them byte for byte, and independent tools must agree with
 * them (node:crypto for ed25519 and sha256, the raw @noble/ciphers AEAD for chunks, and the
 * envelope layout taken apart by hand rather than by a CBOR library).
 */
import { createHash, createPublicKey, verify as nodeVerify } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js'
import { CID } from 'multiformats'
import { describe, expect, it } from 'vitest'
import { decryptBytes, encryptBytes } from '../../src/market/chunk-cipher.ts'
import { commitContentKey, openSealedKey, sealContentKey } from '../../src/seal.ts'
import { createListing, decodeListing, revokeListing } from '../../src/market/listing.ts'
import { verifyReceipt } from '../../src/market/receipt.ts'
import { listingKeyString } from '../../src/market/record.ts'
import { open } from '../../src/market/envelope.ts'
import { hex, toHex } from './helpers.ts'

const v = JSON.parse(readFileSync(new URL('../fixtures/market/vectors.json', import.meta.url), 'utf8'))
const sellerPub = hex(v.keys.seller.public)

/** LEB128 unsigned varint, written out. */
function varint (n: number): number[] {
  const out: number[] = []
  while (n >= 0x80) { out.push((n & 0x7f) | 0x80); n >>>= 7 }
  out.push(n)
  return out
}

/**
 * Takes an envelope apart by its fixed layout: `a3 67 "payload" <payload> 69 "publicKey" 58 20
 * <32> 69 "signature" 58 40 <64>` (dag-cbor orders keys by length, then bytes).
 */
function split (bytes: Uint8Array): { payload: Uint8Array, publicKey: Uint8Array, signature: Uint8Array } {
  expect(toHex(bytes.subarray(0, 9))).toBe('a3' + '67' + Buffer.from('payload').toString('hex'))
  const tail = bytes.length - 120
  expect(toHex(bytes.subarray(tail, tail + 12))).toBe('69' + Buffer.from('publicKey').toString('hex') + '5820')
  expect(toHex(bytes.subarray(tail + 44, tail + 56))).toBe('69' + Buffer.from('signature').toString('hex') + '5840')
  return { payload: bytes.subarray(9, tail), publicKey: bytes.subarray(tail + 12, tail + 44), signature: bytes.subarray(tail + 56) }
}

function nodeVerifies (domain: string, bytes: Uint8Array): boolean {
  const { payload, publicKey, signature } = split(bytes)
  const d = Buffer.from(domain)
  // the one signing layout (src/signing.ts): varint(len(domain)) ‖ domain ‖ payload
  const message = Buffer.from([...varint(d.length), ...d, ...payload])
  const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(publicKey).toString('base64url') }, format: 'jwk' })
  return nodeVerify(null, message, key, signature)
}

function sha256Cid (bytes: Uint8Array): string {
  // CIDv1 = 0x01, dag-cbor = 0x71, sha2-256 = 0x12, length 0x20
  return CID.decode(Uint8Array.from([0x01, 0x71, 0x12, 0x20, ...createHash('sha256').update(bytes).digest()])).toString()
}

describe('vectors', () => {
  it('default: every listing vector verifies with node:crypto and its id is the sha256 CID of its bytes', () => {
    for (const l of v.listings) {
      const bytes = hex(l.bytes)
      expect(nodeVerifies('agora-listing', bytes), l.name).toBe(true)
      expect(nodeVerifies('agora-receipt', bytes), l.name).toBe(false)
      expect(sha256Cid(bytes)).toBe(l.id)
      expect(toHex(split(bytes).signature)).toBe(l.signature)
      expect(toHex(split(bytes).publicKey)).toBe(v.keys.seller.public)
    }
    expect(nodeVerifies(v.envelope.domain, hex(v.envelope.bytes))).toBe(true)
    expect(nodeVerifies('agora-receipt', hex(v.envelope.bytes))).toBe(false)
    expect(sha256Cid(hex(v.envelope.bytes))).toBe(v.envelope.id)
    expect(nodeVerifies('agora-receipt', hex(v.receipt.bytes))).toBe(true)
  })

  it('behavior: this code decodes the vectors and reproduces them from the same inputs', () => {
    const decoded = v.listings.map((l: { bytes: string }) => decodeListing(hex(l.bytes)))
    decoded.forEach((d: ReturnType<typeof decodeListing>, i: number) => {
      expect(d.id.toString()).toBe(v.listings[i].id)
      expect(listingKeyString(d.record.publisher, d.record.kind, d.record.name)).toBe(v.listings[i].dhtKey)
      expect(d.record.seq).toBe(v.listings[i].seq)
      expect(d.record.price.toString()).toBe(v.listings[i].price)
    })
    expect(decoded[1].record.keyCommitment).toEqual(hex(v.commitment.commitment))
    // re-signing the decoded records with the same key gives the same bytes (ed25519 is deterministic)
    const secret = hex(v.keys.seller.secret)
    expect(toHex(createListing({ ...decoded[0].record }, secret).bytes)).toBe(v.listings[0].bytes)
    expect(toHex(revokeListing(decoded[0], secret, { now: decoded[2].record.created }).bytes)).toBe(v.listings[2].bytes)
    expect(open(hex(v.envelope.bytes), 'agora-listing').payload).toEqual(v.envelope.payload)
    expect(verifyReceipt(hex(v.receipt.bytes), { listing: decoded[1] }).record.escrow).toBe(v.receipt.escrow)
    expect(toHex(sealedAgain())).toBe(v.sealedKey.sealed)
    expect(sellerPub).toEqual(decoded[0].record.publisher)
  })

  it('behavior: the cipher vector decrypts by hand with the raw AEAD, and this code reproduces it', async () => {
    const ct = hex(v.cipher.ciphertext)
    const key = hex(v.cipher.key)
    const plain = Uint8Array.from({ length: 2500 }, (_, i) => i % 251)
    // header written out: "AGORAENC", version 1, 3 zero bytes, u32 1024, u64 2500, salt 00..0f
    const header = Buffer.concat([Buffer.from('AGORAENC'), Buffer.from('01000000' + '00000400' + '00000000000009c4', 'hex'), Buffer.from(v.cipher.salt, 'hex')])
    expect(toHex(ct.subarray(0, 40))).toBe(header.toString('hex'))
    for (let i = 0; i < 3; i++) {
      const nonce = Buffer.concat([Buffer.from(v.cipher.salt, 'hex'), Buffer.from(i.toString(16).padStart(16, '0'), 'hex')])
      const start = 40 + i * (1024 + 16)
      const chunk = ct.subarray(start, Math.min(ct.length, start + 1024 + 16))
      expect(xchacha20poly1305(key, nonce, header).decrypt(chunk)).toEqual(plain.subarray(i * 1024, (i + 1) * 1024))
    }
    expect(await decryptBytes(key, ct)).toEqual(plain)
    expect(toHex(await encryptBytes(key, plain, { chunkSize: 1024, salt: hex(v.cipher.salt) }))).toBe(v.cipher.ciphertext)
  })

  it('behavior: the commitment is node:crypto sha256 of the length-prefixed domain and key', () => {
    const key = hex(v.commitment.key)
    const d = Buffer.from('agora-content-key-commitment')
    const expected = createHash('sha256').update(Buffer.from([...varint(d.length), ...d, ...key])).digest('hex')
    expect(v.commitment.commitment).toBe(expected)
    expect(toHex(commitContentKey(key))).toBe(expected)
  })

  it('behavior: the sealed key vector opens for the buyer only', () => {
    const listingId = CID.parse(v.sealedKey.listing)
    const key = openSealedKey({ sealed: hex(v.sealedKey.sealed), recipientSecret: hex(v.keys.buyer.secret), listingId, commitment: hex(v.commitment.commitment) })
    expect(toHex(key)).toBe(v.cipher.key)
    expect(() => openSealedKey({ sealed: hex(v.sealedKey.sealed), recipientSecret: hex(v.keys.seller.secret), listingId })).toThrow(expect.objectContaining({ name: 'SealedKeyError' }))
  })
})

function sealedAgain (): Uint8Array {
  return sealContentKey({
    contentKey: hex(v.cipher.key),
    recipient: hex(v.sealedKey.recipient),
    listingId: CID.parse(v.sealedKey.listing),
    ephemeralSecret: hex(v.sealedKey.ephemeralSecret),
    nonce: hex(v.sealedKey.nonce)
  })
}
