/**
 * Hotkey helpers. The hotkey is the peer's libp2p ed25519 identity key: its 32-byte secret seed
 * (`privateKey.raw.subarray(0, 32)` of a libp2p `Ed25519PrivateKey`) signs listings and
 * receipts, and its X25519 form (RFC 7748 birational map) receives sealed content keys.
 */
import { publicKeyFromRaw } from '@libp2p/crypto/keys'
import { peerIdFromPublicKey } from '@libp2p/peer-id'
import { ed25519 } from '@noble/curves/ed25519.js'
import * as ed from '@noble/ed25519'
import { sha512 } from '@noble/hashes/sha2.js'
import { verifySignature } from '../ledger/index.ts'
import { flatString } from '../strings.ts'

// @noble/ed25519 needs a synchronous SHA-512 for its sync API; every user sets the same one.
if (ed.hashes.sha512 == null) ed.hashes.sha512 = sha512

/**
 * Asserts that `value` is a Uint8Array of `length` bytes (any length when omitted).
 * Throws `TypeError` for a wrong type and `RangeError` for a wrong length.
 */
export function assertBytes (value: unknown, length: number | undefined, what: string): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) throw new TypeError(`${what} must be a Uint8Array`)
  if (length != null && value.length !== length) {
    throw new RangeError(`${what} must be ${length} bytes, got ${value.length}`)
  }
}

/** The ed25519 public key (32 bytes) of a 32-byte secret seed. */
export function publicKeyOf (secretKey: Uint8Array): Uint8Array {
  assertBytes(secretKey, 32, 'secret key')
  return ed.getPublicKey(secretKey)
}

/**
 * Something that signs with an ed25519 hotkey without handing out the secret: the daemon can
 * wrap its libp2p private key (`{ publicKey: key.publicKey.raw, sign: m => key.sign(m) }` when
 * that is synchronous), a hardware key, or another ed25519 implementation.
 */
export interface Signer {
  /** The 32-byte ed25519 public key. */
  publicKey: Uint8Array
  /** The 64-byte ed25519 signature of `message`. */
  sign(message: Uint8Array): Uint8Array
}

/** A {@link Signer} for a 32-byte secret seed, or the signer itself. */
export function signerOf (key: Uint8Array | Signer): Signer {
  if (key instanceof Uint8Array) {
    assertBytes(key, 32, 'secret key')
    const publicKey = ed.getPublicKey(key)
    return { publicKey, sign: (message) => ed.sign(message, key) }
  }
  if (key == null || typeof key.sign !== 'function') throw new TypeError('key must be a 32-byte secret seed or a Signer')
  assertBytes(key.publicKey, 32, 'signer public key')
  return key
}

/** Signs `message` with a 32-byte ed25519 secret seed; returns the 64-byte signature. */
export function signBytes (message: Uint8Array, secretKey: Uint8Array): Uint8Array {
  assertBytes(secretKey, 32, 'secret key')
  return ed.sign(message, secretKey)
}

/**
 * Verifies an ed25519 signature with the project's one verifier (the ledger's: OpenSSL, RFC 8032
 * strict), so every peer accepts the same listings, receipts and reports as it accepts
 * transactions; it is also about 12x faster than a pure-JS verify, which matters to every peer
 * checking every gossiped listing. Returns `false` for a bad signature or an invalid point and
 * throws only for arguments of the wrong type or length.
 */
export function verifyBytes (signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  assertBytes(signature, 64, 'signature')
  assertBytes(publicKey, 32, 'public key')
  return verifySignature(signature, message, publicKey)
}

const peerIds = new Map<string, string>()

/** The libp2p peer id string (`12D3Koo…`) of an ed25519 public key. */
export function peerIdOf (publicKey: Uint8Array): string {
  assertBytes(publicKey, 32, 'public key')
  const hex = Buffer.from(publicKey).toString('hex')
  let id = peerIds.get(hex)
  if (id == null) {
    id = flatString(peerIdFromPublicKey(publicKeyFromRaw(publicKey)).toString())
    // a bounded memo: an index holds a few thousand publishers, a flood of new keys just resets it
    if (peerIds.size >= 65_536) peerIds.clear()
    peerIds.set(hex, id)
  }
  return id
}

/** The X25519 public key of an ed25519 public key. */
export function x25519PublicOf (edPublicKey: Uint8Array): Uint8Array {
  assertBytes(edPublicKey, 32, 'public key')
  return ed25519.utils.toMontgomery(edPublicKey)
}

/** The X25519 secret scalar of an ed25519 secret seed. */
export function x25519SecretOf (edSecretKey: Uint8Array): Uint8Array {
  assertBytes(edSecretKey, 32, 'secret key')
  return ed25519.utils.toMontgomerySecret(edSecretKey)
}
