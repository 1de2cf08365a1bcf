/**
 * The one signing layout of agora, and the one list of every domain the project signs or hashes
 * under.
 *
 * One ed25519 key, the peer's libp2p identity key (the "hotkey"), signs ledger transactions and
 * blocks, market listings, receipts and reissue requests, and incentives probe reports and round
 * records. Every such signature, and every hash that names a domain, covers
 *
 *     varint(len(domain)) ‖ domain ‖ payload
 *
 * (LEB128 length of the UTF-8 domain; the ipns `'ipns-signature:'` / libp2p envelope idea). The
 * length prefix makes the layout prefix-free whatever the domains are: two messages under two
 * different domains differ within the first `1 + len(domain)` bytes, so a signature made for one
 * purpose never verifies as another, and no payload can be chosen to make it do so.
 *
 * Policy: only the domains in {@link DOMAINS} can be signed or hashed under, and a signature
 * domain is never accepted where a hash domain is expected (or the reverse), so the table is the
 * complete list a reviewer has to check. Every signature is checked by one verifier, Node's
 * bundled OpenSSL (`node:crypto`, RFC 8032 strict): verifiers disagree on edge cases such as
 * non-canonical points, and a consensus (or a market) where peers accept different signature
 * sets splits; it is also about 12x faster than a pure-JS verify, which the block rate needs.
 *
 * This is a root module of its own (a leaf: it imports nothing of the project) rather than a
 * file of `ledger`, `market` or `incentives`, because all three depend on it and none owns it.
 *
 * @see https://github.com/libp2p/js-libp2p/blob/main/packages/peer-record/src/envelope/index.ts
 * @see https://www.rfc-editor.org/rfc/rfc8032
 */
import { createPublicKey, verify as nodeVerify } from 'node:crypto'
import * as ed from '@noble/ed25519'
import { sha512 } from '@noble/hashes/sha2.js'
import type { KeyObject } from 'node:crypto'

// @noble/ed25519 needs a synchronous SHA-512 for its sync API; every user sets the same one.
if (ed.hashes.sha512 == null) ed.hashes.sha512 = sha512

/** What a domain is used for. */
export type DomainUse = 'signature' | 'hash' | 'kdf'

/** One entry of {@link DOMAINS}. */
export interface DomainEntry {
  /** The domain string (ASCII, at most 127 bytes: its length prefix is one byte). */
  readonly domain: string
  readonly use: DomainUse
  /**
   * `'prefixed'` when the bytes are this module's layout. Otherwise the file that frames the
   * domain itself (a canonical tuple, an HKDF `info`), named so the table stays complete.
   */
  readonly layout: 'prefixed' | string
}

function entry<D extends string, U extends DomainUse, L extends string> (domain: D, use: U, layout: L): { readonly domain: D, readonly use: U, readonly layout: L } {
  return Object.freeze({ domain, use, layout })
}

/**
 * Every domain agora signs, hashes or derives keys under. Frozen; the test shows the strings
 * are distinct and none is a prefix of another (which the length prefix does not need, but a
 * domain framed some other way might).
 */
