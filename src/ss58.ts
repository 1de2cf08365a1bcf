/**
 * SS58 addresses with network prefix 42 (the generic Substrate prefix Bittensor keys use) over a
 * 32-byte ed25519 public key: `base58btc(0x2a ‖ pubkey ‖ blake2b-512("SS58PRE" ‖ 0x2a ‖ pubkey)[0..2])`,
 * so an agora address looks like a btcli address (`5…`). A root part of its own, light enough
 * for commands that must start at once (`agora id`); the ledger's `toAddress` / `fromAddress`
 * add its named errors and caches.
 */
import { blake2b } from '@noble/hashes/blake2.js'
import { base58btc } from 'multiformats/bases/base58'

/** The SS58 network prefix agora uses (42, generic Substrate). */
export const SS58_PREFIX = 42
const PRE = new TextEncoder().encode('SS58PRE')

/** The 2-byte checksum of an address body (prefix ‖ key). */
export function ss58Checksum (body: Uint8Array): Uint8Array {
  const h = new Uint8Array(PRE.length + body.length)
  h.set(PRE)
  h.set(body, PRE.length)
  return blake2b(h, { dkLen: 64 }).subarray(0, 2)
}

/** The address of a 32-byte public key; `RangeError` for any other length. */
export function ss58Encode (publicKey: Uint8Array): string {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== 32) throw new RangeError('public key must be 32 bytes')
  const out = new Uint8Array(35)
  out[0] = SS58_PREFIX
  out.set(publicKey, 1)
  out.set(ss58Checksum(out.subarray(0, 33)), 33)
  return base58btc.baseEncode(out)
}
