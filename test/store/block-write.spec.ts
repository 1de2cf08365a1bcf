import { createHash } from 'node:crypto'
import { constants } from 'node:fs'
import { mkdtemp, open, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FsBlockstore } from 'blockstore-fs'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { create as createDigest } from 'multiformats/hashes/digest'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { AlignedArena, BlockFileWriter, DIRECT_ALIGN, namingOf } from '../../src/store/block-write.ts'
import { BufferPool } from '../../src/store/pipeline.ts'
import { deterministicBuffer } from '../utils/data.ts'

const KIB = 1024
const MIB = 1024 * KIB

/** CIDv1 raw of `bytes`, computed with node:crypto alone. */
function rawCid (bytes: Uint8Array): CID {
  return CID.createV1(raw.code, createDigest(0x12, createHash('sha256').update(bytes).digest()))
}

async function bytesOf (fs: FsBlockstore, cid: CID): Promise<Buffer> {
  const parts: Uint8Array[] = []
  for await (const p of fs.get(cid)) parts.push(p)
  return Buffer.concat(parts)
}

/** Every file under the block directory, relative to it. */
async function filesUnder (root: string): Promise<string[]> {
  const out: string[] = []
  for (const d of await readdir(root)) for (const f of await readdir(join(root, d))) out.push(`${d}/${f}`)
  return out.sort()
}

/** An `open` that records the flags of every call and passes it on. */
function recordingOpen (log: number[], refuseDirect = false): typeof open {
  return (async (path: string, flags: number | string, mode?: number) => {
    const f = typeof flags === 'number' ? flags : 0
    log.push(f)
    if (refuseDirect && (f & constants.O_DIRECT) !== 0) throw Object.assign(new Error('EINVAL: invalid argument, open'), { code: 'EINVAL' })
    return open(path, flags, mode)
  }) as typeof open
}

/** Page-aligned 1 MiB slices of an arena (1 MiB apart). */
function slicesOf (arena: AlignedArena): Buffer[] {
  return Array.from({ length: Math.floor(arena.memory.byteLength / MIB) }, (_, i) => Buffer.from(arena.memory, i * MIB, MIB))
}

let dir: string
beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'agora-block-write-')) })
afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

// Sizes around the 4 KiB pages written directly, a v0 leaf (256 KiB + 14) and a v1 leaf (1 MiB).
const SIZES = [1, DIRECT_ALIGN - 1, DIRECT_ALIGN, DIRECT_ALIGN + 1, 256 * KIB + 14, MIB - 1, MIB]