export const DOMAINS = Object.freeze({
  /** A ledger transaction, signed by its signer (src/ledger/tx/codec.ts). */
  tx: entry('agora-tx/v1', 'signature', 'prefixed'),
  /** A block header, signed by the genesis authority (src/ledger/block.ts). */
  block: entry('agora-block/v1', 'signature', 'prefixed'),
  /** The authority's notice that it refused a gossiped transaction (src/ledger/refusal.ts). */
  refusal: entry('agora-refusal/v1', 'signature', 'prefixed'),
  /** The root over a block's transaction hashes (src/ledger/block.ts `txRoot`). */
  txRoot: entry('agora-txs', 'hash', 'prefixed'),
  /** The genesis hash, `sha256('agora-genesis' ‖ 0x00 ‖ value)`, the chain's identity. */
  genesis: entry('agora-genesis', 'hash', 'src/ledger/genesis.ts'),
  /** The state root, `sha256('agora-state' ‖ bucket hashes)`. */
  state: entry('agora-state', 'hash', 'src/ledger/state.ts'),
  /** A weights commitment: the first element of the canonical tuple that is hashed (src/ledger/tx/weights.ts). */
  weightsCommit: entry('agora-weights-commit', 'hash', 'src/ledger/tx/weights.ts'),
  /** A market listing envelope, signed by its publisher (src/market/listing.ts). */
  listing: entry('agora-listing', 'signature', 'prefixed'),
  /** A purchase receipt, signed by the seller (src/market/receipt.ts). */
  receipt: entry('agora-receipt', 'signature', 'prefixed'),
  /** A buyer's request to have a content key sealed to it again (src/market/receipt.ts). */
  reissue: entry('agora-key-reissue', 'signature', 'prefixed'),
  /** A buyer's report that a listing's committed key does not decrypt its content (src/market/fraud.ts). */
  fraudReport: entry('agora-fraud-report', 'signature', 'prefixed'),
  /** The hash commitment to a content key that a paid listing carries (src/seal.ts). */
  keyCommitment: entry('agora-content-key-commitment', 'hash', 'prefixed'),
  /** The HKDF `info` of the key that seals a content key to a buyer. */
  keySeal: entry('agora-content-key-seal/1', 'kdf', 'src/seal.ts'),
  /** A validator's signature over one probe report (src/incentives/probe-report.ts). */
  probeReport: entry('agora-probe-report', 'signature', 'prefixed'),
  /** A validator's signature over its round record (src/incentives/round-record.ts). */
  roundRecord: entry('agora-probe-round', 'signature', 'prefixed'),
  /** The hash that draws a task's byte range from the round's secret nonce (src/incentives/tasks.ts). */
  taskRange: entry('agora-probe-range', 'hash', 'prefixed'),
  /** The commitment to a round's secret nonce (src/incentives/tasks.ts). */
  nonceCommitment: entry('agora-probe-nonce', 'hash', 'prefixed'),
  /** A validator's point in the task keyspace, from its hotkey and secret nonce (src/incentives/tasks.ts). */
  taskPoint: entry('agora-probe-point', 'hash', 'prefixed'),
  /** The keys that draw a round's eligible listings from its seed (src/incentives/draw.ts). */
  eligibleDraw: entry('agora-probe-draw', 'hash', 'prefixed')
})

type Entries = typeof DOMAINS
/** The domains {@link sign} and {@link verify} accept. */
export type SignatureDomain = { [K in keyof Entries]: Entries[K]['use'] extends 'signature' ? Entries[K]['domain'] : never }[keyof Entries]
/** The domains {@link domainPrefixed} accepts: the hash domains of this module's layout. */
export type HashDomain = { [K in keyof Entries]: Entries[K]['use'] extends 'hash' ? Entries[K]['layout'] extends 'prefixed' ? Entries[K]['domain'] : never : never }[keyof Entries]

/** A domain that is not in {@link DOMAINS}, or is used for what it is not registered for. */
export class UnknownDomainError extends Error {
  static override name = 'UnknownDomainError'
  override name = 'UnknownDomainError'
}

const utf8 = new TextEncoder()

/** `varint(len(domain)) ‖ domain` of every domain of this module's layout, by use. */
const PREFIXES: ReadonlyMap<string, { use: DomainUse, prefix: Uint8Array }> = new Map(
  Object.values(DOMAINS as Record<string, DomainEntry>).filter(e => e.layout === 'prefixed').map(e => {
    const d = utf8.encode(e.domain)
    // one-byte LEB128 length: every domain is shorter than 128 bytes (asserted here, at load)
    if (d.length === 0 || d.length > 127) throw new RangeError(`domain "${e.domain}" must be 1 to 127 bytes`)
    const prefix = new Uint8Array(1 + d.length)
    prefix[0] = d.length
    prefix.set(d, 1)
    return [e.domain, { use: e.use, prefix }]
  })
)

function prefixOf (domain: string, use: DomainUse): Uint8Array {
  const p = typeof domain === 'string' ? PREFIXES.get(domain) : undefined
  if (p == null) throw new UnknownDomainError(`"${String(domain)}" is not a registered domain of the signing layout`)
  if (p.use !== use) throw new UnknownDomainError(`"${domain}" is a ${p.use} domain, not a ${use} domain`)
  return p.prefix
}

