/**
 * Transaction wire format and signatures.
 *
 * - unsigned bytes = dag-cbor `{ c: chainId, s: signer pubkey (32 B), n: nonce, k: kind, b: body }`
 * - signature = ed25519 over `varint(len("agora-tx/v1")) ‖ "agora-tx/v1" ‖ unsigned bytes` (src/signing.ts)
 * - wire bytes = dag-cbor `{ t: unsigned bytes, g: signature }`, at most `MAX_TX_BYTES`
 * - hash = hex sha256 of the wire bytes
 *
 * dag-cbor decoding is strict (canonical only), so every transaction has exactly one encoding.
 */
import { hash } from 'node:crypto'
import * as cbor from '@ipld/dag-cbor'
import { equals } from 'uint8arrays/equals'
import { fromAddress, toAddress } from '../address.ts'
import { BadSignatureError, MalformedError } from '../errors.ts'
import { DOMAINS, sign, signingBytes, verifySigningBytes } from '../../signing.ts'
import { uint } from './check.ts'
import { decodeSubset, UNSUPPORTED } from './fast-cbor.ts'
import { KINDS } from './kinds.ts'
import type { SignedTx, Tx, TxKind } from './types.ts'

/** The signature domain of transactions (src/signing.ts `DOMAINS`). */
export const TX_DOMAIN = DOMAINS.tx.domain
/** Policy: transactions larger than this are refused before decoding. */
export const MAX_TX_BYTES = 64 * 1024

function hashHex (bytes: Uint8Array): string {
  return hash('sha256', bytes, 'hex')
}

/** Canonical unsigned bytes of a transaction. */
export function encodeUnsigned (tx: Tx): Uint8Array {
  const def = KINDS[tx.body.kind]
  if (def == null) throw new MalformedError(`unknown transaction kind ${String(tx.body.kind)}`)
  return cbor.encode({ c: tx.chainId, s: fromAddress(tx.signer), n: tx.nonce, k: tx.body.kind, b: def.encode(tx.body as never) })
}

/** Sign a transaction with the signer's 32-byte secret key. */
export function signTx (tx: Tx, secretKey: Uint8Array): SignedTx {
  const unsigned = encodeUnsigned(tx)
  const signature = sign(TX_DOMAIN, unsigned, secretKey)
  const bytes = cbor.encode({ t: unsigned, g: signature })
  return { tx, signature, unsigned, bytes, hash: hashHex(bytes) }
}

/** dag-cbor decoding, through the fast decoder for the subset transactions use (fast-cbor.ts). */
export function decodeCbor (bytes: Uint8Array): unknown {
  const v = decodeSubset(bytes)
  return v === UNSUPPORTED ? cbor.decode(bytes) : v
}

function asMap (x: unknown, what: string): Record<string, unknown> {
  if (x == null || typeof x !== 'object' || Array.isArray(x) || x instanceof Uint8Array) throw new MalformedError(`${what} must be a map`)
  return x as Record<string, unknown>
}

/** A decoded transaction whose signature is still to be checked (see `decodeTx`). */
export interface UncheckedTx {
  stx: SignedTx
  /** The exact bytes the signature covers (`signingBytes(TX_DOMAIN, unsigned)`). */
  message: Uint8Array
  publicKey: Uint8Array
}

/**
 * Decode and verify a transaction from wire bytes: size, canonical CBOR, field ranges, then
 * the signature. Throws `MalformedError` or `BadSignatureError`.
 */
export function decodeTx (bytes: Uint8Array): SignedTx {
  const u = decodeTxUnsafe(bytes)
  if (!verifySigningBytes(u.stx.signature, u.message, u.publicKey)) throw new BadSignatureError(`bad signature from ${u.stx.tx.signer}`)
  return u.stx
}

/**
 * Decode a transaction without checking its signature (size, CBOR and field checks only); the
 * caller must verify `message` against `publicKey` before using it (batch verification).
 */
export function decodeTxUnsafe (bytes: Uint8Array): UncheckedTx {
  if (!(bytes instanceof Uint8Array)) throw new MalformedError('transaction must be bytes')
  if (bytes.length > MAX_TX_BYTES) throw new MalformedError(`transaction of ${bytes.length} bytes exceeds ${MAX_TX_BYTES}`)
  let outer: Record<string, unknown>
  let inner: Record<string, unknown>
  try {
    outer = asMap(decodeCbor(bytes), 'transaction')
    if (!(outer.t instanceof Uint8Array) || !(outer.g instanceof Uint8Array)) throw new MalformedError('transaction needs t and g byte strings')
    inner = asMap(decodeCbor(outer.t), 'transaction body')
  } catch (err) {
    if ((err as Error).name === 'MalformedError') throw err
    throw new MalformedError('transaction is not canonical dag-cbor', { cause: err })
  }
  const unsigned = outer.t as Uint8Array
  const signature = outer.g as Uint8Array
  if (signature.length !== 64) throw new MalformedError('signature must be 64 bytes')
  if (!(inner.s instanceof Uint8Array) || inner.s.length !== 32) throw new MalformedError('signer must be a 32-byte public key')
  if (typeof inner.c !== 'string' || inner.c.length > 64) throw new MalformedError('chain id must be a short string')
  const kind = inner.k as TxKind
  const def = typeof kind === 'string' && Object.hasOwn(KINDS, kind) ? KINDS[kind] : undefined
  if (def == null) throw new MalformedError(`unknown transaction kind ${String(inner.k)}`)
  const tx: Tx = { chainId: inner.c, signer: toAddress(inner.s), nonce: uint(inner.n, 'nonce'), body: def.decode(asMap(inner.b, 'body')) }
  // Policy: one encoding per transaction. Its hash (an escrow's id) is taken over the wire bytes,
  // so bytes that decode to the same transaction but differ (keys in another order, extra keys
  // outside or inside, longer integers) would let a relay change the id, or pad every
  // transaction to MAX_TX_BYTES: only the bytes our encoder gives are accepted.
  if (!equals(encodeUnsigned(tx), unsigned)) throw new MalformedError('transaction body is not in its canonical form')
  if (!equals(cbor.encode({ t: unsigned, g: signature }), bytes)) throw new MalformedError('transaction is not in its canonical form { t, g }')
  return { stx: { tx, signature, unsigned, bytes, hash: hashHex(bytes) }, message: signingBytes(TX_DOMAIN, unsigned), publicKey: inner.s }
}
