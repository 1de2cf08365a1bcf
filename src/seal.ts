/**
 * Content keys of paid goods: the commitment a listing carries, and the sealed box that hands
 * the key to one buyer. A root module because both the market (which seals and opens) and the
 * ledger (which judges a disputed delivery by opening it with the revealed one-time key) use it.
 *
 * Commitment: `sha256(varint(len(d)) ‖ d ‖ key)` with d = `agora-content-key-commitment` (src/signing.ts).
 *
 * Sealed key (105 bytes): `0x01 ‖ ephemeral X25519 public[32] ‖ nonce[24] ‖ XChaCha20-Poly1305(k, nonce, aad).encrypt(key)[48]`
 * where `k = HKDF-SHA256(ikm = X25519(ephemeral, buyerX), salt = ephemeralPub ‖ buyerX, info = "agora-content-key-seal/1" ‖ listingId)`,
 * `aad = listingId ‖ buyer ed25519 public key`, and buyerX is the X25519 form of the buyer's
 * hotkey. A fresh ephemeral key per sealing gives forward secrecy against the seller's key; the
 * seller's authorship comes from the ledger transaction (or receipt) that carries the box.
 */
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js'
import { x25519 } from '@noble/curves/ed25519.js'
import { hkdf } from '@noble/hashes/hkdf.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { randomBytes } from '@noble/hashes/utils.js'
import { ed25519 } from '@noble/curves/ed25519.js'
import { DOMAINS, domainPrefixed } from './signing.ts'
import type { CID } from 'multiformats'

const KEY_COMMITMENT_DOMAIN = DOMAINS.keyCommitment.domain
const KEY_SEAL_INFO = DOMAINS.keySeal.domain

/** A content key that does not match the commitment it is checked against. */
export class KeyCommitmentMismatchError extends Error {
  static override name = 'KeyCommitmentMismatchError'
  override name = 'KeyCommitmentMismatchError'
}

/** A sealed content key that cannot be opened by this recipient. */
export class SealedKeyError extends Error {
  static override name = 'SealedKeyError'
  override name = 'SealedKeyError'
}

function assertBytes (value: unknown, length: number | undefined, what: string): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) throw new TypeError(`${what} must be a Uint8Array`)
  if (length != null && value.length !== length) throw new RangeError(`${what} must be ${length} bytes, got ${value.length}`)
}

function equalBytes (a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  let d = 0
  for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i]
  return d === 0
}

/** The ed25519 public key (32 bytes) of a 32-byte secret seed. */
export function sealPublicKeyOf (seed: Uint8Array): Uint8Array {
  assertBytes(seed, 32, 'secret key')
  return ed25519.getPublicKey(seed)
}

const x25519PublicOf = (edPublicKey: Uint8Array): Uint8Array => { assertBytes(edPublicKey, 32, 'public key'); return ed25519.utils.toMontgomery(edPublicKey) }
const x25519SecretOf = (edSecretKey: Uint8Array): Uint8Array => { assertBytes(edSecretKey, 32, 'secret key'); return ed25519.utils.toMontgomerySecret(edSecretKey) }

/** Bytes of a sealed content key. */
export const SEALED_KEY_SIZE = 1 + 32 + 24 + 32 + 16
const SEAL_VERSION = 1
const utf8 = new TextEncoder()

/** The commitment to a 32-byte content key that a paid listing carries. */
export function commitContentKey (contentKey: Uint8Array): Uint8Array {
  assertBytes(contentKey, 32, 'content key')
  return sha256(domainPrefixed(KEY_COMMITMENT_DOMAIN, contentKey))
}

/**
 * Throws `KeyCommitmentMismatchError` unless `contentKey` matches `commitment`. Policy: a buyer
 * never uses, and a seller's delivery never counts with, a key the listing did not commit to.
 */
export function checkContentKey (contentKey: Uint8Array, commitment: Uint8Array): void {
  assertBytes(commitment, 32, 'key commitment')
  if (!equalBytes(commitContentKey(contentKey), commitment)) {
    throw new KeyCommitmentMismatchError('the content key does not match the listing\'s commitment')
  }
}

