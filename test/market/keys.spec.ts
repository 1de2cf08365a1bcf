import { createPublicKey, verify as nodeVerify } from 'node:crypto'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { x25519 } from '@noble/curves/ed25519.js'
import { describe, expect, it } from 'vitest'
import { seal } from '../../src/market/envelope.ts'
import { peerIdOf, publicKeyOf, signBytes, verifyBytes, x25519PublicOf, x25519SecretOf } from '../../src/market/keys.ts'
import { BUYER_SECRET, SELLER_SECRET, hex, toHex } from './helpers.ts'

describe('keys', () => {
  it('default: RFC 8032 §7.1 TEST 1 and TEST 2 public keys and signatures', () => {
    // expected values copied from RFC 8032 section 7.1
    expect(toHex(publicKeyOf(SELLER_SECRET))).toBe('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a')
    expect(toHex(signBytes(new Uint8Array(0), SELLER_SECRET))).toBe(
      'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b')
    expect(toHex(publicKeyOf(BUYER_SECRET))).toBe('3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c')
    expect(toHex(signBytes(hex('72'), BUYER_SECRET))).toBe(
      '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00')
  })

  it('behavior: verify returns false for a bad signature and throws only on wrong lengths', () => {
    const pub = publicKeyOf(SELLER_SECRET)
    const sig = signBytes(Uint8Array.of(1, 2, 3), SELLER_SECRET)
    expect(verifyBytes(sig, Uint8Array.of(1, 2, 3), pub)).toBe(true)
    expect(verifyBytes(sig, Uint8Array.of(1, 2, 4), pub)).toBe(false)
    expect(verifyBytes(sig, Uint8Array.of(1, 2, 3), new Uint8Array(32).fill(0xff))).toBe(false)
    expect(() => verifyBytes(sig.subarray(1), Uint8Array.of(1), pub)).toThrow(RangeError)
    expect(() => publicKeyOf('x' as unknown as Uint8Array)).toThrow(TypeError)
  })

  it('behavior: the peer id matches the one libp2p gives the same ed25519 key', async () => {
    const key = await generateKeyPair('Ed25519')
    const { peerIdFromPrivateKey } = await import('@libp2p/peer-id')
    // a libp2p Ed25519 private key's raw form is seed ‖ public key
    const seed = key.raw.subarray(0, 32)
    expect(publicKeyOf(seed)).toEqual(key.publicKey.raw)
    expect(peerIdOf(publicKeyOf(seed))).toBe(peerIdFromPrivateKey(key).toString())
  })

  it('behavior: the X25519 forms of two hotkeys agree on a shared secret', () => {
    const ab = x25519.getSharedSecret(x25519SecretOf(SELLER_SECRET), x25519PublicOf(publicKeyOf(BUYER_SECRET)))
    const ba = x25519.getSharedSecret(x25519SecretOf(BUYER_SECRET), x25519PublicOf(publicKeyOf(SELLER_SECRET)))
    expect(ab).toEqual(ba)
  })

  it('behavior: envelope signatures verify with node:crypto over the documented signing bytes', () => {
    // independent check of the signing-bytes layout (src/signing.ts), written out by hand:
    // varint(13) ‖ "agora-listing" ‖ payload, where payload = dag-cbor [1, 2] = 82 01 02
    // ("agora-listing" is 13 ASCII bytes: the one-byte LEB128 length 0x0d; no payload length)
    const envelope = seal([1, 2], SELLER_SECRET, 'agora-listing')
    const bytes = hex('0d' + Buffer.from('agora-listing').toString('hex') + '820102')
    // the envelope ends with 69 "signature" 58 40 <64 signature bytes>
    const sig = envelope.subarray(envelope.length - 64)
    const jwk = { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(publicKeyOf(SELLER_SECRET)).toString('base64url') }
    expect(nodeVerify(null, bytes, createPublicKey({ key: jwk, format: 'jwk' }), sig)).toBe(true)
    expect(toHex(sig)).toBe(toHex(signBytes(bytes, SELLER_SECRET)))
  })
})
