import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { unixfs } from '@helia/unixfs'
import { MemoryBlockstore } from 'blockstore-core'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { create as createDigest } from 'multiformats/hashes/digest'
import { describe, expect, it } from 'vitest'
import { addStream } from '../../src/store/add.ts'
import { deterministicBuffer, deterministicBytes } from '../utils/data.ts'

interface FixtureCase { name: string, seed: string, size: number, text?: string, cidv0: string }
const fixture = JSON.parse(readFileSync(new URL('../fixtures/store/ipfs-cid-v0.json', import.meta.url), 'utf8')) as { cases: FixtureCase[] }

function source (c: { seed: string, size: number, text?: string }): AsyncIterable<Uint8Array> {
  return (async function * () {
    if (c.text != null) { yield new TextEncoder().encode(c.text); return }
    // 300 KiB pieces: deliberately not aligned with either chunk size.
    yield * deterministicBytes(c.seed, c.size, 300 * 1024)
  })()
}

describe('store: CIDs against independent tools', () => {
  it('default: unixfs-v0-2015 roots equal Debian ipfs_cid CIDv0 for every committed case', async () => {
    for (const c of fixture.cases) {
      const r = await addStream(new MemoryBlockstore(), source(c), { profile: 'unixfs-v0-2015' })
      expect({ name: c.name, cid: r.cid.toString() }).toEqual({ name: c.name, cid: c.cidv0 })
      expect(r.size).toBe(c.size)
    }
  })

  it('behavior: unixfs-v1-2025 roots equal @helia/unixfs addBytes defaults', async () => {
    // @helia/unixfs 8 addBytes defaults to the unixfs-v1-2025 layout (CIDv1, raw leaves, 1 MiB chunks, 1024 links).
    const sizes = [0, 12, 1024 * 1024, 1024 * 1024 + 1, 3 * 1024 * 1024 + 5]
    for (const size of sizes) {
      const bytes = deterministicBuffer(`v1-${size}`, size)
      const ours = await addStream(new MemoryBlockstore(), source({ seed: `v1-${size}`, size }), { profile: 'unixfs-v1-2025' })
      const helia = await unixfs({ blockstore: new MemoryBlockstore() }).addBytes(bytes)
      expect({ size, cid: ours.cid.toString() }).toEqual({ size, cid: helia.toString() })
    }
  })

  it('behavior: a one-chunk unixfs-v1-2025 file is a raw block whose CID is CIDv1(raw, sha256(bytes))', async () => {
    // Reasoning: with raw leaves and reduceSingleLeafToSelf, a file of at most one 1 MiB chunk is
    // stored as that single raw leaf, so its CID is computable with node:crypto alone.
    const bytes = deterministicBuffer('single-raw', 1024 * 1024)
    const expected = CID.createV1(raw.code, createDigest(0x12, createHash('sha256').update(bytes).digest()))
    const ours = await addStream(new MemoryBlockstore(), source({ seed: 'single-raw', size: bytes.byteLength }), { profile: 'unixfs-v1-2025' })
    expect(ours.cid.toString()).toBe(expected.toString())
  })

  it('behavior: an unknown profile is rejected by name', async () => {
    await expect(addStream(new MemoryBlockstore(), source({ seed: 'x', size: 1 }), { profile: 'kubo-2030' as 'unixfs-v1-2025' })).rejects.toHaveProperty('name', 'InvalidParametersError')
  })
})
