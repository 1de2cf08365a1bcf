/**
 * The one signing layout (src/signing.ts): the domain table, the bytes signed and hashed, strict
 * argument checks, and signatures checked against node:crypto over bytes rebuilt by hand.
 */
import { createHash, createPublicKey, verify as nodeVerify } from 'node:crypto'
import * as ed from '@noble/ed25519'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { DOMAINS, domainPrefixed, sign, signingBytes, verify, verifySigningBytes } from '../src/signing.ts'
import type { SignatureDomain } from '../src/signing.ts'

const fromHex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'))
// RFC 8032 §7.1 TEST 1 secret key and the public key the RFC lists for it
const SECRET = fromHex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60')
const PUBLIC = fromHex('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a')
const entries = Object.values(DOMAINS)
const signatureDomains = entries.filter(e => e.use === 'signature').map(e => e.domain) as SignatureDomain[]

function nodeVerifies (message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean {
  const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(publicKey).toString('base64url') }, format: 'jwk' })
  return nodeVerify(null, message, key, signature)
}

describe('signing domains', () => {
  it('default: every domain is distinct, none is a prefix of another, and the table is frozen', () => {
    const names = entries.map(e => e.domain)
    expect(new Set(names).size).toBe(names.length)
    for (const a of names) for (const b of names) if (a !== b) expect(b.startsWith(a), `${a} is a prefix of ${b}`).toBe(false)
    expect(Object.isFrozen(DOMAINS)).toBe(true)
    for (const e of entries) expect(Object.isFrozen(e)).toBe(true)
    expect(() => { (DOMAINS as { tx: unknown }).tx = 'x' }).toThrow(TypeError)
  })

  it('behavior: the table holds the domains the ledger, market and incentives sign under', () => {
    expect(signatureDomains.sort()).toEqual(['agora-block/v1', 'agora-fraud-report', 'agora-key-reissue', 'agora-listing', 'agora-probe-report', 'agora-probe-round', 'agora-receipt', 'agora-refusal/v1', 'agora-tx/v1'])
  })
})

describe('signing layout', () => {
  it('default: the signed bytes are varint(len(domain)) ‖ domain ‖ payload, written out by hand', () => {
    // "agora-tx/v1" is 11 ASCII bytes: the one-byte LEB128 length 0x0b, then the bytes, then the payload
    expect(Buffer.from(signingBytes('agora-tx/v1', Uint8Array.of(1, 2, 3))).toString('hex')).toBe('0b' + Buffer.from('agora-tx/v1').toString('hex') + '010203')
    // "agora-probe-nonce" is 17 bytes (0x11); the parts follow one another without lengths
    expect(Buffer.from(domainPrefixed('agora-probe-nonce', Uint8Array.of(9), Uint8Array.of(8))).toString('hex')).toBe('11' + Buffer.from('agora-probe-nonce').toString('hex') + '0908')
    expect(domainPrefixed('agora-txs')).toEqual(Uint8Array.from([9, ...Buffer.from('agora-txs')]))
  })

  it('behavior: a signature verifies with node:crypto over the hand-built bytes, and only under its own domain', () => {
    fc.assert(fc.property(fc.constantFrom(...signatureDomains), fc.uint8Array({ maxLength: 300 }), (domain, payload) => {
      const sig = sign(domain, payload, SECRET)
      const d = Buffer.from(domain)
      expect(nodeVerifies(Uint8Array.from([d.length, ...d, ...payload]), sig, PUBLIC)).toBe(true)
      expect(verify(domain, payload, sig, PUBLIC)).toBe(true)
      for (const other of signatureDomains) if (other !== domain) expect(verify(other, payload, sig, PUBLIC)).toBe(false)
    }), { numRuns: 50 })
  })

  it('behavior: a flipped bit in payload or signature fails', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 1, maxLength: 100 }), fc.nat(), (payload, bit) => {
      const sig = sign('agora-listing', payload, SECRET)
      const p = payload.slice(); p[(bit >> 3) % p.length] ^= 1 << (bit & 7)
      expect(verify('agora-listing', p, sig, PUBLIC)).toBe(false)
      const s = sig.slice(); s[(bit >> 3) % 64] ^= 1 << (bit & 7)
      expect(verify('agora-listing', payload, s, PUBLIC)).toBe(false)
    }), { numRuns: 50 })
  })

  it('behavior: a Signer signs the same bytes as the seed', () => {
    // a Signer is handed the framed bytes; this one signs them with @noble/ed25519 directly
    const signer = { publicKey: PUBLIC, sign: (m: Uint8Array) => ed.sign(m, SECRET) }
    expect(sign('agora-receipt', Uint8Array.of(7), signer)).toEqual(sign('agora-receipt', Uint8Array.of(7), SECRET))
  })

  it('behavior: the hash layout agrees with node:crypto sha256 over the hand-built bytes', () => {
    const nonce = new Uint8Array(32).fill(5)
    const expected = createHash('sha256').update(Uint8Array.from([17, ...Buffer.from('agora-probe-nonce'), ...nonce])).digest()
    expect(Buffer.from(createHash('sha256').update(domainPrefixed('agora-probe-nonce', nonce)).digest())).toEqual(expected)
  })
})

describe('signing checks', () => {
  it('behavior: unknown domains, and domains used for the wrong purpose, are refused with UnknownDomainError', () => {
    const p = Uint8Array.of(1)
    expect(() => sign('agora-test' as SignatureDomain, p, SECRET)).toThrow(expect.objectContaining({ name: 'UnknownDomainError' }))
    expect(() => verify('agora-test' as SignatureDomain, p, new Uint8Array(64), PUBLIC)).toThrow(expect.objectContaining({ name: 'UnknownDomainError' }))
    // a hash domain cannot be signed under, a signature domain cannot be hashed under
    expect(() => sign('agora-probe-nonce' as SignatureDomain, p, SECRET)).toThrow(expect.objectContaining({ name: 'UnknownDomainError' }))
    expect(() => domainPrefixed('agora-tx/v1' as 'agora-txs', p)).toThrow(expect.objectContaining({ name: 'UnknownDomainError' }))
    // domains framed by their own files are in the table but not in this layout
    expect(() => domainPrefixed('agora-genesis' as 'agora-txs', p)).toThrow(expect.objectContaining({ name: 'UnknownDomainError' }))
  })

  it('behavior: wrong types throw TypeError and wrong lengths RangeError; a bad signature is just false', () => {
    const p = Uint8Array.of(1)
    const sig = sign('agora-tx/v1', p, SECRET)
    expect(() => sign('agora-tx/v1', 'x' as unknown as Uint8Array, SECRET)).toThrow(TypeError)
    expect(() => sign('agora-tx/v1', p, SECRET.subarray(1))).toThrow(RangeError)
    expect(() => sign('agora-tx/v1', p, { publicKey: PUBLIC, sign: () => new Uint8Array(63) })).toThrow(RangeError)
    expect(() => verify('agora-tx/v1', p, sig.subarray(1), PUBLIC)).toThrow(RangeError)
    expect(() => verify('agora-tx/v1', p, sig, PUBLIC.subarray(1))).toThrow(RangeError)
    expect(() => verify('agora-tx/v1', [1] as unknown as Uint8Array, sig, PUBLIC)).toThrow(TypeError)
    expect(() => verifySigningBytes(sig, 'm' as unknown as Uint8Array, PUBLIC)).toThrow(TypeError)
    // not a point on the curve: false, not an exception
    expect(verify('agora-tx/v1', p, sig, new Uint8Array(32).fill(0xff))).toBe(false)
  })
})
