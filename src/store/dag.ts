/**
 * DAG helpers: read whole blocks, list a block's links, walk a DAG.
 */
import * as dagCbor from '@ipld/dag-cbor'
import * as dagPb from '@ipld/dag-pb'
import { CID } from 'multiformats/cid'
import { BlockNotFoundError } from './errors.ts'
import type { AbortOptions } from '@libp2p/interface'
import type { Blockstore } from 'interface-blockstore'

/** Multicodec codes we know the link structure of. */
export const CODECS = { raw: 0x55, dagPb: 0x70, dagCbor: 0x71, identity: 0x00 } as const

/** Whether `cid` is an identity CID: its digest is its block, which no store holds. */
export function isIdentityCid (cid: CID): boolean {
  return cid.multihash.code === CODECS.identity
}

/** What a reader of blocks needs. */
export type BlockReader = Pick<Blockstore, 'get'>

/** Read a whole block (an identity CID's is its digest, read from no store); throws `BlockNotFoundError`. */
export async function getBlock (blocks: BlockReader, cid: CID, options?: AbortOptions): Promise<Uint8Array> {
  if (isIdentityCid(cid)) return cid.multihash.digest
  const parts: Uint8Array[] = []
  let n = 0
  try {
    for await (const p of blocks.get(cid, options)) { parts.push(p); n += p.byteLength }
  } catch (err) {
    if ((err as Error).name === 'AbortError' || (err as Error).name === 'TimeoutError') throw err
    if ((err as Error).name === 'BlockNotFoundError') throw err
    throw new BlockNotFoundError(`block ${cid} is not in the local store`, { cause: err })
  }
  if (parts.length === 1) return parts[0]
  const out = new Uint8Array(n)
  let o = 0
  for (const p of parts) { out.set(p, o); o += p.byteLength }
  return out
}

function cborLinks (value: unknown, out: CID[]): void {
  const asCid = CID.asCID(value)
  if (asCid != null) { out.push(asCid); return }
  if (Array.isArray(value)) { for (const v of value) cborLinks(v, out); return }
  if (value != null && typeof value === 'object' && !(value instanceof Uint8Array)) {
    for (const v of Object.values(value)) cborLinks(v, out)
  }
}

/** The CIDs a block links to, in order. Unknown codecs have no links we can follow. */
export function links (cid: CID, bytes: Uint8Array): CID[] {
  if (cid.code === CODECS.dagPb) return dagPb.decode(bytes).Links.map(l => l.Hash)
  if (cid.code === CODECS.dagCbor) {
    const out: CID[] = []
    cborLinks(dagCbor.decode(bytes), out)
    return out
  }
  return []
}

/** Options for {@link walkDag}. */
export interface WalkOptions extends AbortOptions {
  /** Skip blocks that are missing instead of throwing. @default false */
  skipMissing?: boolean
}

/**
 * Depth-first, pre-order walk of every block reachable from `root` (each multihash once).
 * Identity CIDs carry their bytes inline and are not read from the store.
 */
export async function * walkDag (blocks: BlockReader, root: CID, options: WalkOptions = {}): AsyncGenerator<{ cid: CID, bytes: Uint8Array }> {
  const seen = new Set<string>()
  const stack: CID[] = [root]
  while (stack.length > 0) {
    options.signal?.throwIfAborted()
    const cid = stack.pop() as CID
    const key = mhKey(cid)
    if (seen.has(key)) continue
    seen.add(key)
    let bytes: Uint8Array
    if (isIdentityCid(cid)) {
      bytes = cid.multihash.digest
    } else {
      try {
        bytes = await getBlock(blocks, cid, options)
      } catch (err) {
        if (options.skipMissing === true && (err as Error).name === 'BlockNotFoundError') continue
        throw err
      }
    }
    yield { cid, bytes }
    const ls = links(cid, bytes)
    for (let i = ls.length - 1; i >= 0; i--) stack.push(ls[i])
  }
}

/** A string key for a CID's multihash (CIDs of any version/codec with the same hash collide on purpose). */
export function mhKey (cid: CID): string {
  return Buffer.from(cid.multihash.bytes).toString('base64')
}

/**
 * A reader over a local blockstore that reports a missing block as `BlockNotFoundError` (the
 * stores and the exporter both call their own errors `NotFoundError`, which would be ambiguous).
 * Identity CIDs are answered from the CID: they are never stored.
 */
export function localReader (blockstore: BlockReader): BlockReader {
  return {
    get: async function * (cid, options) {
      if (isIdentityCid(cid)) { yield cid.multihash.digest; return }
      let first = true
      try {
        for await (const c of blockstore.get(cid, options)) { first = false; yield c }
      } catch (err) {
        if (first && (err as Error).name === 'NotFoundError') throw new BlockNotFoundError(`block ${cid} is not in the local store (while \`agora daemon\` runs, missing blocks are fetched from peers)`, { cause: err })
        throw err
      }
    }
  }
}

/** Consume an iterable to the end, returning how many items it had. */
export async function drain (it: AsyncIterable<unknown> | Iterable<unknown>): Promise<number> {
  let n = 0
  for await (const _item of it) n++ // eslint-disable-line @typescript-eslint/no-unused-vars
  return n
}
