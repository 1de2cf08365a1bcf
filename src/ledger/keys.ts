/**
 * ed25519 keys for the ledger.
 *
 * Keys are made with `@noble/ed25519`. Signing and verifying go through src/signing.ts, the one
 * signing layout (`varint(len(domain)) ‖ domain ‖ payload`) and the one verifier, Node's bundled
 * OpenSSL (`node:crypto`, RFC 8032 strict), so every peer accepts exactly the same set of
 * signatures (verifiers disagree on edge cases such as non-canonical points, which would split
 * consensus). `verify` here checks bytes that `signingBytes` made: it is the verification
 * pool's, re-exported from verify.ts, which the verification workers load.
 */
import * as ed from '@noble/ed25519'
import { sha512 } from '@noble/hashes/sha2.js'

if (ed.hashes.sha512 == null) ed.hashes.sha512 = sha512

/** An ed25519 key pair (32-byte seed as secret key). */
export interface KeyPair {
  secretKey: Uint8Array
  publicKey: Uint8Array
}

/** Make a new random key pair, or the one for a given 32-byte seed. */
export function generateKeyPair (seed?: Uint8Array): KeyPair {
  const secretKey = seed ?? ed.utils.randomSecretKey()
  if (secretKey.length !== 32) throw new RangeError('ed25519 seed must be 32 bytes')
  return { secretKey, publicKey: ed.getPublicKey(secretKey) }
}

export { verify } from './verify.ts'
