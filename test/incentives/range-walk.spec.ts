import { MemoryBlockstore } from 'blockstore-core'
import { importer } from 'ipfs-unixfs-importer'
import { fixedSize } from 'ipfs-unixfs-importer/chunker'
import { balanced } from 'ipfs-unixfs-importer/layout'
import { describe, expect, it } from 'vitest'
import { rangeStep } from '../../src/incentives/range-walk.ts'
import type { RangeBlock } from '../../src/incentives/range-walk.ts'
import type { CID } from 'multiformats/cid'

async function get (bs: MemoryBlockstore, cid: CID): Promise<Uint8Array> {
  const parts: Uint8Array[] = []
  for await (const c of bs.get(cid)) parts.push(c)
  return Buffer.concat(parts)
}

/**
 * 10 000 bytes in 1000-byte raw leaves under a balanced tree of at most 4 children per node:
 * 10 leaves → 3 intermediate nodes (4 + 4 + 2 leaves) → 1 root, so a walk goes three levels.
 */
async function tree (leaves: { raw: boolean } = { raw: true }): Promise<{ bs: MemoryBlockstore, root: CID }> {
  const bs = new MemoryBlockstore()
  let root: CID | undefined
  const content = new Uint8Array(10_000).map((_, i) => i % 251)
  for await (const e of importer([{ content }], bs, { chunker: fixedSize({ chunkSize: 1000 }), layout: balanced({ maxChildrenPerNode: 4 }), rawLeaves: leaves.raw, cidVersion: 1, reduceSingleLeafToSelf: true })) root = e.cid
  return { bs, root: root! }
}

/** Walks the whole DAG as the prober does; returns the range bytes and the leaf offsets reached. */
async function walk (bs: MemoryBlockstore, root: CID, start: number, len: number): Promise<{ bytes: number, blocks: number, leafOffsets: number[] }> {
  let level: RangeBlock[] = [{ cid: root, offset: 0 }]
  let bytes = 0
  let blocks = 0
  const leafOffsets: number[] = []
  while (level.length > 0) {
    const next: RangeBlock[] = []
    for (const b of level) {
      const step = rangeStep(b.cid, await get(bs, b.cid), b.offset, start, len)
      blocks++
      bytes += step.bytes
      if (step.children.length === 0) leafOffsets.push(b.offset)
      next.push(...step.children)
    }
    level = next
  }
  return { bytes, blocks, leafOffsets }
}

describe('incentives: range walk', () => {
  it('default: a range across a node boundary reaches exactly the leaves that hold it', async () => {
    const { bs, root } = await tree()
    // [3500, 4700) lies in leaves 3 (3000..3999) and 4 (4000..4999); leaf 3 is the last child of
    // the first intermediate node and leaf 4 the first of the second: root + 2 nodes + 2 leaves.
    expect(await walk(bs, root, 3500, 1200)).toEqual({ bytes: 1200, blocks: 5, leafOffsets: [3000, 4000] })
  })

  it('behavior: the whole file, the last byte, and dag-pb leaves', async () => {
    const { bs, root } = await tree()
    expect(await walk(bs, root, 0, 10_000)).toMatchObject({ bytes: 10_000, blocks: 14 })
    expect(await walk(bs, root, 9999, 1)).toEqual({ bytes: 1, blocks: 3, leafOffsets: [9000] })
    const pb = await tree({ raw: false })
    expect(await walk(pb.bs, pb.root, 1999, 2)).toMatchObject({ bytes: 2, leafOffsets: [1000, 2000] })
  })

  it('behavior: a range past the end of the file carries only the bytes the file has', async () => {
    const { bs, root } = await tree()
    expect((await walk(bs, root, 9500, 1000)).bytes).toBe(500)
  })

  it('behavior: a directory is not a file to range over', async () => {
    const bs = new MemoryBlockstore()
    let root: CID | undefined
    for await (const e of importer([{ path: 'd/a.txt', content: new Uint8Array(10) }], bs, { wrapWithDirectory: true })) root = e.cid
    expect(() => { rangeStep(root!, new Uint8Array(0), 0, 0, 1) }).toThrow()
    let err: unknown
    try { rangeStep(root!, await get(bs, root!), 0, 0, 1) } catch (e) { err = e }
    expect((err as Error).name).toBe('InvalidTaskInputError')
  })
})
