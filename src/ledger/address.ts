/**
 * Addresses: SS58 with network prefix 42 (the generic Substrate prefix that Bittensor keys use),
 * over the 32-byte ed25519 public key. So an agora address looks like a btcli address (`5…`):
 * `base58btc(0x2a ‖ pubkey ‖ blake2b-512("SS58PRE" ‖ 0x2a ‖ pubkey)[0..2])`.
 *
 * Policy: addresses carry a 2-byte checksum, so a mistyped address is refused rather than paid.
 */
import { blake2b } from '@noble/hashes/blake2.js'
import { base58btc } from 'multiformats/bases/base58'
import { MalformedError } from './errors.ts'
import { flatString } from '../strings.ts'

/** The SS58 network prefix agora uses (42, generic Substrate). */
export const SS58_PREFIX = 42
const PRE = new TextEncoder().encode('SS58PRE')

function checksum (body: Uint8Array): Uint8Array {
  const h = new Uint8Array(PRE.length + body.length)
  h.set(PRE)
  h.set(body, PRE.length)
  return blake2b(h, { dkLen: 64 }).subarray(0, 2)
}

const encoded = new Map<string, string>()

/** Encode a 32-byte public key as an SS58 address. */
export function toAddress (publicKey: Uint8Array): string {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== 32) throw new MalformedError('public key must be 32 bytes')
  const id = Buffer.from(publicKey.buffer, publicKey.byteOffset, 32).toString('latin1')
  const hit = encoded.get(id)
  if (hit != null) return hit
  const body = new Uint8Array(33)
  body[0] = SS58_PREFIX
  body.set(publicKey, 1)
  const out = new Uint8Array(35)
  out.set(body)
  out.set(checksum(body), 33)
  const address = flatString(base58btc.baseEncode(out))
  // bounded: about 150 bytes an entry (both strings flat), so at most ~10 MB
  if (encoded.size >= 65_536) encoded.clear()
  encoded.set(id, address)
  return address
}

const cache = new Map<string, Uint8Array>()

/** Decode an SS58 address (prefix 42, 32-byte key) back to the public key; checks the checksum. */
export function fromAddress (address: string): Uint8Array {
  const hit = cache.get(address)
  if (hit != null) return hit
  if (typeof address !== 'string' || address.length < 40 || address.length > 60) throw new MalformedError(`not an address: ${String(address).slice(0, 64)}`)
  let raw: Uint8Array
  try {
    raw = base58btc.baseDecode(address)
  } catch (err) {
    throw new MalformedError(`not an address: ${address}`, { cause: err })
  }
  if (raw.length !== 35 || raw[0] !== SS58_PREFIX) throw new MalformedError(`not an SS58 prefix-42 ed25519 address: ${address}`)
  const sum = checksum(raw.subarray(0, 33))
  if (sum[0] !== raw[33] || sum[1] !== raw[34]) throw new MalformedError(`bad address checksum: ${address}`)
  const pk = raw.slice(1, 33)
  if (cache.size > 100_000) cache.clear()
  cache.set(address, pk)
  return pk
}

/** True if `address` is a valid agora address. */
export function isAddress (address: string): boolean {
  try {
    fromAddress(address)
    return true
  } catch {
    return false
  }
}
