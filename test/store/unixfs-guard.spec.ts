import * as dagPb from '@ipld/dag-pb'
import { MemoryBlockstore } from 'blockstore-core/memory'
import { UnixFS } from 'ipfs-unixfs'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import { describe, expect, it } from 'vitest'
import { ls, resolveEntry } from '../../src/store/read.ts'
import { checkDagPbNode } from '../../src/store/unixfs-guard.ts'

/** Stores a dag-pb node under its true CID (as a fetcher stores a verified block). */
async function put (blocks: MemoryBlockstore, node: dagPb.PBNode): Promise<CID> {
  const bytes = dagPb.encode(node)
  const cid = CID.createV1(dagPb.code, await sha256.digest(bytes))
  await blocks.put(cid, bytes)
  return cid
}

async function shard (fanout: bigint, hashType: bigint): Promise<{ blocks: MemoryBlockstore, root: CID }> {
  const blocks = new MemoryBlockstore()
  const leaf = await put(blocks, { Data: new UnixFS({ type: 'file', data: new Uint8Array([1]) }).marshal(), Links: [] })
  const data = new UnixFS({ type: 'hamt-sharded-directory', fanout, hashType, data: new Uint8Array([1]) }).marshal()
  const root = await put(blocks, { Data: data, Links: [{ Name: '00a', Hash: leaf, Tsize: 10 }] })
  return { blocks, root }
}

describe('unixfs guard', () => {
  // Found by the UnixFS fuzzer: a HAMT shard with fanout 0 made the exporter allocate until the
  // heap ran out and the worker aborted (SIGABRT), on any path beneath it.
  it('security: a HAMT shard with fanout 0 fails path resolution and ls with InvalidDagError, not an abort', async () => {
    const { blocks, root } = await shard(0n, 0x22n)
    await expect(resolveEntry(blocks, root, 'a')).rejects.toThrow(expect.objectContaining({ name: 'InvalidDagError', message: expect.stringContaining('fanout 0') }))
    await expect((async () => { for await (const e of ls(blocks, root, '')) expect(e).toBeUndefined() })()).rejects.toThrow(expect.objectContaining({ name: 'InvalidDagError' }))
  })

  it('security: hash types other than murmur3-x64-64 (0x22) and fanouts that are not powers of two in 8..1024 are refused', async () => {
    // the exporter implements only murmur3 (hash type 0 gave a bare TypeError); it reads
    // log2(fanout) bits of hash per level, so the fanout must be a power of two; Kubo caps it at 1024
    for (const [fanout, hashType] of [[256n, 0n], [256n, 0x23n], [4n, 0x22n], [255n, 0x22n], [2048n, 0x22n]] as const) {
      const { blocks, root } = await shard(fanout, hashType)
      await expect(resolveEntry(blocks, root, 'a')).rejects.toThrow(expect.objectContaining({ name: 'InvalidDagError' }))
    }
  })

  it('behavior: real shard parameters pass the guard (fanout 8, 256 and 1024 with murmur3)', async () => {
    for (const fanout of [8n, 256n, 1024n]) {
      const { blocks, root } = await shard(fanout, 0x22n)
      const all: Uint8Array[] = []
      for await (const c of blocks.get(root)) all.push(c)
      expect(() => { checkDagPbNode(root, Buffer.concat(all)) }).not.toThrow()
    }
  })

  it('behavior: a dag-pb node whose UnixFS header does not decode is InvalidDagError, not a bare protobuf error', async () => {
    const blocks = new MemoryBlockstore()
    // Data bytes 0x3b 0xf0 0x8c 0x43 0x2d: field 7 with wire type 3 (a group), which protobuf decoders refuse
    const root = await put(blocks, { Data: new Uint8Array([59, 240, 140, 67, 45]), Links: [] })
    await expect(resolveEntry(blocks, root, '')).rejects.toThrow(expect.objectContaining({ name: 'InvalidDagError' }))
  })
})
