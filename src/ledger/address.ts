/**
 * Addresses: SS58 with network prefix 42 over the 32-byte ed25519 public key (src/ss58.ts), with
 * the ledger's named errors and caches.
 *
 * Policy: addresses carry a 2-byte checksum, so a mistyped address is refused rather than paid.
 */
import { base58btc } from 'multiformats/bases/base58'
import { MalformedError } from './errors.ts'
import { flatString } from '../strings.ts'
import { SS58_PREFIX, ss58Checksum, ss58Encode } from '../ss58.ts'

const encoded = new Map<string, string>()

/** Encode a 32-byte public key as an SS58 address. */
export function toAddress (publicKey: Uint8Array): string {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== 32) throw new MalformedError('public key must be 32 bytes')
  const id = Buffer.from(publicKey.buffer, publicKey.byteOffset, 32).toString('latin1')
  const hit = encoded.get(id)
  if (hit != null) return hit
  const address = flatString(ss58Encode(publicKey))
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
  const sum = ss58Checksum(raw.subarray(0, 33))
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