function assertBytes (value: unknown, length: number | undefined, what: string): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) throw new TypeError(`${what} must be a Uint8Array`)
  if (length != null && value.length !== length) throw new RangeError(`${what} must be ${length} bytes, got ${value.length}`)
}

function frame (prefix: Uint8Array, parts: readonly Uint8Array[]): Uint8Array {
  let n = prefix.length
  for (const p of parts) n += p.length
  const out = new Uint8Array(n)
  out.set(prefix)
  let at = prefix.length
  for (const p of parts) { out.set(p, at); at += p.length }
  return out
}

/**
 * The bytes a signature under `domain` covers: `varint(len(domain)) ‖ domain ‖ payload`. For
 * batch verification (the ledger's pool), which verifies them with {@link verifySigningBytes}.
 *
 * @throws UnknownDomainError, TypeError
 */
export function signingBytes (domain: SignatureDomain, payload: Uint8Array): Uint8Array {
  const prefix = prefixOf(domain, 'signature')
  assertBytes(payload, undefined, 'payload')
  return frame(prefix, [payload])
}

/**
 * The bytes a hash under `domain` covers: `varint(len(domain)) ‖ domain ‖ parts…` (the parts
 * concatenated; each caller's parts have fixed lengths or come last).
 *
 * @throws UnknownDomainError, TypeError
 */
export function domainPrefixed (domain: HashDomain, ...parts: Uint8Array[]): Uint8Array {
  const prefix = prefixOf(domain, 'hash')
  parts.forEach((p, i) => { assertBytes(p, undefined, `part ${i}`) })
  return frame(prefix, parts)
}

/**
 * Something that signs with an ed25519 key without handing out the secret: the daemon's libp2p
 * key, a hardware key. It signs the bytes it is given, so it is only ever given {@link signingBytes}.
 */
export interface Signer {
  /** The 32-byte ed25519 public key. */
  publicKey: Uint8Array
  /** The 64-byte ed25519 signature of `message`. */
  sign(message: Uint8Array): Uint8Array
}

/**
 * Signs `payload` under `domain` with a 32-byte ed25519 secret seed or a {@link Signer};
 * returns the 64-byte signature (RFC 8032, deterministic).
 *
 * @throws UnknownDomainError, TypeError, RangeError (a seed that is not 32 bytes, a signer's signature that is not 64)
 */
export function sign (domain: SignatureDomain, payload: Uint8Array, key: Uint8Array | Signer): Uint8Array {
  const message = signingBytes(domain, payload)
  if (key instanceof Uint8Array) {
    assertBytes(key, 32, 'secret key')
    return ed.sign(message, key)
  }
  if (key == null || typeof key.sign !== 'function') throw new TypeError('key must be a 32-byte secret seed or a Signer')
  const signature = key.sign(message)
  assertBytes(signature, 64, 'signature')
  return signature
}

/**
 * Whether `signature` is `publicKey`'s signature of `payload` under `domain`. Returns false for a
 * wrong signature or an invalid point; throws only for malformed arguments.
 *
 * @throws UnknownDomainError, TypeError, RangeError (a signature that is not 64 bytes, a key that is not 32)
 */
export function verify (domain: SignatureDomain, payload: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean {
  const message = signingBytes(domain, payload)
  return verifySigningBytes(signature, message, publicKey)
}

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
    // a bounded memo: a flood of new keys only resets it
    if (keyObjects.size > 50_000) keyObjects.clear()
    keyObjects.set(id, k)
  }
  return k
}

/**
 * Verifies a signature over bytes that {@link signingBytes} made (the one verifier: OpenSSL).
 * The ledger's verification workers call it on messages built on the main thread; everyone
 * else calls {@link verify}. Returns false for a bad signature; throws only on malformed sizes.
 *
 * @throws TypeError, RangeError
 */
export function verifySigningBytes (signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  assertBytes(signature, 64, 'signature')
  assertBytes(publicKey, 32, 'public key')
  assertBytes(message, undefined, 'message')
  try {
    return nodeVerify(null, message, keyObject(publicKey), signature)
  } catch {
    return false
  }
}
