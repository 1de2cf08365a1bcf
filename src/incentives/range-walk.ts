/**
 * Which blocks of a UnixFS file hold a byte range: given one verified block and the file
 * offset at which its bytes start, the number of range bytes it carries itself and the
 * children (with their offsets) that overlap the range. The prober walks a file's DAG level by
 * level with it, asking only for blocks that hold range bytes.
 */
import * as dagPb from '@ipld/dag-pb'
import { UnixFS } from 'ipfs-unixfs'
import type { CID } from 'multiformats/cid'
import { InvalidTaskInputError } from './errors.ts'

const RAW = 0x55
const DAG_PB = 0x70

/** A block wanted at a file offset. */
export interface RangeBlock { cid: CID, offset: number }

/** What one block contributes to a range. */
export interface RangeStep {
  /** Bytes of the range held in this block's own data. */
  bytes: number
  /** Children that hold range bytes, in file order. */
  children: RangeBlock[]
}

function overlap (start: number, len: number, rangeStart: number, rangeEnd: number): number {
  return Math.max(0, Math.min(start + len, rangeEnd) - Math.max(start, rangeStart))
}

/**
 * The range bytes in `bytes` (the block of `cid`, already verified against it) and the
 * children to fetch, for the range `[rangeStart, rangeStart + rangeLen)`.
 *
 * @throws InvalidTaskInputError when the block is not a raw leaf or a UnixFS file node (the
 * listed content is not a file this prober can range over; not the miner's fault)
 */
export function rangeStep (cid: CID, bytes: Uint8Array, offset: number, rangeStart: number, rangeLen: number): RangeStep {
  const rangeEnd = rangeStart + rangeLen
  if (cid.code === RAW) return { bytes: overlap(offset, bytes.byteLength, rangeStart, rangeEnd), children: [] }
  if (cid.code !== DAG_PB) throw new InvalidTaskInputError(`${cid} is neither raw nor dag-pb`)
  let node: dagPb.PBNode
  let fs: UnixFS
  try {
    node = dagPb.decode(bytes)
    if (node.Data == null) throw new Error('no UnixFS data')
    fs = UnixFS.unmarshal(node.Data)
  } catch (err) {
    throw new InvalidTaskInputError(`${cid} is not a UnixFS node`, { cause: err })
  }
  if (fs.type !== 'file' && fs.type !== 'raw') throw new InvalidTaskInputError(`${cid} is a UnixFS ${fs.type}, not a file`)
  const own = fs.data?.byteLength ?? 0
  const out: RangeStep = { bytes: overlap(offset, own, rangeStart, rangeEnd), children: [] }
  if (node.Links.length !== fs.blockSizes.length) throw new InvalidTaskInputError(`${cid} has ${node.Links.length} links but ${fs.blockSizes.length} block sizes`)
  let at = offset + own
  for (let i = 0; i < node.Links.length; i++) {
    const size = Number(fs.blockSizes[i])
    if (overlap(at, size, rangeStart, rangeEnd) > 0) out.children.push({ cid: node.Links[i].Hash, offset: at })
    at += size
    if (at >= rangeEnd) break
  }
  return out
}
