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
import { UnixFS } from 'ipfs-unixfs'
import { InvalidDagError } from './errors.ts'
import type { BlockReader } from './dag.ts'
import type { CID } from 'multiformats/cid'

const DAG_PB = 0x70

/** murmur3-x64-64, the hash of UnixFS HAMT shards (the only one the exporter implements). */
export const HAMT_HASH = 0x22n

/** Shard fanouts accepted: powers of two from 8 (one byte of hash per level) to 1024 (Kubo's maximum). */
export const HAMT_MIN_FANOUT = 8n
export const HAMT_MAX_FANOUT = 1024n

/**
 * Throws `InvalidDagError` unless `bytes` (a verified dag-pb block of `cid`) decode as a dag-pb
 * node whose UnixFS header, if any, decodes, and whose HAMT parameters, if it is a shard, are sound.
 */
export function checkDagPbNode (cid: CID, bytes: Uint8Array): void {
  let node: dagPb.PBNode
  try {
    node = dagPb.decode(bytes)
  } catch (err) {
    throw new InvalidDagError(`${cid} is not a valid dag-pb node: ${(err as Error).message}`, { cause: err })
  }
  if (node.Data == null) return
  let fs: UnixFS
  try {
    fs = UnixFS.unmarshal(node.Data)
  } catch (err) {
    throw new InvalidDagError(`${cid} has no valid UnixFS header: ${(err as Error).message}`, { cause: err })
  }
  if (fs.type !== 'hamt-sharded-directory') return
  const fanout = fs.fanout ?? 0n
  // UnixFS.unmarshal drops the hash type, which the exporter reads from the message itself
  const hashType = hashTypeOf(node.Data)
  if (hashType !== HAMT_HASH) {
    throw new InvalidDagError(`${cid} is a HAMT shard with hash type ${hashType ?? 'none'} (only murmur3-x64-64, 0x22, is supported)`)
  }
  if (fanout < HAMT_MIN_FANOUT || fanout > HAMT_MAX_FANOUT || (fanout & (fanout - 1n)) !== 0n) {
    throw new InvalidDagError(`${cid} is a HAMT shard with fanout ${fanout} (a power of two from ${HAMT_MIN_FANOUT} to ${HAMT_MAX_FANOUT} is required)`)
  }
}

/** Field 5 (hashType, a varint) of a UnixFS Data message that has already decoded, or undefined. */
function hashTypeOf (data: Uint8Array): bigint | undefined {
  let at = 0
  let found: bigint | undefined
  const varint = (): bigint => {
    let v = 0n
    for (let shift = 0n; at < data.length && shift < 70n; shift += 7n) {
      const b = data[at++]
      v |= BigInt(b & 0x7f) << shift
      if ((b & 0x80) === 0) return v
    }
    throw new InvalidDagError('truncated varint in a UnixFS header')
  }
  while (at < data.length) {
    const key = varint()
    const field = key >> 3n
    const wire = Number(key & 7n)
    if (wire === 0) {
      const v = varint()
      if (field === 5n) found = v // protobuf: the last occurrence of a scalar wins
    } else if (wire === 2) {
      const length = Number(varint()) // read first: `at += varint()` would add to the old `at`
      at += length
    } else if (wire === 1) {
      at += 8
    } else if (wire === 5) {
      at += 4
    } else {
      throw new InvalidDagError(`wire type ${wire} in a UnixFS header`)
    }
  }
  return found
}

const GUARDED = Symbol('agora.unixfs-guarded')

/** `blocks`, with every dag-pb block checked by {@link checkDagPbNode} before it is returned. */
export function guardedReader (blocks: BlockReader): BlockReader {
  if ((blocks as { [GUARDED]?: true })[GUARDED] === true) return blocks
  const reader = {
    [GUARDED]: true,
    get: async function * (cid: CID, options?: Parameters<BlockReader['get']>[1]): AsyncGenerator<Uint8Array> {
      if (cid.code !== DAG_PB) {
        yield * blocks.get(cid, options)
        return
      }
      const parts: Uint8Array[] = []
      let n = 0
      for await (const p of blocks.get(cid, options)) { parts.push(p); n += p.byteLength }
      const bytes = parts.length === 1 ? parts[0] : concat(parts, n)
      checkDagPbNode(cid, bytes)
      yield bytes
    }
  }
  return reader as BlockReader
}

function concat (parts: Uint8Array[], n: number): Uint8Array {
  const out = new Uint8Array(n)
  let at = 0
  for (const p of parts) { out.set(p, at); at += p.byteLength }
  return out
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