/** What {@link sealContentKey} needs. */
export interface SealContentKeyParameters {
  contentKey: Uint8Array
  /** The buyer's ed25519 hotkey (32 bytes). */
  recipient: Uint8Array
  /** The listing the key opens. */
  listingId: CID
  /** Ephemeral X25519 secret; random unless given (vectors only). */
  ephemeralSecret?: Uint8Array
  /** 24-byte nonce; random unless given (vectors only). */
  nonce?: Uint8Array
}

/** Seals a content key to one buyer's hotkey for one listing. */
export function sealContentKey (params: SealContentKeyParameters): Uint8Array {
  const { contentKey, recipient, listingId } = params
  assertBytes(contentKey, 32, 'content key')
  assertBytes(recipient, 32, 'recipient')
  const eph = params.ephemeralSecret ?? x25519.utils.randomSecretKey()
  const nonce = params.nonce ?? randomBytes(24)
  assertBytes(eph, 32, 'ephemeral secret')
  assertBytes(nonce, 24, 'nonce')
  const ephPub = x25519.getPublicKey(eph)
  const recipientX = x25519PublicOf(recipient)
  const k = boxKey(sharedSecret(eph, recipientX), ephPub, recipientX, listingId)
  const ct = xchacha20poly1305(k, nonce, aadOf(listingId, recipient)).encrypt(contentKey)
  const out = new Uint8Array(SEALED_KEY_SIZE)
  out[0] = SEAL_VERSION
  out.set(ephPub, 1)
  out.set(nonce, 33)
  out.set(ct, 57)
  return out
}

/** What {@link openSealedKey} needs. */
export interface OpenSealedKeyParameters {
  sealed: Uint8Array
  /** The buyer's 32-byte ed25519 secret seed. */
  recipientSecret: Uint8Array
  listingId: CID
  /** The listing's key commitment; when given the key is checked against it. */
  commitment?: Uint8Array
}

/**
 * Opens a sealed content key. Throws `SealedKeyError` when the box is malformed, for another
 * recipient or another listing, or altered; `KeyCommitmentMismatchError` when the key inside
 * does not match `commitment`.
 */
export function openSealedKey (params: OpenSealedKeyParameters): Uint8Array {
  const { sealed, recipientSecret, listingId } = params
  assertBytes(sealed, undefined, 'sealed key')
  if (sealed.length !== SEALED_KEY_SIZE || sealed[0] !== SEAL_VERSION) {
    throw new SealedKeyError(`a sealed key is ${SEALED_KEY_SIZE} bytes of version ${SEAL_VERSION}`)
  }
  const ephPub = sealed.subarray(1, 33)
  const recipientX = x25519PublicOf(sealPublicKeyOf(recipientSecret))
  const k = boxKey(sharedSecret(x25519SecretOf(recipientSecret), ephPub), ephPub, recipientX, listingId)
  let key: Uint8Array
  try {
    key = xchacha20poly1305(k, sealed.subarray(33, 57), aadOf(listingId, sealPublicKeyOf(recipientSecret))).decrypt(sealed.subarray(57))
  } catch (err) {
    throw new SealedKeyError('the sealed key does not open for this recipient and listing', { cause: err })
  }
  if (params.commitment != null) checkContentKey(key, params.commitment)
  return key
}

function sharedSecret (secret: Uint8Array, pub: Uint8Array): Uint8Array {
  try {
    return x25519.getSharedSecret(secret, pub)
  } catch (err) {
    // Policy: a low-order public key would give an all-zero secret anyone can compute.
    throw new SealedKeyError('invalid X25519 public key', { cause: err })
  }
}

function boxKey (shared: Uint8Array, ephPub: Uint8Array, recipientX: Uint8Array, listingId: CID): Uint8Array {
  const salt = new Uint8Array(64)
  salt.set(ephPub, 0)
  salt.set(recipientX, 32)
  const info = new Uint8Array([...utf8.encode(KEY_SEAL_INFO), ...listingId.bytes])
  return hkdf(sha256, shared, salt, info, 32)
}

function aadOf (listingId: CID, recipient: Uint8Array): Uint8Array {
  const aad = new Uint8Array(listingId.bytes.length + 32)
  aad.set(listingId.bytes, 0)
  aad.set(recipient, listingId.bytes.length)
  return aad
}
