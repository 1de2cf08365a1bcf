/**
 * ed25519 keys and signatures for the ledger.
 *
 * Keys are made and messages signed with `@noble/ed25519` (deterministic RFC 8032 signatures).
 * Policy: every signature the ledger *checks* goes through one verifier, Node's bundled OpenSSL
 * (`node:crypto`, RFC 8032 strict), so every peer accepts exactly the same set of signatures
 * (verifiers disagree on edge cases such as non-canonical points, which would split consensus);
 * it is also about 12x faster than a pure-JS verify, which the block rate needs.
 */
import { createPublicKey, verify as nodeVerify } from 'node:crypto'
import * as ed from '@noble/ed25519'
import { sha512 } from '@noble/hashes/sha2.js'
import type { KeyObject } from 'node:crypto'

ed.hashes.sha512 = sha512

const SPKI_PREFIX = Uint8Array.from([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00])

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

const keyObjects = new Map<string, KeyObject>()

function keyObject (publicKey: Uint8Array): KeyObject {
  const id = Buffer.from(publicKey).toString('hex')
  let k = keyObjects.get(id)
  if (k == null) {
    const der = new Uint8Array(44)
    der.set(SPKI_PREFIX)
    der.set(publicKey, 12)
    k = createPublicKey({ key: Buffer.from(der), format: 'der', type: 'spki' })
    if (keyObjects.size > 50_000) keyObjects.clear()
    keyObjects.set(id, k)
  }
  return k
}

/** Verify an ed25519 signature. Returns false for a bad signature; throws only on malformed sizes. */
export function verify (signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  if (signature.length !== 64) throw new RangeError('signature must be 64 bytes')
  if (publicKey.length !== 32) throw new RangeError('public key must be 32 bytes')
  try {
    return nodeVerify(null, message, keyObject(publicKey), signature)
  } catch {
    return false
  }
}
