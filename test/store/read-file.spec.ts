import { mkdtemp, readdir, readFile as readDiskFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as dagPb from '@ipld/dag-pb'
import { MemoryBlockstore } from 'blockstore-core'
import { FsBlockstore } from 'blockstore-fs'
import fc from 'fast-check'
import { UnixFS } from 'ipfs-unixfs'
import { importer } from 'ipfs-unixfs-importer'
import { fixedSize } from 'ipfs-unixfs-importer/chunker'
import { balanced, trickle } from 'ipfs-unixfs-importer/layout'
import { CID } from 'multiformats/cid'
import { identity } from 'multiformats/hashes/identity'
import { sha256 } from 'multiformats/hashes/sha2'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { readFile } from '../../src/store/file-reader.ts'
import { blockFile, ContentStore, initRepo, openRepo, REPO_FILES } from '../../src/store/index.ts'
import { deterministicBuffer, writeDeterministicFile } from '../utils/data.ts'
import type { BlockSource, ReadFileOptions } from '../../src/store/file-reader.ts'
import type { ImportProfile } from '../../src/config.ts'
import type { Repo } from '../../src/store/index.ts'
import type { ImporterOptions } from 'ipfs-unixfs-importer'

const KIB = 1024
const MIB = 1024 * KIB

let dir: string
let repo: Repo | undefined

beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'agora-read-')) })
afterEach(async () => {
  await repo?.close()
  repo = undefined
  await rm(dir, { recursive: true, force: true })
})

async function store (): Promise<ContentStore> {
  await initRepo(join(dir, 'repo'))
  repo = await openRepo(join(dir, 'repo'))
  return new ContentStore(repo)
}

function blocksDir (): BlockSource {
  return { blocksDir: join(dir, 'repo', REPO_FILES.blocks) }
}

/** Everything the reader yields, released as it goes (each chunk copied first). */
async function readAll (source: BlockSource, cid: CID, options?: ReadFileOptions): Promise<Buffer> {
  const parts: Buffer[] = []
  for await (const c of readFile(source, cid, options)) {
    parts.push(Buffer.from(c.bytes))
    c.release()
  }
  return Buffer.concat(parts)
}

async function addProfile (s: ContentStore, seed: string, size: number, profile: ImportProfile): Promise<CID> {
  const f = join(dir, `${seed}-${size}`)
  await writeDeterministicFile(f, seed, size)
  return (await s.add(f, { profile })).cid
}

/** The stock importer with small chunks, so that a few KiB give DAGs of several levels. */
async function smallDag (bytes: Uint8Array, blockstore: MemoryBlockstore | FsBlockstore, options: Partial<ImporterOptions>): Promise<CID> {
  let cid: CID | undefined
  for await (const r of importer([{ content: [bytes] }], blockstore, { chunker: fixedSize({ chunkSize: 1000 }), ...options })) cid = r.cid
  return cid as CID
}

