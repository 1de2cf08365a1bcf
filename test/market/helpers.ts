/**
 * Shared test material for the market: fixed keys and a sample listing.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { CID } from 'multiformats'
import * as raw from 'multiformats/codecs/raw'
import * as Digest from 'multiformats/hashes/digest'
import { commitContentKey } from '../../src/seal.ts'
import type { CreateListingParameters } from '../../src/market/listing.ts'

/** RFC 8032 §7.1 TEST 1 secret key; its public key is d75a9801…511a (checked in keys.spec). */
export const SELLER_SECRET = hex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60')
/** RFC 8032 §7.1 TEST 2 secret key; its public key is 3d4017c3…660c. */
export const BUYER_SECRET = hex('4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb')
/** RFC 8032 §7.1 TEST 3 secret key; its public key is fc51cd8e…8025. */
export const OTHER_SECRET = hex('c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7')

/** 2026-01-01T00:00:00Z in ms. */
export const T0 = Date.UTC(2026, 0, 1)
/** One day in ms. */
export const DAY = 86_400_000

/** CIDv1 raw of the UTF-8 bytes of `text`. */
export function rawCid (text: string): CID {
  return CID.createV1(raw.code, Digest.create(0x12, sha256(new TextEncoder().encode(text))))
}

/** Hex to bytes. */
export function hex (s: string): Uint8Array {
  return Uint8Array.from(Buffer.from(s, 'hex'))
}

/** Bytes to hex. */
export function toHex (b: Uint8Array): string {
  return Buffer.from(b).toString('hex')
}

/** A complete open model listing, valid from T0 for 30 days. */
export function openModelParams (over: Partial<CreateListingParameters> = {}): CreateListingParameters {
  return {
    kind: 'model',
    name: 'tiny-llama-q4',
    version: '1.0.0',
    description: 'A 4-bit quantised tiny language model for tests',
    card: rawCid('card'),
    license: 'apache-2.0',
    tags: ['llm', 'gguf', 'quantized'],
    task: 'text-generation',
    files: [
      { path: 'model.gguf', size: 1234, cid: rawCid('model'), sha256: sha256(new TextEncoder().encode('model')) },
      { path: 'config/tokenizer.json', size: 56, cid: rawCid('tokenizer') }
    ],
    root: rawCid('root'),
    created: T0,
    expires: T0 + 30 * DAY,
    ...over
  }
}

/**
 * A paid one-file listing (`model.bin` of `size` plaintext bytes, its ciphertext at `cid`, also
 * the root) committing to `committed`, in `chunkSize` chunks, valid over [created, expires).
 */
export function paidFileParams (p: { name: string, cid: CID, size: number, committed: Uint8Array, chunkSize: number, created: number, expires: number }): CreateListingParameters {
  return openModelParams({
    name: p.name,
    files: [{ path: 'model.bin', size: p.size, cid: p.cid }],
    root: p.cid,
    price: 1_000_000_000n,
    keyCommitment: commitContentKey(p.committed),
    encryption: { alg: 'xchacha20poly1305-chunked/1', chunkSize: p.chunkSize },
    created: p.created,
    expires: p.expires
  })
}
