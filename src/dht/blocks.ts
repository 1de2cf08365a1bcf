/**
 * Verifying blocks against their CIDs and reading their links. Everything that arrives from a
 * peer passes through `verifyBlock` before it is stored or returned.
 */
import { createHash } from 'node:crypto'
import * as dagCbor from '@ipld/dag-cbor'
import * as dagPb from '@ipld/dag-pb'
import { CID } from 'multiformats/cid'
import { equals } from 'uint8arrays/equals'
import { MAX_IDENTITY_DIGEST } from './constants.ts'
import { BlockVerificationError, IdentityTooLargeError, MalformedBlockError, TooManyLinksError, UnsupportedCodecError, UnsupportedHashError } from './errors.ts'
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
 * (sha2-256, sha2-512, identity), so that nothing is requested that could never be accepted,
 * and `IdentityTooLargeError` for an identity CID whose digest is over 128 bytes.
 *
 * Policy: an identity CID is its own block and is never requested nor stored; a long one would
 * let a block of links smuggle whole blocks, so (as Kubo does) it is refused.
 */
export function assertSupportedHash (cid: CID): void {
  const code = cid.multihash.code
  if (code !== SHA2_256 && code !== SHA2_512 && code !== IDENTITY) {
    throw new UnsupportedHashError(`${cid} uses multihash code 0x${code.toString(16)}, which cannot be verified`)
  }
  if (code === IDENTITY && cid.multihash.size > MAX_IDENTITY_DIGEST) {
    throw new IdentityTooLargeError(`an identity CID carries ${cid.multihash.size} bytes, over the ${MAX_IDENTITY_DIGEST} byte limit`)
  }
}

/** Whether the CID is an identity CID (its digest is the block). */
export function isIdentity (cid: CID): boolean {
  return cid.multihash.code === IDENTITY
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
 * The CIDs a block links to, in order; at most `maxLinks` of them.
 *
 * Policy: links are counted before they are materialised where the format allows (dag-pb: a
 * scan of the top-level fields; dag-cbor: the walk over the decoded value stops at the limit),
 * so a block of tiny links costs bounded work and the fetch fails with a named error.
 *
 * @throws TooManyLinksError over `maxLinks`; UnsupportedCodecError for codecs other than raw,
 * dag-pb and dag-cbor
 */
export function linksOf (cid: CID, bytes: BlockBytes, maxLinks: number = Infinity): CID[] {
  switch (cid.code) {
    case RAW: return []
    case DAG_PB: {
      const block = contiguous(bytes)
      const count = countPbLinks(block)
      if (count > maxLinks) throw tooManyLinks(cid, `${count}`, maxLinks)
      return decoded(cid, () => dagPb.decode(block)).Links.map(l => l.Hash)
    }
    case DAG_CBOR: return cborLinks(cid, decoded(cid, () => dagCbor.decode(contiguous(bytes))), maxLinks)
    default: throw new UnsupportedCodecError(`cannot read links of codec 0x${cid.code.toString(16)} (${cid})`)
  }
}

/** `decode()`, with a decoder's bare error (bytes that hash right but do not decode) as `MalformedBlockError`. */
function decoded<T> (cid: CID, decode: () => T): T {
  try {
    return decode()
  } catch (err) {
    throw new MalformedBlockError(`block ${cid} does not decode as ${cid.code === DAG_PB ? 'dag-pb' : 'dag-cbor'}: ${(err as Error).message}`, { cause: err })
  }
}

function tooManyLinks (cid: CID, count: string, maxLinks: number): TooManyLinksError {
  return new TooManyLinksError(`block ${cid} lists ${count} links, over the limit of ${maxLinks} (config fetch.maxLinksPerBlock)`)
}

/** dag-pb field 2 (PBNode.Links), length-delimited: tag byte (2 << 3) | 2. */
const PB_LINKS_TAG = 0x12

/**
 * The number of `Links` fields of a dag-pb block, from its top-level protobuf framing only
 * (nothing is decoded). Malformed framing ends the count; the decoder then rejects the block.
 */
export function countPbLinks (bytes: Uint8Array): number {
  let count = 0
  let at = 0
  while (at < bytes.byteLength) {
    const tag = readVarint(bytes, at)
    if (tag == null) break
    at = tag.next
    if ((tag.value & 7) !== 2) break // dag-pb's top-level fields are all length-delimited
    const len = readVarint(bytes, at)
    if (len == null) break
    at = len.next + len.value
    if (tag.value === PB_LINKS_TAG) count++
  }
  return count
}

/** A protobuf varint at `at` (up to 2^49, enough for any block length), or undefined if cut short. */
function readVarint (bytes: Uint8Array, at: number): { value: number, next: number } | undefined {
  let value = 0
  let scale = 1
  for (let i = at; i < bytes.byteLength && i < at + 7; i++) {
    const b = bytes[i]
    value += (b & 0x7f) * scale
    if ((b & 0x80) === 0) return { value, next: i + 1 }
    scale *= 128
  }
  return undefined
}

/** The CIDs in a decoded dag-cbor value, depth first in order, failing past `maxLinks`. */
function cborLinks (cid: CID, root: unknown, maxLinks: number): CID[] {
  const out: CID[] = []
  const stack: unknown[] = [root]
  while (stack.length > 0) {
    const value = stack.pop()
    if (value == null || typeof value !== 'object' || value instanceof Uint8Array) continue
    const link = CID.asCID(value)
    if (link != null) {
      if (out.length >= maxLinks) throw tooManyLinks(cid, `more than ${maxLinks}`, maxLinks)
      out.push(link)
      continue
    }
    const children = Array.isArray(value) ? value : Object.values(value)
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i])
  }
  return out
}
