/**
 * A block reader for the UnixFS exporter that checks every dag-pb node before the exporter
 * decodes it: the node and its UnixFS header must decode, and a HAMT shard must use the only
 * hash the exporter implements and a fanout it can walk.
 *
 * Policy: DAGs come from strangers. The exporter trusts a shard's fanout (a fanout of 0 made it
 * allocate until the heap ran out and the process aborted) and lets decoding errors of its
 * dependencies escape as bare `Error`s; here both become `InvalidDagError` before it sees them.
 */
import * as dagPb from '@ipld/dag-pb'
import { Node } from 'ipfs-unixfs'
import { concat } from 'uint8arrays/concat'
import { CODECS } from './dag.ts'
import { InvalidDagError } from './errors.ts'
import type { BlockReader } from './dag.ts'
import type { CID } from 'multiformats/cid'

/** murmur3-x64-64, the hash of UnixFS HAMT shards (the only one the exporter implements). */
const HAMT_HASH = 0x22n

/** Shard fanouts accepted: powers of two from 8 (one byte of hash per level) to 1024 (Kubo's maximum). */
const HAMT_MIN_FANOUT = 8n
const HAMT_MAX_FANOUT = 1024n

/**
 * Throws `InvalidDagError` unless `bytes` (a verified dag-pb block of `cid`) decode as a dag-pb
 * node whose UnixFS header, if any, decodes, and whose HAMT parameters, if it is a shard, are sound.
 */
export function checkDagPbNode (cid: CID, bytes: Uint8Array): void {
  let node: dagPb.PBNode
  let fs: Node['data']
  try {
    node = dagPb.decode(bytes)
  } catch (err) {
    throw new InvalidDagError(`${cid} is not a valid dag-pb node: ${(err as Error).message}`, { cause: err })
  }
  if (node.Data == null) return
  try {
    // the decoder the exporter walks paths with: it keeps the hash type, which UnixFS.unmarshal drops
    fs = Node.decode(bytes).data
  } catch (err) {
    throw new InvalidDagError(`${cid} has no valid UnixFS header: ${(err as Error).message}`, { cause: err })
  }
  if (fs?.type !== 'HAMT_SHARD') return
  if (fs.hashType !== HAMT_HASH) {
    throw new InvalidDagError(`${cid} is a HAMT shard with hash type ${fs.hashType ?? 'none'} (only murmur3-x64-64, 0x22, is supported)`)
  }
  const fanout = fs.fanOut ?? 0n
  if (fanout < HAMT_MIN_FANOUT || fanout > HAMT_MAX_FANOUT || (fanout & (fanout - 1n)) !== 0n) {
    throw new InvalidDagError(`${cid} is a HAMT shard with fanout ${fanout} (a power of two from ${HAMT_MIN_FANOUT} to ${HAMT_MAX_FANOUT} is required)`)
  }
}

const GUARDED = Symbol('agora.unixfs-guarded')

/** `blocks`, with every dag-pb block checked by {@link checkDagPbNode} before it is returned. */
export function guardedReader (blocks: BlockReader): BlockReader {
  if ((blocks as { [GUARDED]?: true })[GUARDED] === true) return blocks
  const reader = {
    [GUARDED]: true,
    get: async function * (cid: CID, options?: Parameters<BlockReader['get']>[1]): AsyncGenerator<Uint8Array> {
      if (cid.code !== CODECS.dagPb) {
        yield * blocks.get(cid, options)
        return
      }
      const parts: Uint8Array[] = []
      for await (const p of blocks.get(cid, options)) parts.push(p)
      const bytes = parts.length === 1 ? parts[0] : concat(parts)
      checkDagPbNode(cid, bytes)
      yield bytes
    }
  }
  return reader as BlockReader
}

/**
 * An error from the exporter's dependencies that names nothing (`Error`, `TypeError`,
 * `RangeError`: bad UnixFS data, an index out of range) as `InvalidDagError`; named errors pass.
 */
export function asDagError (err: unknown, cid: CID): unknown {
  const name = (err as Error | undefined)?.name
  // a system error (ENOENT, EACCES, ENOSPC from writing the output) is about our disk, not the DAG
  if (/^E[A-Z]+$/.test(String((err as { code?: unknown } | undefined)?.code))) return err
  if (name === 'Error' || name === 'TypeError' || name === 'RangeError') {
    return new InvalidDagError(`${cid} is not a valid UnixFS DAG: ${(err as Error).message}`, { cause: err })
  }
  return err
}
