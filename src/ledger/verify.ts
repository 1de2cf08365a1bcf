/**
 * The ledger's one signature verifier (see the policy in keys.ts): ed25519 through Node's
 * bundled OpenSSL (`node:crypto`, RFC 8032 strict). The main thread and the verification
 * workers (verify-worker.ts) both check signatures with this function.
 */
import { createPublicKey, verify as nodeVerify } from 'node:crypto'
import type { KeyObject } from 'node:crypto'

const SPKI_PREFIX = Uint8Array.from([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00])

const keyObjects = new Map<string, KeyObject>()

function keyObject (publicKey: Uint8Array): KeyObject {
  const id = Buffer.from(publicKey.buffer, publicKey.byteOffset, publicKey.byteLength).toString('latin1')
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
