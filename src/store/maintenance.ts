/**
 * Repo upkeep: statistics, garbage collection of unpinned blocks, re-hashing of every block.
 */
import { createHash } from 'node:crypto'
import { readdir, stat, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { base32upper } from 'multiformats/bases/base32'
import { drain, mhKey, walkDag } from './dag.ts'
import type { BlockReader } from './dag.ts'
import type { Pins } from './pins.ts'
import type { AbortOptions } from '@libp2p/interface'
import type { Blockstore } from 'interface-blockstore'
import type { CID } from 'multiformats/cid'

/** Repo statistics. */
export interface RepoStat {
  blocks: number
  /** Total bytes of all blocks. */
  size: number
  pins: number
}

/** Count blocks, bytes and pins. */
export async function repoStat (blockstore: Blockstore, pins: Pins, options?: AbortOptions): Promise<RepoStat> {
  let blocks = 0
  let size = 0
  for await (const pair of blockstore.getAll(options)) {
    blocks++
    for await (const c of pair.bytes) size += c.byteLength
  }
  return { blocks, size, pins: await drain(pins.ls(options)) }
}

/** The result of a garbage collection. */
export interface GcResult {
  /** Blocks removed. */
  removed: number
  /** Bytes freed. */
  freed: number
  /** Blocks kept because a pin reaches them. */
  kept: number
  /** Temp files of interrupted block writes (older than 10 minutes) removed. */
  tempRemoved: number
}

/** Temp files younger than this may belong to a write in progress. */
const TEMP_MAX_AGE_MS = 10 * 60 * 1000

/** Remove stray `*.tmp` files that a killed process left in the shard directories. */
async function removeStaleTemp (blocksDir: string): Promise<number> {
  let n = 0
  const shards = await readdir(blocksDir).catch(() => [] as string[])
  for (const shard of shards) {
    const files = await readdir(join(blocksDir, shard)).catch(() => [] as string[])
    for (const f of files.filter(f => f.endsWith('.tmp'))) {
      const p = join(blocksDir, shard, f)
      const st = await stat(p).catch(() => undefined)
      if (st != null && Date.now() - st.mtimeMs > TEMP_MAX_AGE_MS) {
        await unlink(p).catch(() => {})
        n++
      }
    }
  }
  return n
}

/** Delete every block that no pin reaches. The caller holds the store's exclusive lock. */
export async function gc (blockstore: Blockstore, pins: Pins, blocksDir: string, options?: AbortOptions): Promise<GcResult> {
  const live = new Set<string>()
  for await (const pin of pins.ls(options)) {
    for await (const { cid } of walkDag(blockstore as BlockReader, pin.cid, { ...options, skipMissing: true })) live.add(mhKey(cid))
  }
  const doomed: CID[] = []
  let freed = 0
  let kept = 0
  for await (const pair of blockstore.getAll(options)) {
    if (live.has(mhKey(pair.cid))) {
      kept++
      await drain(pair.bytes)
      continue
    }
    for await (const c of pair.bytes) freed += c.byteLength
    doomed.push(pair.cid)
  }
  for (const cid of doomed) await blockstore.delete(cid, options)
  return { removed: doomed.length, freed, kept, tempRemoved: await removeStaleTemp(blocksDir) }
}

/** One block that failed verification. */
export interface CorruptBlock {
  /** The block's multihash as a CIDv0-style string (`Qm…`) when sha2-256. */
  cid: string
  /** The block file on disk. */
  file: string
  reason: 'hash-mismatch' | 'unsupported-hash'
}

/** The result of `verify`. */
export interface VerifyResult {
  checked: number
  corrupt: CorruptBlock[]
}

const SHA2_256 = 0x12

/** Re-hash every block and report those whose bytes do not match their multihash. */
export async function verifyBlocks (blockstore: Blockstore, blocksDir: string, options?: AbortOptions): Promise<VerifyResult> {
  let checked = 0
  const corrupt: CorruptBlock[] = []
  for await (const pair of blockstore.getAll(options)) {
    checked++
    const mh = pair.cid.multihash
    const { dir, file } = blockFile(pair.cid)
    if (mh.code !== SHA2_256) {
      await drain(pair.bytes)
      corrupt.push({ cid: pair.cid.toString(), file: join(blocksDir, dir, file), reason: 'unsupported-hash' })
      continue
    }
    const h = createHash('sha256')
    for await (const c of pair.bytes) h.update(c)
    if (!Buffer.from(h.digest()).equals(Buffer.from(mh.digest))) {
      corrupt.push({ cid: pair.cid.toString(), file: join(blocksDir, dir, file), reason: 'hash-mismatch' })
    }
  }
  return { checked, corrupt }
}

/** Where blockstore-fs (default NextToLast sharding, base32upper of the multihash) keeps a block. */
export function blockFile (cid: CID): { dir: string, file: string } {
  const s = base32upper.encode(cid.multihash.bytes)
  return { dir: s.slice(-2), file: s + '.data' }
}