describe('store: file reader', () => {
  it('default: files of both profiles, at chunk and tree boundaries, read back byte-identical from the repo\'s block files', async () => {
    const s = await store()
    // unixfs-v1-2025: 1 MiB raw leaves; unixfs-v0-2015: 256 KiB dag-pb leaves, 174 links per
    // node, so 175 chunks (174 * 256 KiB + 1 bytes) need a second level of internal nodes.
    const cases: Array<[ImportProfile, number]> = [
      ['unixfs-v1-2025', 0], ['unixfs-v1-2025', 1], ['unixfs-v1-2025', MIB - 1], ['unixfs-v1-2025', MIB],
      ['unixfs-v1-2025', MIB + 1], ['unixfs-v1-2025', 3 * MIB + 17],
      ['unixfs-v0-2015', 0], ['unixfs-v0-2015', 1], ['unixfs-v0-2015', 256 * KIB], ['unixfs-v0-2015', 256 * KIB + 1],
      ['unixfs-v0-2015', 174 * 256 * KIB + 1]
    ]
    for (const [profile, size] of cases) {
      const cid = await addProfile(s, profile, size, profile)
      const got = await readAll(blocksDir(), cid)
      expect(got.byteLength, `${profile} ${size}`).toBe(size)
      expect(got.equals(deterministicBuffer(profile, size)), `${profile} ${size}`).toBe(true)
    }
  })

  it('behavior: DAGs of several levels (balanced and trickle, raw and dag-pb leaves, CIDv0 and v1) read back identical from block files and from a block reader', async () => {
    const bytes = deterministicBuffer('levels', 50_123)
    const fs = new FsBlockstore(join(dir, 'fs'))
    await fs.open()
    const mem = new MemoryBlockstore()
    const shapes: Array<Partial<ImporterOptions>> = [
      { layout: balanced({ maxChildrenPerNode: 3 }), rawLeaves: true, cidVersion: 1 },
      { layout: balanced({ maxChildrenPerNode: 3 }), rawLeaves: false, cidVersion: 0 },
      { layout: trickle({ maxChildrenPerNode: 3, layerRepeat: 2 }), rawLeaves: true, cidVersion: 1 },
      { layout: trickle({ maxChildrenPerNode: 3, layerRepeat: 2 }), rawLeaves: false, cidVersion: 0 }
    ]
    for (const shape of shapes) {
      const cid = await smallDag(bytes, fs, shape)
      expect(await smallDag(bytes, mem, shape)).toEqual(cid)
      for (const readAhead of [1, 3, 8]) {
        expect((await readAll({ blocksDir: join(dir, 'fs') }, cid, { readAhead })).equals(bytes)).toBe(true)
        expect((await readAll(mem, cid, { readAhead })).equals(bytes)).toBe(true)
      }
    }
    await fs.close()
  })

  it('behavior: any offset and length give the same bytes as a slice of the source', async () => {
    // 1000-byte chunks, 3 links per node: ranges cross leaves and subtrees at every level
    const size = 20_011
    const bytes = deterministicBuffer('range', size)
    const mem = new MemoryBlockstore()
    const cids = [
      await smallDag(bytes, mem, { layout: balanced({ maxChildrenPerNode: 3 }), rawLeaves: true, cidVersion: 1 }),
      await smallDag(bytes, mem, { layout: trickle({ maxChildrenPerNode: 3, layerRepeat: 2 }), rawLeaves: false, cidVersion: 0 })
    ]
    const edges = [0, 1, 999, 1000, 1001, 2999, 3000, 3001, 8999, 9000, size - 1, size]
    for (const cid of cids) {
      for (const offset of edges) {
        for (const length of [undefined, 0, 1, 1000, 1001, size]) {
          const want = bytes.subarray(offset, length == null ? undefined : offset + length)
          expect((await readAll(mem, cid, { offset, length })).equals(want), `offset ${offset} length ${length}`).toBe(true)
        }
      }
      await fc.assert(fc.asyncProperty(fc.integer({ min: 0, max: size }), fc.option(fc.integer({ min: 0, max: size + 10 }), { nil: undefined }), fc.integer({ min: 1, max: 6 }), async (offset, length, readAhead) => {
        const want = bytes.subarray(offset, length == null ? undefined : offset + length)
        expect((await readAll(mem, cid, { offset, length, readAhead })).equals(want)).toBe(true)
      }), { numRuns: 150 })
      await expect(readAll(mem, cid, { offset: size + 1 })).rejects.toHaveProperty('name', 'InvalidParametersError')
      await expect(readAll(mem, cid, { offset: -1 })).rejects.toHaveProperty('name', 'InvalidParametersError')
      await expect(readAll(mem, cid, { length: 1.5 })).rejects.toHaveProperty('name', 'InvalidParametersError')
    }
  })

  it('behavior: a range of a profile file returns the slice, across 1 MiB leaves', async () => {
    const s = await store()
    const size = 5 * MIB + 3
    const cid = await addProfile(s, 'mib', size, 'unixfs-v1-2025')
    const bytes = deterministicBuffer('mib', size)
    for (const [offset, length] of [[MIB - 5, 10], [MIB, MIB], [2 * MIB + 1, 2 * MIB], [size - 2, 100]]) {
      expect((await readAll(blocksDir(), cid, { offset, length })).equals(bytes.subarray(offset, offset + length))).toBe(true)
    }
  })

  it('behavior: released chunks reuse a bounded set of buffers; with reuseBuffers false every chunk is the caller\'s to keep', async () => {
    const s = await store()
    const size = 24 * MIB + 5
    const cid = await addProfile(s, 'reuse', size, 'unixfs-v1-2025')
    const buffers = new Set<ArrayBufferLike>()
    let n = 0
    for await (const c of readFile(blocksDir(), cid, { readAhead: 4 })) {
      buffers.add(c.bytes.buffer)
      n += c.bytes.byteLength
      c.release()
    }
    expect(n).toBe(size)
    // Reasoning: 25 leaves, at most 4 read ahead plus the one held: the pool keeps readAhead + 2.
    expect(buffers.size).toBeLessThanOrEqual(6)
    const kept: Uint8Array[] = []
    for await (const c of readFile(blocksDir(), cid, { reuseBuffers: false })) kept.push(c.bytes)
    expect(Buffer.concat(kept).equals(deterministicBuffer('reuse', size))).toBe(true)
  })

  it('behavior: raw and identity roots give their bytes', async () => {
    const mem = new MemoryBlockstore()
    const bytes = new TextEncoder().encode('hello raw')
    const raw = CID.createV1(0x55, await sha256.digest(bytes))
    await mem.put(raw, bytes)
    expect((await readAll(mem, raw)).toString()).toBe('hello raw')
    expect((await readAll(mem, raw, { offset: 6, length: 2 })).toString()).toBe('ra')
    const inline = CID.createV1(0x55, identity.digest(new TextEncoder().encode('inline bytes')))
    expect((await readAll(mem, inline)).toString()).toBe('inline bytes')
  })

  it('behavior: a directory is WrongContentTypeError; sizes that disagree with the blocks are InvalidDagError', async () => {
    const mem = new MemoryBlockstore()
    const put = async (node: dagPb.PBNode): Promise<CID> => {
      const b = dagPb.encode(node)
      const cid = CID.createV1(dagPb.code, await sha256.digest(b))
      await mem.put(cid, b)
      return cid
    }
    const dirCid = await put({ Data: new UnixFS({ type: 'directory' }).marshal(), Links: [] })
    await expect(readAll(mem, dirCid)).rejects.toHaveProperty('name', 'WrongContentTypeError')
    const leaf = new TextEncoder().encode('12345')
    const leafCid = CID.createV1(0x55, await sha256.digest(leaf))
    await mem.put(leafCid, leaf)
    // the header says the leaf holds 10 bytes; it holds 5
    const liar = await put({ Data: new UnixFS({ type: 'file', blockSizes: [10n] }).marshal(), Links: [{ Hash: leafCid, Tsize: 5 }] })
    await expect(readAll(mem, liar)).rejects.toHaveProperty('name', 'InvalidDagError')
    const fewerSizes = await put({ Data: new UnixFS({ type: 'file', blockSizes: [] }).marshal(), Links: [{ Hash: leafCid, Tsize: 5 }] })
    await expect(readAll(mem, fewerSizes)).rejects.toHaveProperty('name', 'InvalidDagError')
    const honest = await put({ Data: new UnixFS({ type: 'file', blockSizes: [5n, 5n] }).marshal(), Links: [{ Hash: leafCid, Tsize: 5 }, { Hash: leafCid, Tsize: 5 }] })
    expect((await readAll(mem, honest)).toString()).toBe('1234512345')
  })

  it('behavior: a corrupt block fails with CorruptBlockError, and get leaves nothing under the final name', async () => {
    const s = await store()
    const size = 6 * MIB
    const cid = await addProfile(s, 'corrupt', size, 'unixfs-v1-2025')
    // the fourth leaf: a byte flipped in its file on disk
    const leaf = dagPb.decode(await readDiskFile(blockPath(cid))).Links[3].Hash
    const bytes = await readDiskFile(blockPath(leaf))
    bytes[1000] ^= 0xff
    await writeFile(blockPath(leaf), bytes)
    await expect(readAll(blocksDir(), cid).then(b => b.byteLength)).rejects.toHaveProperty('name', 'CorruptBlockError')
    await expect(readAll(blocksDir(), cid, { offset: 3 * MIB + 5, length: 1 })).rejects.toHaveProperty('name', 'CorruptBlockError')
    // the leaves before it are still readable alone
    expect((await readAll(blocksDir(), cid, { length: 3 * MIB })).equals(deterministicBuffer('corrupt', 3 * MIB))).toBe(true)
    const out = join(dir, 'out')
    await expect(s.get(cid, '', join(out, 'file.bin'))).rejects.toHaveProperty('name', 'CorruptBlockError')
    expect(await readdir(out).catch(() => [])).toEqual([])
  })

  it('behavior: a missing block is BlockNotFoundError', async () => {
    const s = await store()
    const cid = await addProfile(s, 'missing', 3 * MIB, 'unixfs-v1-2025')
    const leaf = dagPb.decode(await readDiskFile(blockPath(cid))).Links[1].Hash
    await rm(blockPath(leaf))
    await expect(readAll(blocksDir(), cid).then(b => b.byteLength)).rejects.toHaveProperty('name', 'BlockNotFoundError')
  })

  it('behavior: an abort stops the read with AbortError, and an aborted get leaves no file', async () => {
    const s = await store()
    const size = 16 * MIB
    const cid = await addProfile(s, 'abort', size, 'unixfs-v1-2025')
    const ac = new AbortController()
    let seen = 0
    await expect((async () => {
      for await (const c of readFile(blocksDir(), cid, { signal: ac.signal })) {
        seen += c.bytes.byteLength
        c.release()
        ac.abort()
      }
    })()).rejects.toHaveProperty('name', 'AbortError')
    expect(seen).toBe(MIB)
    const out = join(dir, 'out')
    const ac2 = new AbortController()
    await expect(s.get(cid, '', join(out, 'f'), { signal: ac2.signal, onProgress: () => { ac2.abort() } })).rejects.toHaveProperty('name', 'AbortError')
    expect(await readdir(out).catch(() => [])).toEqual([])
    // and the same get, not aborted, completes
    await s.get(cid, '', join(out, 'f'))
    expect((await stat(join(out, 'f'))).size).toBe(size)
    expect(await readdir(out)).toEqual(['f'])
  })
})

function blockPath (cid: CID): string {
  const { dir: shard, file } = blockFile(cid)
  return join(dir, 'repo', REPO_FILES.blocks, shard, file)
}
