/**
 * Signed envelopes with domain separation, shared by listings, receipts and reissue requests.
 * The envelope is the dag-cbor map `{ payload, publicKey, signature }` where
 * `signature = ed25519(varint(len(domain)) ‖ domain ‖ p)` (the project's one layout,
 * src/signing.ts) and `p` is the canonical dag-cbor encoding of `payload`.
 * The domain is not stored: the reader names the domain it expects, so a record signed for one
 * purpose never opens as another. Its id is the CIDv1 (dag-cbor, sha2-256) of the envelope bytes.
 */
import * as dagCbor from '@ipld/dag-cbor'
import { sha256 } from '@noble/hashes/sha2.js'
import { CID } from 'multiformats'
import * as Digest from 'multiformats/hashes/digest'
import { InvalidSignatureError, MalformedRecordError, RecordTooLargeError } from './errors.ts'
import { assertBytes, signerOf } from './keys.ts'
import { sign, verify } from '../signing.ts'
import type { Signer } from './keys.ts'
import type { SignatureDomain } from '../signing.ts'

const SHA2_256 = 0x12

/** An opened, verified envelope. */
export interface Opened<T = unknown> {
  /** The signed record, as decoded from dag-cbor (not yet schema-checked). */
  payload: T
  /** The ed25519 public key that signed it. */
  publicKey: Uint8Array
  /** The 64-byte signature. */
  signature: Uint8Array
  /** The exact envelope bytes. */
  bytes: Uint8Array
  /** CIDv1 dag-cbor of `bytes`: the record's id. */
  cid: CID
}

/** Options of {@link open}. */
export interface OpenOptions {
  /** Refuse envelopes larger than this many bytes, before decoding. @default 65536 */
  maxSize?: number
}

/** The record id of envelope bytes: CIDv1, dag-cbor codec, sha2-256. */
export function envelopeCid (bytes: Uint8Array): CID {
  return CID.createV1(dagCbor.code, Digest.create(SHA2_256, sha256(bytes)))
}

/**
 * Signs `record` under `domain` with a 32-byte ed25519 secret seed or a {@link Signer}; returns
 * the envelope bytes. Throws `UnknownDomainError` for a domain that is not a signature domain of
 * src/signing.ts `DOMAINS`.
 */
export function seal (record: unknown, key: Uint8Array | Signer, domain: SignatureDomain): Uint8Array {
  const signer = signerOf(key)
  const signature = sign(domain, dagCbor.encode(record), signer)
  return dagCbor.encode({ payload: record, publicKey: signer.publicKey, signature })
}

/**
 * Opens envelope bytes expecting `domain`: size limit first, then strict dag-cbor decoding, the
 * envelope's shape, canonical form (re-encoding gives the same bytes, so one record has one id),
 * and the signature. Throws `RecordTooLargeError`, `MalformedRecordError` or
 * `InvalidSignatureError`.
 */
export function open<T = unknown> (bytes: Uint8Array, domain: SignatureDomain, options: OpenOptions = {}): Opened<T> {
  assertBytes(bytes, undefined, 'envelope')
  const maxSize = options.maxSize ?? 64 * 1024
  if (bytes.length > maxSize) {
    throw new RecordTooLargeError(`record is ${bytes.length} bytes, the limit is ${maxSize}`)
  }
  const env = decodeEnvelope(bytes)
  verifyEnvelope(env, domain)
  return { payload: env.payload as T, publicKey: env.publicKey, signature: env.signature, bytes, cid: envelopeCid(bytes) }
}

/** A decoded envelope whose signature may not have been checked yet. */
export interface DecodedEnvelope {
  payload: unknown
  publicKey: Uint8Array
  signature: Uint8Array
}

/**
 * Checks a decoded envelope's signature under `domain`; throws `InvalidSignatureError`. Lets a
 * reader run cheap schema checks between decoding and the (costlier) signature check.
 */
export function verifyEnvelope (env: DecodedEnvelope, domain: SignatureDomain): void {
  if (!verify(domain, dagCbor.encode(env.payload), env.signature, env.publicKey)) {
    throw new InvalidSignatureError(`signature does not verify under domain "${domain}"`)
  }
}

/**
 * Decodes envelope bytes (strict dag-cbor, shape, canonical form) without verifying the signature.
 * `canonical: false` skips the canonical-form check (re-encoding costs more than decoding), only
 * for bytes that passed it before, such as our own store's. Callers check the signature with
 * {@link verifyEnvelope}, or rank records already verified (the DHT selector).
 */
export function decodeEnvelopeUnsafe (bytes: Uint8Array, options: { canonical?: boolean } = {}): DecodedEnvelope {
  return decodeEnvelope(bytes, options.canonical ?? true)
}

function decodeEnvelope (bytes: Uint8Array, canonical = true): DecodedEnvelope {
  let value: unknown
  try {
    value = dagCbor.decode(bytes)
  } catch (err) {
    throw new MalformedRecordError('envelope is not valid dag-cbor', { cause: err })
  }
  if (value == null || typeof value !== 'object' || Array.isArray(value)) {
    throw new MalformedRecordError('envelope is not a map')
  }
  const env = value as Record<string, unknown>
  const keys = Object.keys(env).sort().join(',')
  if (keys !== 'payload,publicKey,signature') {
    throw new MalformedRecordError(`envelope has fields [${keys}], expected [payload,publicKey,signature]`)
  }
  if (!(env.publicKey instanceof Uint8Array) || env.publicKey.length !== 32) {
    throw new MalformedRecordError('envelope public key must be 32 bytes')
  }
  if (!(env.signature instanceof Uint8Array) || env.signature.length !== 64) {
    throw new MalformedRecordError('envelope signature must be 64 bytes')
  }
  if (canonical && !equalBytes(dagCbor.encode(env), bytes)) {
    throw new MalformedRecordError('envelope is not in canonical dag-cbor form')
  }
  return { payload: env.payload, publicKey: env.publicKey, signature: env.signature }
}

/** Constant-shape byte comparison. */
export function equalBytes (a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i]
  return diff === 0
}
