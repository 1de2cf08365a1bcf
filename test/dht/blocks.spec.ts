/**
 * Block verification and link reading, against CIDs computed independently (noble's SHA-256)
 * and Kubo's classic (CIDv0) CID of "hello world\n", which Debian's ipfs_cid also gives.
 */
import * as dagCbor from '@ipld/dag-cbor'
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js'
import { MemoryBlockstore } from 'blockstore-core'
import { importBytes } from 'ipfs-unixfs-importer'
import { CID } from 'multiformats/cid'
import * as Digest from 'multiformats/hashes/digest'
import { Uint8ArrayList } from 'uint8arraylist'
import { describe, expect, it } from 'vitest'
import { linksOf, verifyBlock } from '../../src/dht/blocks.ts'

const hello = new TextEncoder().encode('hello world\n')
/** CIDv1 raw: multihash 0x12 (sha2-256), 0x20 (32 bytes), digest from @noble/hashes. */
const rawCid = (bytes: Uint8Array): CID => CID.createV1(0x55, Digest.create(0x12, nobleSha256(bytes)))

async function blockOf (store: MemoryBlockstore, cid: CID): Promise<Uint8Array> {
  const chunks: Uint8Array[] = []
  for await (const c of store.get(cid)) chunks.push(c)
  return new Uint8ArrayList(...chunks).subarray()
}

describe('blocks', () => {
  it('default: a raw block verifies against its independently computed CID, whole or in chunks', () => {
    const cid = rawCid(hello)
    expect(() => { verifyBlock(cid, hello) }).not.toThrow()
    expect(() => { verifyBlock(cid, new Uint8ArrayList(hello.subarray(0, 5), hello.subarray(5))) }).not.toThrow()
  })

  it('behavior: one flipped bit fails with BlockVerificationError', () => {
    const cid = rawCid(hello)
    const bad = Uint8Array.from(hello)
    bad[3] ^= 1
    expect(() => { verifyBlock(cid, bad) }).toThrow(expect.objectContaining({ name: 'BlockVerificationError' }))
    expect(() => { verifyBlock(cid, hello.subarray(1)) }).toThrow(expect.objectContaining({ name: 'BlockVerificationError' }))
  })

  it('behavior: identity CIDs verify against their inline bytes', () => {
    const cid = CID.createV1(0x55, Digest.create(0x00, hello))
    expect(() => { verifyBlock(cid, hello) }).not.toThrow()
    expect(() => { verifyBlock(cid, hello.subarray(1)) }).toThrow(expect.objectContaining({ name: 'BlockVerificationError' }))
  })

  it('behavior: a hash we do not implement is refused with UnsupportedHashError', () => {
    // 0xb220 is blake2b-256
    const cid = CID.createV1(0x55, Digest.create(0xb220, new Uint8Array(32)))
    expect(() => { verifyBlock(cid, hello) }).toThrow(expect.objectContaining({ name: 'UnsupportedHashError' }))
  })

  it('behavior: the Kubo classic CID of "hello world\\n" is a dag-pb block with no links', async () => {
    const store = new MemoryBlockstore()
    const { cid } = await importBytes(hello, store, { profile: 'unixfs-v0-2015' })
    expect(cid.toString()).toBe('QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o')
    const bytes = await blockOf(store, cid)
    expect(() => { verifyBlock(cid, bytes) }).not.toThrow()
    expect(linksOf(cid, bytes)).toEqual([])
  })

  it('behavior: a 600 KiB file in 256 KiB chunks has a root with 3 links, each a stored block', async () => {
    const store = new MemoryBlockstore()
    const { cid } = await importBytes(new Uint8Array(600 * 1024).map((_, i) => i % 251), store, { profile: 'unixfs-v0-2015' })
    const links = linksOf(cid, await blockOf(store, cid))
    expect(links).toHaveLength(3) // ceil(600 / 256)
    for (const link of links) expect(await store.has(link)).toBe(true)
  })

  it('behavior: dag-cbor links are found at any depth, in order', () => {
    const [a, b, c] = ['a', 'b', 'c'].map(s => rawCid(new TextEncoder().encode(s)))
    const bytes = dagCbor.encode({ x: a, y: [b, { z: c, n: 1, s: 'text', raw: new Uint8Array(3) }] })
    const cid = CID.createV1(0x71, Digest.create(0x12, nobleSha256(bytes)))
    expect(linksOf(cid, bytes).map(String)).toEqual([a, b, c].map(String))
    expect(linksOf(rawCid(hello), hello)).toEqual([])
  })

  it('behavior: a codec we cannot read is refused with UnsupportedCodecError', () => {
    const cid = CID.createV1(0x0129, Digest.create(0x12, nobleSha256(hello))) // dag-json
    expect(() => linksOf(cid, hello)).toThrow(expect.objectContaining({ name: 'UnsupportedCodecError' }))
  })
})