describe('store: block file writer', () => {
  it('default: blocks from aligned arena slices are written with O_DIRECT (tail through the page cache) and read back as FsBlockstore blocks under their CID', async () => {
    const fs = new FsBlockstore(join(dir, 'blocks'))
    await fs.open()
    const arena = new AlignedArena(SIZES.length * MIB)
    const slices = slicesOf(arena)
    const log: number[] = []
    const writer = new BlockFileWriter(namingOf(fs), arena, { open: recordingOpen(log) })
    const cids: CID[] = []
    for (const [i, size] of SIZES.entries()) {
      const block = slices[i].subarray(0, size)
      block.set(deterministicBuffer(`bw-${size}`, size))
      const cid = rawCid(block)
      expect(await writer.put(cid, block)).toBe(cid)
      cids.push(cid)
    }
    expect(writer.direct).toBe(true)
    // Per block: one O_DIRECT open when it holds a whole page, one buffered open for a tail.
    const direct = log.filter(f => (f & constants.O_DIRECT) !== 0).length
    expect(direct).toBe(SIZES.filter(s => s >= DIRECT_ALIGN).length)
    expect(log.length - direct).toBe(SIZES.filter(s => s % DIRECT_ALIGN !== 0).length)
    for (const [i, size] of SIZES.entries()) {
      expect(await bytesOf(fs, cids[i])).toEqual(Buffer.from(deterministicBuffer(`bw-${size}`, size)))
    }
    // Exactly the block files FsBlockstore itself would name, no temp files left behind.
    const ref = new FsBlockstore(join(dir, 'ref'))
    await ref.open()
    for (const [i, size] of SIZES.entries()) await ref.put(cids[i], deterministicBuffer(`bw-${size}`, size))
    expect(await filesUnder(join(dir, 'blocks'))).toEqual(await filesUnder(join(dir, 'ref')))
  })

  it('behavior: buffers outside the arena, or not page-aligned in it, are written through the page cache', async () => {
    const fs = new FsBlockstore(join(dir, 'blocks'))
    await fs.open()
    const arena = new AlignedArena(2 * MIB)
    const log: number[] = []
    const writer = new BlockFileWriter(namingOf(fs), arena, { open: recordingOpen(log) })
    const plain = Buffer.from(deterministicBuffer('plain', MIB))
    const shifted = slicesOf(arena)[0].subarray(16, 16 + 64 * KIB)
    shifted.set(deterministicBuffer('shifted', 64 * KIB))
    for (const b of [plain, shifted]) await writer.put(rawCid(b), b)
    expect(log.filter(f => (f & constants.O_DIRECT) !== 0)).toEqual([])
    expect(await bytesOf(fs, rawCid(plain))).toEqual(plain)
    expect(await bytesOf(fs, rawCid(shifted))).toEqual(Buffer.from(deterministicBuffer('shifted', 64 * KIB)))
  })

  it('behavior: a filesystem refusing O_DIRECT (EINVAL) gets buffered writes from then on, with the same blocks', async () => {
    const fs = new FsBlockstore(join(dir, 'blocks'))
    await fs.open()
    const arena = new AlignedArena(3 * MIB)
    const log: number[] = []
    const writer = new BlockFileWriter(namingOf(fs), arena, { open: recordingOpen(log, true) })
    const slices = slicesOf(arena)
    for (const [i, size] of [MIB, MIB - 1, 8 * KIB].entries()) {
      const block = slices[i].subarray(0, size)
      block.set(deterministicBuffer(`refused-${size}`, size))
      await writer.put(rawCid(block), block)
      expect(await bytesOf(fs, rawCid(block))).toEqual(Buffer.from(deterministicBuffer(`refused-${size}`, size)))
      expect(writer.direct).toBe(false)
    }
    // Tried once, then never again.
    expect(log.filter(f => (f & constants.O_DIRECT) !== 0).length).toBe(1)
    expect((await filesUnder(join(dir, 'blocks'))).filter(f => f.endsWith('.tmp'))).toEqual([])
  })

  it('behavior: a failed write leaves neither the block nor a temp file', async () => {
    const fs = new FsBlockstore(join(dir, 'blocks'))
    await fs.open()
    const block = Buffer.from(deterministicBuffer('fails', 10 * KIB))
    const failing = (async (path: string, flags: number | string, mode?: number) => {
      const fh = await open(path, flags, mode)
      return Object.assign(Object.create(fh) as object, {
        write: async () => { throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }) },
        close: async () => { await fh.close() }
      })
    }) as unknown as typeof open
    const writer = new BlockFileWriter(namingOf(fs), undefined, { open: failing })
    await expect(writer.put(rawCid(block), block)).rejects.toHaveProperty('code', 'ENOSPC')
    expect(await fs.has(rawCid(block))).toBe(false)
    expect(await filesUnder(join(dir, 'blocks'))).toEqual([])
  })

  it('behavior: an aligned pool hands out page-aligned arena slices, reuses given-back buffers, and falls back to plain buffers past its size', () => {
    const pool = new BufferPool(MIB, 3, { aligned: true })
    const arena = pool.arena as AlignedArena
    const taken = [pool.take(), pool.take(), pool.take()]
    for (const b of taken) expect(arena.holdsAligned(b)).toBe(true)
    expect(new Set(taken.map(b => b.byteOffset)).size).toBe(3)
    const extra = pool.take()
    expect(arena.holdsAligned(extra)).toBe(false)
    pool.give(taken[1])
    expect(pool.take()).toBe(taken[1])
    // Views of a pool buffer are not the buffer: never taken back.
    pool.give(taken[0].subarray(0, MIB - 1))
    pool.give(Buffer.from(taken[0].buffer, taken[0].byteOffset, MIB))
    expect(arena.holdsAligned(pool.take())).toBe(false)
  })
})
