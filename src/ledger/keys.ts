/**
 * ed25519 keys and signatures for the ledger.
 *
 * Keys are made and messages signed with `@noble/ed25519` (deterministic RFC 8032 signatures).
 * Policy: every signature the ledger *checks* goes through one verifier, Node's bundled OpenSSL
 * (`node:crypto`, RFC 8032 strict), so every peer accepts exactly the same set of signatures
 * (verifiers disagree on edge cases such as non-canonical points, which would split consensus);
 * it is also about 12x faster than a pure-JS verify, which the block rate needs. That verifier is
 * `verify.ts` (re-exported here), kept apart so the verification workers load only it.
 */
import * as ed from '@noble/ed25519'
import { sha512 } from '@noble/hashes/sha2.js'

ed.hashes.sha512 = sha512

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

/** Sign `message` with a 32-byte secret key. */
export function sign (message: Uint8Array, secretKey: Uint8Array): Uint8Array {
  return ed.sign(message, secretKey)
}

export { verify } from './verify.ts'
