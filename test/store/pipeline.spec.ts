import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as dagPb from '@ipld/dag-pb'
import { MemoryBlockstore } from 'blockstore-core'
import { FsBlockstore } from 'blockstore-fs'
import { UnixFS } from 'ipfs-unixfs'
import { importer } from 'ipfs-unixfs-importer'
import { balanced } from 'ipfs-unixfs-importer/layout'
import { fixedSize } from 'ipfs-unixfs-importer/chunker'
import { sha256 } from 'multiformats/hashes/sha2'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { addPath, addStream } from '../../src/store/add.ts'
import { BlockFileWriter, namingOf } from '../../src/store/block-write.ts'
import { HashPool } from '../../src/store/hash-pool.ts'
import { BufferPool, fileLeafFrame, fileLeafRoom, pipelinedBufferImporter, readAhead } from '../../src/store/pipeline.ts'
import { deterministicBuffer } from '../utils/data.ts'
import type { AlignedArena } from '../../src/store/block-write.ts'
import type { Blockstore } from 'interface-blockstore'
import type { ImporterOptions } from 'ipfs-unixfs-importer'
import type { CID } from 'multiformats/cid'

const KIB = 1024
const MIB = 1024 * KIB

/** Every block of a store, by multihash (stores key blocks by multihash alone), as bytes. */
async function blocksOf (store: Blockstore): Promise<Map<string, string>> {
  const out = new Map<string, string>()
  for await (const { cid, bytes } of store.getAll()) {
    const parts: Uint8Array[] = []
    for await (const p of bytes) parts.push(p)
    out.set(Buffer.from(cid.multihash.bytes).toString('hex'), Buffer.concat(parts).toString('base64'))
  }
  return out
}

/** The stock importer, untouched options: the reference for every comparison. */
async function stock (bytes: Uint8Array, options: ImporterOptions): Promise<{ cid: CID, blocks: MemoryBlockstore }> {
  const blocks = new MemoryBlockstore()
  let cid: CID | undefined
  for await (const r of importer([{ content: [bytes] }], blocks, { ...options })) cid = r.cid
  return { cid: cid as CID, blocks }
}

let dir: string
beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'agora-pipeline-')) })
afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

