/**
 * Refusal notices: when the authority refuses a transaction it heard by gossip, it says so, signed,
 * on `/agora/ledger/<chainId>/refused/1`. The follower that accepted the transaction drops it from
 * its pool (it stops re-sending it) and whoever waits for it gets the authority's named error at
 * once instead of a timeout.
 *
 * A notice is dag-cbor `{ chainId, tx, error, message, height }` signed by the authority's key
 * over `varint(len("agora-refusal/v1")) ‖ "agora-refusal/v1" ‖ bytes` (src/signing.ts), sent as
 * dag-cbor `{ notice, signature }`.
 */
import * as cbor from '@ipld/dag-cbor'
import { equals } from 'uint8arrays/equals'
import { MalformedError } from './errors.ts'
import { DOMAINS, sign, verify } from '../signing.ts'

/** The signing domain of refusal notices (src/signing.ts `DOMAINS`). */
export const REFUSAL_DOMAIN = DOMAINS.refusal.domain
/** Policy: notices larger than this are dropped before decoding. */
export const MAX_NOTICE_BYTES = 1024
const MAX_MESSAGE = 200

/**
 * Policy: errors that may pass on their own are not announced. A nonce ahead of the signer's
 * (gossip reordered two transactions of one signer) or a full block: the follower re-sends the
 * transaction and it lands later. A nonce behind means it landed already or another transaction
 * took it, which followers see from the blocks themselves.
 */
export const TRANSIENT_ERRORS: ReadonlySet<string> = new Set(['BadNonceError', 'RateLimitedError'])

/** What the authority says about a refused transaction. */
export interface RefusalNotice {
  chainId: string
  /** The transaction hash (hex). */
  tx: string
  /** The error's name, e.g. `InsufficientBalanceError`. */
  error: string
  message: string
  /** The authority's head when it refused. */
  height: number
}

/** Encode and sign a notice with the authority's 32-byte secret key. */
export function signRefusal (notice: RefusalNotice, secretKey: Uint8Array): Uint8Array {
  const bytes = cbor.encode({ ...notice, message: notice.message.slice(0, MAX_MESSAGE) })
  return cbor.encode({ notice: bytes, signature: sign(REFUSAL_DOMAIN, bytes, secretKey) })
}

/**
 * Decode a notice and check its size, shape, chain and the authority's signature. Throws
 * `MalformedError` for anything else.
 */
export function openRefusal (data: Uint8Array, chainId: string, authorityKey: Uint8Array): RefusalNotice {
  if (data.byteLength > MAX_NOTICE_BYTES) throw new MalformedError(`refusal notice of ${data.byteLength} bytes (limit ${MAX_NOTICE_BYTES})`)
  let outer: unknown
  let inner: unknown
  try {
    outer = cbor.decode(data)
  } catch (err) {
    throw new MalformedError('refusal notice is not dag-cbor', { cause: err })
  }
  const o = outer as { notice?: unknown, signature?: unknown }
  if (!(o?.notice instanceof Uint8Array) || !(o.signature instanceof Uint8Array) || o.signature.length !== 64) throw new MalformedError('refusal notice has no notice or signature')
  if (!verify(REFUSAL_DOMAIN, o.notice, o.signature, authorityKey)) throw new MalformedError('refusal notice is not signed by the authority')
  try {
    inner = cbor.decode(o.notice)
  } catch (err) {
    throw new MalformedError('refusal notice body is not dag-cbor', { cause: err })
  }
  const n = inner as Partial<RefusalNotice>
  if (n == null || typeof n.chainId !== 'string' || typeof n.tx !== 'string' || !/^[0-9a-f]{64}$/.test(n.tx) ||
    typeof n.error !== 'string' || typeof n.message !== 'string' || !Number.isSafeInteger(n.height)) {
    throw new MalformedError('refusal notice has the wrong shape')
  }
  if (n.chainId !== chainId) throw new MalformedError(`refusal notice of chain ${n.chainId}`)
  // Policy: one encoding per notice (exact keys, canonical order), as for transactions and blocks,
  // so a relay cannot pad or reshape a notice and the signed bytes are the only form there is.
  const body = { chainId: n.chainId, tx: n.tx, error: n.error, message: n.message, height: n.height }
  if (n.message.length > MAX_MESSAGE || Object.keys(n).length !== 5 || !equals(cbor.encode(body), o.notice) ||
    Object.keys(o).length !== 2 || !equals(cbor.encode({ notice: o.notice, signature: o.signature }), data)) {
    throw new MalformedError('refusal notice is not in its canonical form')
  }
  return { chainId: n.chainId, tx: n.tx, error: n.error, message: n.message, height: n.height as number }
}
