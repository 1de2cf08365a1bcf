/**
 * One encoding for everything signed or hashed: a transaction's hash (an escrow's id) and a
 * block's stored bytes are taken over wire bytes, so bytes that decode to the same transaction
 * or block but differ must be refused. The rewrites below are what a relay or a peer answering
 * catch-up could do; each is written out in CBOR by hand (RFC 8949 heads), so the test does not
 * lean on the encoder under test.
 */
import * as ed from '@noble/ed25519'
import { describe, expect, it } from 'vitest'
import { decodeBlock, decodeTx, signTx } from '../../src/ledger/index.ts'
import { sealBlock } from '../../src/ledger/block.ts'
import { openRefusal } from '../../src/ledger/refusal.ts'
import { TAO, testKey } from './helpers.ts'

/** A CBOR head: major type and length/value (RFC 8949 §3). */
function head (major: number, n: number): number[] {
  if (n < 24) return [(major << 5) | n]
  if (n < 0x100) return [(major << 5) | 24, n]
  if (n < 0x10000) return [(major << 5) | 25, n >> 8, n & 0xff]
  return [(major << 5) | 26, (n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff]
}
const text = (s: string): number[] => [...head(3, s.length), ...Buffer.from(s)]
const bytes = (b: Uint8Array): number[] => [...head(2, b.length), ...b]
/** A map of the given entries, in the order given (canonical or not). */
const map = (entries: Array<[string, number[]]>): Uint8Array => Uint8Array.from([...head(5, entries.length), ...entries.flatMap(([k, v]) => [...text(k), ...v])])

const alice = testKey('alice')
const stx = signTx({ chainId: 'agora-test', signer: alice.address, nonce: 0, body: { kind: 'transfer', to: testKey('bob').address, amount: 5n * TAO } }, alice.secretKey)

describe('canonical encodings', () => {
  it('behavior: the signed bytes decode, with the hash of exactly those bytes', () => {
    // dag-cbor orders map keys by length, then bytewise: g before t
    expect(Buffer.from(stx.bytes)).toEqual(Buffer.from(map([['g', bytes(stx.signature)], ['t', bytes(stx.unsigned)]])))
    expect(decodeTx(stx.bytes).hash).toBe(stx.hash)
  })

  it('security: a relay cannot change a transaction\'s bytes (and so its hash): keys swapped, an extra key, padding are MalformedError', () => {
    const rewrites = [
      map([['t', bytes(stx.unsigned)], ['g', bytes(stx.signature)]]),
      map([['g', bytes(stx.signature)], ['p', bytes(new Uint8Array(1000))], ['t', bytes(stx.unsigned)]]),
      map([['g', bytes(stx.signature)], ['t', bytes(stx.unsigned)], ['zz', text('padding')]])
    ]
    for (const r of rewrites) expect(() => decodeTx(r)).toThrow(expect.objectContaining({ name: 'MalformedError' }))
  })

  it('security: an unsigned body with an extra key is refused even under a valid signature over it', () => {
    // the signer's own key signs a body carrying an unknown field: it decodes to the same
    // transfer, so it is a second encoding of it (a second hash for one payment)
    const inner = stx.unsigned
    // unsigned = map of 5 (0xa5): re-head it as a map of 6 and append one more key; "zzz" sorts last
    expect(inner[0]).toBe(0xa5)
    const padded = Uint8Array.from([0xa6, ...inner.subarray(1), ...text('zzz'), ...text('x')])
    const resigned = map([['g', bytes(reSign(padded))], ['t', bytes(padded)]])
    expect(() => decodeTx(resigned)).toThrow(expect.objectContaining({ name: 'MalformedError' }))
  })

  it('security: a block padded with an extra key is refused, so followers store only canonical blocks', () => {
    const auth = testKey('authority')
    const header = { chainId: 'agora-test', height: 1, parent: new Uint8Array(32), stateRoot: new Uint8Array(32), txRoot: new Uint8Array(32), timestamp: 1_000, txCount: 1 }
    const block = sealBlock(header, [stx.bytes], auth.secretKey)
    expect(decodeBlock(block.bytes).hash).toBe(block.hash)
    const txs = [...head(4, 1), ...bytes(stx.bytes)]
    // canonical key order g, h, x; a "p" key slots in order between h and x: only the extra key is wrong
    const padded = map([['g', bytes(block.signature)], ['h', bytes(block.headerBytes)], ['p', bytes(new Uint8Array(4096))], ['x', txs]])
    expect(() => decodeBlock(padded)).toThrow(expect.objectContaining({ name: 'MalformedError' }))
    const swapped = map([['h', bytes(block.headerBytes)], ['g', bytes(block.signature)], ['x', txs]])
    expect(() => decodeBlock(swapped)).toThrow(expect.objectContaining({ name: 'MalformedError' }))
  })

  it('security: a block entry above the transaction limit (64 KiB) is refused before any transaction is decoded', () => {
    const auth = testKey('authority')
    const header = { chainId: 'agora-test', height: 1, parent: new Uint8Array(32), stateRoot: new Uint8Array(32), txRoot: new Uint8Array(32), timestamp: 1_000, txCount: 1 }
    expect(() => decodeBlock(sealBlock(header, [new Uint8Array(64 * 1024 + 1)], auth.secretKey).bytes)).toThrow(expect.objectContaining({ name: 'MalformedError' }))
    // exactly at the limit the shape passes (the entry is then decoded as a transaction when applied)
    expect(decodeBlock(sealBlock(header, [new Uint8Array(64 * 1024)], auth.secretKey).bytes).txs[0]).toHaveLength(64 * 1024)
  })

  it('security: a refusal notice with an extra key, or its two parts swapped, is refused even when the authority signed it', () => {
    const auth = testKey('authority')
    // the notice body, canonical (dag-cbor: keys by length, then bytewise): tx, error, height, chainId, message
    const entries: Array<[string, number[]]> = [['tx', text('ab'.repeat(32))], ['error', text('InsufficientBalanceError')], ['height', head(0, 3)], ['chainId', text('agora-test')], ['message', text('no')]]
    // the refusal domain "agora-refusal/v1" is 16 ASCII bytes: LEB128 length 0x10
    const signed = (body: Uint8Array): Uint8Array => ed.sign(Uint8Array.from([0x10, ...Buffer.from('agora-refusal/v1'), ...body]), auth.secretKey)
    const outer = (body: Uint8Array): Uint8Array => map([['notice', bytes(body)], ['signature', bytes(signed(body))]])
    const good = map(entries)
    expect(openRefusal(outer(good), 'agora-test', auth.publicKey).height).toBe(3)
    // an extra key "x" sorts first (length 1): canonical order, valid signature, still refused
    const extra = map([['x', head(0, 1)], ...entries])
    expect(() => openRefusal(outer(extra), 'agora-test', auth.publicKey)).toThrow(expect.objectContaining({ name: 'MalformedError' }))
    const swapped = map([['signature', bytes(signed(good))], ['notice', bytes(good)]])
    expect(() => openRefusal(swapped, 'agora-test', auth.publicKey)).toThrow(expect.objectContaining({ name: 'MalformedError' }))
    const padded = map([['pad', bytes(new Uint8Array(100))], ['notice', bytes(good)], ['signature', bytes(signed(good))]])
    expect(() => openRefusal(padded, 'agora-test', auth.publicKey)).toThrow(expect.objectContaining({ name: 'MalformedError' }))
  })
})

/**
 * alice's signature over `unsigned` under the transaction domain, the bytes written out by hand
 * (src/signing.ts layout `varint(len(domain)) ‖ domain ‖ payload`): "agora-tx/v1" is 11 ASCII
 * bytes, so its LEB128 length is the one byte 0x0b. Signed with @noble/ed25519 directly.
 */
function reSign (unsigned: Uint8Array): Uint8Array {
  return ed.sign(Uint8Array.from([0x0b, ...Buffer.from('agora-tx/v1'), ...unsigned]), alice.secretKey)
}