describe('store: pipelined leaf stage', () => {
  it('default: addPath gives the stock importer\'s root and blocks at chunk and tree boundaries of both profiles', async () => {
    // unixfs-v1-2025: 1 MiB raw leaves, 1024 links; unixfs-v0-2015: 256 KiB dag-pb leaves, 174
    // links, so 174 * 256 KiB is one full parent and one byte more starts a second tree level.
    const cases = [
      ...[0, 1, MIB - 1, MIB, MIB + 1, 2 * MIB, 3 * MIB + 5].map(size => ({ profile: 'unixfs-v1-2025' as const, size })),
      ...[0, 1, 256 * KIB - 1, 256 * KIB, 256 * KIB + 1, 174 * 256 * KIB, 174 * 256 * KIB + 1].map(size => ({ profile: 'unixfs-v0-2015' as const, size }))
    ]
    for (const { profile, size } of cases) {
      const bytes = deterministicBuffer(`pipe-${profile}-${size}`, size)
      const file = join(dir, `f-${profile}-${size}`)
      await writeFile(file, bytes)
      const fs = new FsBlockstore(join(dir, `blocks-${profile}-${size}`))
      await fs.open()
      const ours = await addPath(fs, file, { profile })
      const ref = await stock(bytes, { profile })
      expect({ profile, size, cid: ours.cid.toString() }).toEqual({ profile, size, cid: ref.cid.toString() })
      expect(await blocksOf(fs)).toEqual(await blocksOf(ref.blocks))
    }
  })

  it('behavior: multi-level trees with recycled read buffers equal the stock importer (small chunks, 3 links)', async () => {
    // Chunks of 1000 bytes and 3 links per node reach 4 levels in 81 KB; sizes sit on
    // 1000 * 3^k and one byte either side, where the balanced layout adds a level.
    const sizes = [0, 999, 1000, 1001, 2999, 3000, 3001, 8999, 9000, 9001, 26999, 27000, 27001, 81001]
    for (const rawLeaves of [true, false]) {
      for (const size of sizes) {
        const options: ImporterOptions = {
          chunker: fixedSize({ chunkSize: 1000 }),
          layout: balanced({ maxChildrenPerNode: 3 }),
          rawLeaves,
          cidVersion: 1
        }
        const bytes = deterministicBuffer(`small-${size}`, size)
        const file = join(dir, `s-${rawLeaves}-${size}`)
        await writeFile(file, bytes)
        const fs = new FsBlockstore(join(dir, `sb-${rawLeaves}-${size}`))
        await fs.open()
        const pool = new BufferPool(1000, 2)
        const leaves = pipelinedBufferImporter({ rawLeaves, cidVersion: 1, pool, maxPendingBytes: 2000 })
        let cid: CID | undefined
        const source = [{ content: readAhead(file, pool, 3) }]
        for await (const r of importer(source, fs, { ...options, bufferImporter: leaves.bufferImporter })) cid = r.cid
        await leaves.drain()
        const ref = await stock(bytes, options)
        expect({ rawLeaves, size, cid: cid?.toString() }).toEqual({ rawLeaves, size, cid: ref.cid.toString() })
        const ours = await blocksOf(fs)
        expect(ours).toEqual(await blocksOf(ref.blocks))
        // Independent of the importer: every stored block hashes to its CID's digest.
        for await (const { cid: c, bytes: b } of fs.getAll()) {
          const parts: Uint8Array[] = []
          for await (const p of b) parts.push(p)
          expect(Buffer.from((await sha256.digest(Buffer.concat(parts))).digest)).toEqual(Buffer.from(c.multihash.digest))
        }
      }
    }
  })

  it('behavior: with hash workers and an aligned pool, multi-level trees equal the stock importer and every leaf is hashed by a worker', async () => {
    // As above (1000-byte chunks, 3 links: the balanced layout adds a level at 1000 * 3^k bytes),
    // with leaves hashed on two workers (results may come back out of order) and written by
    // BlockFileWriter (through the page cache: these blocks are under a page).
    const sizes = [999, 1000, 1001, 3000, 3001, 9000, 9001, 27000, 27001, 81001]
    for (const size of sizes) {
      const options: ImporterOptions = {
        chunker: fixedSize({ chunkSize: 1000 }),
        layout: balanced({ maxChildrenPerNode: 3 }),
        rawLeaves: true,
        cidVersion: 1
      }
      const bytes = deterministicBuffer(`workers-${size}`, size)
      const file = join(dir, `w-${size}`)
      await writeFile(file, bytes)
      const fs = new FsBlockstore(join(dir, `wb-${size}`))
      await fs.open()
      const pool = new BufferPool(1000, 40, { aligned: true })
      const hashPool = new HashPool((pool.arena as AlignedArena).memory, 2)
      const writer = new BlockFileWriter(namingOf(fs), pool.arena)
      let cid: CID | undefined
      try {
        const leaves = pipelinedBufferImporter({ rawLeaves: true, cidVersion: 1, pool, hashPool, maxPendingBytes: 4000 })
        const source = [{ content: readAhead(file, pool, 3) }]
        for await (const r of importer(source, { put: writer.put } as unknown as Blockstore, { ...options, bufferImporter: leaves.bufferImporter })) cid = r.cid
        await leaves.drain()
        expect(hashPool.offloaded).toBe(Math.ceil(size / 1000))
      } finally {
        await hashPool.close()
      }
      const ref = await stock(bytes, options)
      expect({ size, cid: cid?.toString() }).toEqual({ size, cid: ref.cid.toString() })
      expect(await blocksOf(fs)).toEqual(await blocksOf(ref.blocks))
    }
  })

  it('behavior: dag-pb leaves framed in place in pool slots (v0 style) are hashed by workers and equal the stock importer\'s blocks', async () => {
    // Only a leaf built in the pool's shared memory can reach a worker: the count of digests the
    // workers made shows every leaf was framed in place, and the blocks match the stock importer.
    const sizes = [1, 999, 1000, 1001, 3001, 9001, 27001]
    for (const size of sizes) {
      const options: ImporterOptions = {
        chunker: fixedSize({ chunkSize: 1000 }),
        layout: balanced({ maxChildrenPerNode: 3 }),
        rawLeaves: false,
        cidVersion: 0
      }
      const bytes = deterministicBuffer(`framed-${size}`, size)
      const file = join(dir, `fr-${size}`)
      await writeFile(file, bytes)
      const fs = new FsBlockstore(join(dir, `frb-${size}`))
      await fs.open()
      const pool = new BufferPool(1000, 40, { aligned: true, ...fileLeafRoom(1000) })
      const hashPool = new HashPool((pool.arena as AlignedArena).memory, 2)
      const writer = new BlockFileWriter(namingOf(fs), pool.arena)
      let cid: CID | undefined
      try {
        const leaves = pipelinedBufferImporter({ rawLeaves: false, cidVersion: 0, pool, hashPool, maxPendingBytes: 4000 })
        const source = [{ content: readAhead(file, pool, 3) }]
        for await (const r of importer(source, { put: writer.put } as unknown as Blockstore, { ...options, bufferImporter: leaves.bufferImporter })) cid = r.cid
        await leaves.drain()
        expect({ size, offloaded: hashPool.offloaded }).toEqual({ size, offloaded: Math.ceil(size / 1000) })
      } finally {
        await hashPool.close()
      }
      const ref = await stock(bytes, options)
      expect({ size, cid: cid?.toString() }).toEqual({ size, cid: ref.cid.toString() })
      expect(await blocksOf(fs)).toEqual(await blocksOf(ref.blocks))
    }
  })

  it('behavior: the frame of a dag-pb file leaf is the bytes dag-pb and ipfs-unixfs encode around its content (varint length edges)', () => {
    // Content lengths where varint(n) or varint(length of the UnixFS message) gains a byte.
    const lengths = [1, 121, 122, 123, 124, 127, 128, 16375, 16376, 16377, 16378, 16383, 16384, 256 * KIB, 2097140, 2097141, 2097151, 2097152]
    for (const n of lengths) {
      const data = deterministicBuffer(`frame-${n}`, n)
      const { before, after } = fileLeafFrame(n)
      const ref = dagPb.encode({ Data: new UnixFS({ type: 'file', data }).marshal(), Links: [] })
      expect({ n, ok: Buffer.from(ref).equals(Buffer.concat([before, data, after])) }).toEqual({ n, ok: true })
    }
    expect(fileLeafRoom(256 * KIB)).toEqual({ headroom: 10, tailroom: 4 })
  })

  it('behavior: a pool frames only its own whole buffers, within their slot', () => {
    const pool = new BufferPool(1000, 4, { aligned: true, headroom: 10, tailroom: 4 })
    const b = pool.take()
    expect(pool.frame(b, 10, 4)?.byteLength).toBe(1014)
    expect(pool.frame(b, 11, 4)).toBeUndefined()
    // A slot is 4096 bytes: 10 + 1000 + 3086 fits, one more byte does not.
    expect(pool.frame(b, 10, 3086)?.byteLength).toBe(4096)
    expect(pool.frame(b, 10, 3087)).toBeUndefined()
    expect(pool.frame(b.subarray(1), 0, 0)).toBeUndefined()
    expect(pool.frame(b.subarray(0, 500), 10, 4)).toBeUndefined()
    const last = pool.shrink(pool.take(), 500)
    expect(pool.frame(last, 10, 4)?.byteLength).toBe(514)
    expect(pool.frame(Buffer.alloc(1000), 0, 0)).toBeUndefined()
    // Framed in place: the frame's middle is the buffer itself.
    const f = pool.frame(b, 10, 4) as Buffer
    b[0] = 7
    expect(f[10]).toBe(7)
  })

  it('default: addPath of a file large enough for hash workers (v1: 8 MiB and more) gives the stock importer\'s root and blocks', async () => {
    for (const size of [8 * MIB, 9 * MIB + 1]) {
      const bytes = deterministicBuffer(`big-${size}`, size)
      const file = join(dir, `big-${size}`)
      await writeFile(file, bytes)
      const fs = new FsBlockstore(join(dir, `bigb-${size}`))
      await fs.open()
      const ours = await addPath(fs, file, { profile: 'unixfs-v1-2025' })
      const ref = await stock(bytes, { profile: 'unixfs-v1-2025' })
      expect({ size, cid: ours.cid.toString() }).toEqual({ size, cid: ref.cid.toString() })
      expect(await blocksOf(fs)).toEqual(await blocksOf(ref.blocks))
    }
  })

  it('behavior: addStream into a repo on disk gives the stock importer\'s root and blocks; past 8 MiB its leaves are hashed by workers', async () => {
    // pieces of odd sizes (1 B, then 300 KiB + 7, 2 MiB + 3, ...): chunk boundaries fall inside them
    const pieces = function * (bytes: Uint8Array): Generator<Uint8Array> {
      const sizes = [1, 300 * KIB + 7, 2 * MIB + 3, 5, 700 * KIB]
      for (let at = 0, i = 0; at < bytes.byteLength; i++) {
        const end = Math.min(bytes.byteLength, at + sizes[i % sizes.length])
        yield bytes.slice(at, end)
        at = end
      }
    }
    for (const [profile, size] of [['unixfs-v1-2025', 3 * MIB + 1], ['unixfs-v1-2025', 8 * MIB], ['unixfs-v1-2025', 9 * MIB + 1], ['unixfs-v0-2015', 9 * MIB + 5]] as const) {
      const bytes = deterministicBuffer(`stream-${profile}-${size}`, size)
      const fs = new FsBlockstore(join(dir, `sb-${profile}-${size}`))
      await fs.open()
      const ours = await addStream(fs, (async function * () { yield * pieces(bytes) })(), { profile })
      const ref = await stock(bytes, { profile })
      expect({ profile, size, cid: ours.cid.toString() }).toEqual({ profile, size, cid: ref.cid.toString() })
      expect(ours.size).toBe(size)
      expect(await blocksOf(fs)).toEqual(await blocksOf(ref.blocks))
      // as addPath: 8 MiB or more goes through the shared pool and the workers, every leaf
      const leaves = Math.ceil(size / (profile === 'unixfs-v0-2015' ? 256 * KIB : MIB))
      expect(ours.hashedOnWorkers).toBe(size >= 8 * MIB ? leaves : 0)
    }
  })

  it('behavior: a failing block write fails the add with that error, and no write is left running', async () => {
    const file = join(dir, 'fail.bin')
    await writeFile(file, deterministicBuffer('fail', 5 * MIB))
    let running = 0
    let puts = 0
    const failing = {
      put: async (cid: CID) => {
        running++
        try {
          await new Promise(resolve => setTimeout(resolve, 5))
          if (++puts === 3) throw Object.assign(new Error('disk full'), { name: 'PutFailedError' })
          return cid
        } finally { running-- }
      }
    }
    await expect(addPath(failing, file, { profile: 'unixfs-v1-2025' })).rejects.toHaveProperty('message', 'disk full')
    expect(running).toBe(0)
  })
})
