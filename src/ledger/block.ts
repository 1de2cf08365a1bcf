/**
 * Blocks: a header signed by the genesis authority, and the transactions' wire bytes.
 *
 * - header bytes = dag-cbor `{ c: chainId, h: height, p: parent hash, s: state root, x: tx root, t: ms, n: tx count }`
 * - block hash = sha256(header bytes); the signature is ed25519 over
 *   `varint(len("agora-block/v1")) ‖ "agora-block/v1" ‖ header bytes` (src/signing.ts)
 * - tx root = sha256(`varint(len("agora-txs")) ‖ "agora-txs" ‖` the concatenated tx hashes, 32 bytes each)
 * - wire = dag-cbor `{ h: header bytes, g: signature, x: [tx wire bytes] }`
 */
import { createHash } from 'node:crypto'
import * as cbor from '@ipld/dag-cbor'
import { equals } from 'uint8arrays/equals'
import { MalformedError } from './errors.ts'
import { DOMAINS, domainPrefixed, sign, signingBytes, verify } from '../signing.ts'
import { decodeCbor, MAX_TX_BYTES } from './tx/codec.ts'

/** The block signature domain (src/signing.ts `DOMAINS`). */
export const BLOCK_DOMAIN = DOMAINS.block.domain
/** Policy: blocks larger than this are refused before decoding. */
export const MAX_BLOCK_BYTES = 64 * 1024 * 1024

/** A block header. */
export interface BlockHeader {
  chainId: string
  height: number
  /** Hash of the parent (the genesis hash for height 1). */
  parent: Uint8Array
  stateRoot: Uint8Array
  txRoot: Uint8Array
  timestamp: number
  txCount: number
}

/** A decoded block. */
export interface Block {
  header: BlockHeader
  headerBytes: Uint8Array
  signature: Uint8Array
  txs: Uint8Array[]
  /** sha256 of the header bytes, hex. */
  hash: string
  bytes: Uint8Array
}

/** The tx root over transaction hashes (hex). */
export function txRoot (hashes: readonly string[]): Uint8Array {
  // the domain's prefix, then each 32-byte hash fed to the hash as it is: the same bytes as
  // domainPrefixed(domain, ...hashes) without copying them all into one buffer first
  const h = createHash('sha256').update(domainPrefixed(DOMAINS.txRoot.domain))
  for (const x of hashes) h.update(Buffer.from(x, 'hex'))
  return new Uint8Array(h.digest())
}

/** The canonical header bytes (the ones the authority signs). */
function encodeHeader (header: BlockHeader): Uint8Array {
  return cbor.encode({ c: header.chainId, h: header.height, p: header.parent, s: header.stateRoot, x: header.txRoot, t: header.timestamp, n: header.txCount })
}

/** Build and sign a block. */
export function sealBlock (header: BlockHeader, txs: Uint8Array[], secretKey: Uint8Array): Block {
  const headerBytes = encodeHeader(header)
  const signature = sign(BLOCK_DOMAIN, headerBytes, secretKey)
  const bytes = cbor.encode({ h: headerBytes, g: signature, x: txs })
  return { header, headerBytes, signature, txs, hash: createHash('sha256').update(headerBytes).digest('hex'), bytes }
}

function isBytes (x: unknown, len?: number): x is Uint8Array {
  return x instanceof Uint8Array && (len === undefined || x.length === len)
}

function isMap (x: unknown): x is Record<string, unknown> {
  return x != null && typeof x === 'object' && !Array.isArray(x) && !(x instanceof Uint8Array)
}

/** Decode a block (size and shape checks; the signature is checked by `verifyBlockSignature`). */
export function decodeBlock (bytes: Uint8Array): Block {
  if (!(bytes instanceof Uint8Array) || bytes.length > MAX_BLOCK_BYTES) throw new MalformedError('block too large or not bytes')
  let o: Record<string, unknown>
  let h: Record<string, unknown>
  try {
    o = decodeCbor(bytes) as Record<string, unknown>
    h = decodeCbor(o.h as Uint8Array) as Record<string, unknown>
  } catch (err) {
    throw new MalformedError('block is not canonical dag-cbor', { cause: err })
  }
  // Policy: each transaction within the transaction limit, so a block's size is bounded by its
  // transaction count (header + txCount · MAX_TX_BYTES), checked before any transaction is decoded
  if (!isMap(o) || !isBytes(o.h) || !isBytes(o.g, 64) || !Array.isArray(o.x) || !o.x.every(x => isBytes(x) && x.length <= MAX_TX_BYTES)) throw new MalformedError('bad block shape')
  // Policy: the header bytes must decode to a map; `null` or a list there is malformed, not a TypeError.
  if (!isMap(h)) throw new MalformedError('bad block header')
  const ok = typeof h.c === 'string' && Number.isSafeInteger(h.h) && isBytes(h.p, 32) && isBytes(h.s, 32) && isBytes(h.x, 32) &&
    Number.isSafeInteger(h.t) && h.n === o.x.length
  if (!ok) throw new MalformedError('bad block header')
  const header: BlockHeader = { chainId: h.c as string, height: h.h as number, parent: h.p as Uint8Array, stateRoot: h.s as Uint8Array, txRoot: h.x as Uint8Array, timestamp: h.t as number, txCount: h.n as number }
  // Policy: one encoding per block. Extra keys were ignored but stored, so a peer answering
  // catch-up could pad every genuine block to MAX_BLOCK_BYTES on its followers' disks: only the
  // bytes sealBlock gives (exact keys, canonical order) are accepted, so followers store those.
  if (!equals(encodeHeader(header), o.h) || !equals(cbor.encode({ h: o.h, g: o.g, x: o.x }), bytes)) {
    throw new MalformedError('block is not in its canonical form { h, g, x }')
  }
  return { header, headerBytes: o.h, signature: o.g, txs: o.x as Uint8Array[], hash: createHash('sha256').update(o.h).digest('hex'), bytes }
}

/** True if the block is signed by `authorityKey` (32-byte public key). */
export function verifyBlockSignature (block: Block, authorityKey: Uint8Array): boolean {
  return verify(BLOCK_DOMAIN, block.headerBytes, block.signature, authorityKey)
}

/** What `verifyBlockSignature` checks, as one item for the verification pool. */
export function blockSignatureItem (block: Block, authorityKey: Uint8Array): { signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array } {
  return { signature: block.signature, message: signingBytes(BLOCK_DOMAIN, block.headerBytes), publicKey: authorityKey }
}
