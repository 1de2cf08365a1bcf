/**
 * Verifying blocks against their CIDs and reading their links. Everything that arrives from a
 * peer passes through `verifyBlock` before it is stored or returned.
 */
import { createHash } from 'node:crypto'
import * as dagCbor from '@ipld/dag-cbor'
import * as dagPb from '@ipld/dag-pb'
import { CID } from 'multiformats/cid'
import { equals } from 'uint8arrays/equals'
import { BlockVerificationError, UnsupportedCodecError, UnsupportedHashError } from './errors.ts'
import type { Uint8ArrayList } from 'uint8arraylist'

/** Multihash codes we verify. */
export const IDENTITY = 0x00
const SHA2_256 = 0x12
const SHA2_512 = 0x13

/** Codecs whose links we read. */
export const RAW = 0x55
export const DAG_PB = 0x70
export const DAG_CBOR = 0x71

/** Block bytes, contiguous or as the chunks they arrived in (hashed without copying). */
export type BlockBytes = Uint8Array | Uint8ArrayList

function hashOf (algorithm: string, bytes: BlockBytes): Uint8Array {
  const hash = createHash(algorithm)
  if (bytes instanceof Uint8Array) hash.update(bytes)
  else for (const chunk of bytes) hash.update(chunk)
  return hash.digest()
}

function digestOf (code: number, bytes: BlockBytes): Uint8Array {
  switch (code) {
    case SHA2_256: return hashOf('sha256', bytes)
    case SHA2_512: return hashOf('sha512', bytes)
    case IDENTITY: return contiguous(bytes)
    default: throw new UnsupportedHashError(`unsupported multihash code 0x${code.toString(16)}`)
  }
}

/** The bytes as one Uint8Array (a copy only when they are in several chunks). */
export function contiguous (bytes: BlockBytes): Uint8Array {
  return bytes instanceof Uint8Array ? bytes : bytes.subarray()
}

/**
 * Throws `UnsupportedHashError` when the CID's hash function is not one we can verify
 * (sha2-256, sha2-512, identity), so that nothing is requested that could never be accepted.
 */
export function assertSupportedHash (cid: CID): void {
  const code = cid.multihash.code
  if (code !== SHA2_256 && code !== SHA2_512 && code !== IDENTITY) {
    throw new UnsupportedHashError(`${cid} uses multihash code 0x${code.toString(16)}, which cannot be verified`)
  }
}

/**
 * Hashes `bytes` and compares the digest with the one in `cid`.
 *
 * Policy: a block is accepted only if its bytes hash to the CID's digest; a hash function we do
 * not implement means rejection, never trust.
 *
 * @throws BlockVerificationError when the digest differs, UnsupportedHashError for other hashes
 */
export function verifyBlock (cid: CID, bytes: BlockBytes): void {
  const digest = digestOf(cid.multihash.code, bytes)
  if (digest.byteLength !== cid.multihash.size || !equals(digest, cid.multihash.digest)) {
    throw new BlockVerificationError(`block does not match ${cid}`)
  }
}

/** Whether blocks of this CID's codec can link to other blocks. */
export function mayHaveLinks (cid: CID): boolean {
  return cid.code !== RAW
}

/**
 * The CIDs a block links to, in order.
 *
 * @throws UnsupportedCodecError for codecs other than raw, dag-pb and dag-cbor
 */
export function linksOf (cid: CID, bytes: BlockBytes): CID[] {
  switch (cid.code) {
    case RAW: return []
    case DAG_PB: return dagPb.decode(contiguous(bytes)).Links.map(l => l.Hash)
    case DAG_CBOR: {
      const out: CID[] = []
      collectCids(dagCbor.decode(contiguous(bytes)), out)
      return out
    }
    default: throw new UnsupportedCodecError(`cannot read links of codec 0x${cid.code.toString(16)} (${cid})`)
  }
}

function collectCids (value: unknown, out: CID[]): void {
  if (value == null || typeof value !== 'object') return
  const cid = CID.asCID(value)
  if (cid != null) {
    out.push(cid)
    return
  }
  if (value instanceof Uint8Array) return
  for (const v of Array.isArray(value) ? value : Object.values(value)) collectCids(v, out)
}
