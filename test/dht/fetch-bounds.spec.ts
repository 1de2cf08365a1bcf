/**
 * Bounded work per fetched byte: identity links are never stored, a block may list at most
 * `maxLinksPerBlock` links, a fetch may discover at most `maxBlocks` blocks (on blocks that
 * arrive and on blocks already stored), identity digests are at most 128 bytes; and every
 * reader of the repo still reads identity-linked content.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as dagCbor from '@ipld/dag-cbor'
import * as dagPb from '@ipld/dag-pb'
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js'
import { FsBlockstore } from 'blockstore-fs'
import { UnixFS } from 'ipfs-unixfs'
import { CID } from 'multiformats/cid'
import * as Digest from 'multiformats/hashes/digest'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { countPbLinks } from '../../src/dht/blocks.ts'
import { FetchState } from '../../src/dht/fetch-state.ts'
import { ContentStore, initRepo, openRepo } from '../../src/store/index.ts'
import type { Repo } from '../../src/store/index.ts'

const RAW = 0x55
const bytesOf = (s: string): Uint8Array => new TextEncoder().encode(s)
const shaCid = (code: number, b: Uint8Array): CID => CID.createV1(code, Digest.create(0x12, nobleSha256(b)))
const identityCid = (b: Uint8Array): CID => CID.createV1(RAW, Digest.create(0x00, b))
const peer = { toString: () => 'p1' } as any

/** A dag-pb node listing `links` (no names, no data). */
function pbNode (links: CID[]): { cid: CID, bytes: Uint8Array } {
  const bytes = dagPb.encode(dagPb.prepare({ Links: links.map(Hash => ({ Hash })) }))
  return { cid: shaCid(dagPb.code, bytes), bytes }
}

/** `n` distinct identity links of 20 bytes each (the shape of the attack). */
function identityLinks (n: number): CID[] {
  return Array.from({ length: n }, (_, i) => identityCid(bytesOf(`identity-leaf-${String(i).padStart(6, '0')}`)))
}

/** Every block file under a blockstore-fs directory. */
async function blockFiles (dir: string): Promise<string[]> {
  const out: string[] = []
  for (const d of await readdir(dir)) for (const f of await readdir(join(dir, d))) out.push(f)
  return out
}

/** Requests every wanted block of `state` and answers it from `blocks`, until the fetch settles. */
async function serve (state: FetchState, blocks: Map<string, Uint8Array>): Promise<void> {
  while (!state.settled) {
    await vi.waitFor(() => { expect(state.hasWanted() || state.settled).toBe(true) })
    for (const cid of state.take('p1', 16)) {
      const bytes = blocks.get(cid.toString())
      if (bytes == null) throw new Error(`test asked for unknown block ${cid}`)
      await state.received(cid, bytes, peer).catch(() => {}) // a failure shows in state.finished
    }
  }
}

describe('fetch bounds', () => {
  let dir: string
  let blockstore: FsBlockstore
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'agora-fetch-bounds-'))
    // a plain blockstore-fs, not the repo's identity-aware one: the fetcher's own rule is tested
    blockstore = new FsBlockstore(join(dir, 'blocks'))
    await blockstore.open()
  })
  afterEach(async () => {
    await blockstore.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('default: a fetched block of 2,000 identity links stores one file (the block), none for the links', async () => {
    const root = pbNode(identityLinks(2000))
    const state = new FetchState({ blockstore, walk: true, maxBlockSize: 2 * 1024 * 1024, maxInFlight: 16 })
    state.discover([root.cid])
    await serve(state, new Map([[root.cid.toString(), root.bytes]]))
    await state.finished
    // only the root travelled; each identity link is its own block and needs neither request nor file
    expect(state.blocksFetched).toBe(1)
    expect(await blockFiles(join(dir, 'blocks'))).toHaveLength(1)
  })

  it('behavior: a block listing maxLinksPerBlock + 1 links fails the fetch with TooManyLinksError naming the limit and the config key, and is not stored; maxLinksPerBlock links pass', async () => {
    const root = pbNode(identityLinks(11))
    const state = new FetchState({ blockstore, walk: true, maxBlockSize: 1024 * 1024, maxInFlight: 16, maxLinksPerBlock: 10 })
    state.discover([root.cid])
    await serve(state, new Map([[root.cid.toString(), root.bytes]]))
    await expect(state.finished).rejects.toMatchObject({ name: 'TooManyLinksError', message: expect.stringMatching(/11 links, over the limit of 10 \(config fetch\.maxLinksPerBlock\)/) })
    expect(await blockstore.has(root.cid)).toBe(false)
    // fetching only that block (fetchBlock: no walk) refuses it too
    const single = new FetchState({ blockstore, walk: false, maxBlockSize: 1024 * 1024, maxInFlight: 16, maxLinksPerBlock: 10 })
    single.discover([root.cid])
    await serve(single, new Map([[root.cid.toString(), root.bytes]]))
    await expect(single.finished).rejects.toMatchObject({ name: 'TooManyLinksError' })
    expect(await blockstore.has(root.cid)).toBe(false)
    // the limit itself is allowed: 10 links of a limit of 10
    const exact = pbNode(identityLinks(10))
    const allowed = new FetchState({ blockstore, walk: true, maxBlockSize: 1024 * 1024, maxInFlight: 16, maxLinksPerBlock: 10 })
    allowed.discover([exact.cid])
    await serve(allowed, new Map([[exact.cid.toString(), exact.bytes]]))
    await expect(allowed.finished).resolves.toBeUndefined()
  })

  it('behavior: a dag-cbor block with more CIDs than the limit (nested) fails with TooManyLinksError', async () => {
    // 3 CIDs at the top, 3 in a nested list, 1 in a map: 7 links over a limit of 6
    const leaves = Array.from({ length: 7 }, (_, i) => shaCid(RAW, bytesOf(`leaf ${i}`)))
    const bytes = dagCbor.encode({ a: leaves.slice(0, 3), b: [[leaves.slice(3, 6)]], c: { d: leaves[6] } })
    const cid = shaCid(dagCbor.code, bytes)
    const state = new FetchState({ blockstore, walk: true, maxBlockSize: 1024 * 1024, maxInFlight: 16, maxLinksPerBlock: 6 })
    state.discover([cid])
    await serve(state, new Map([[cid.toString(), bytes]]))
    await expect(state.finished).rejects.toMatchObject({ name: 'TooManyLinksError' })
  })

  it('behavior: a DAG of more blocks than maxBlocks fails the fetch with FetchTooLargeError; exactly maxBlocks completes', async () => {
    const leaves = Array.from({ length: 5 }, (_, i) => bytesOf(`leaf ${i}`))
    const root = pbNode(leaves.map(l => shaCid(RAW, l)))
    const blocks = new Map([[root.cid.toString(), root.bytes], ...leaves.map(l => [shaCid(RAW, l).toString(), l] as [string, Uint8Array])])
    // the root and its 5 leaves are 6 blocks: a limit of 5 refuses the DAG
    const small = new FetchState({ blockstore, walk: true, maxBlockSize: 1024, maxInFlight: 16, maxBlocks: 5 })
    small.discover([root.cid])
    await serve(small, blocks)
    await expect(small.finished).rejects.toMatchObject({ name: 'FetchTooLargeError', message: expect.stringContaining('more than 5 blocks, over the limit of one fetch (config fetch.maxBlocks)') })
    // and a limit of 6 takes it whole (the root is stored already: the walk over stored blocks counts it too)
    const exact = new FetchState({ blockstore, walk: true, maxBlockSize: 1024, maxInFlight: 16, maxBlocks: 6 })
    exact.discover([root.cid])
    await serve(exact, blocks)
    await exact.finished
    for (const l of leaves) expect(await blockstore.has(shaCid(RAW, l))).toBe(true)
  })

  it('behavior: a resumed fetch whose stored block lists too many links fails with TooManyLinksError, requesting nothing', async () => {
    const root = pbNode(identityLinks(11))
    await blockstore.put(root.cid, root.bytes) // stored by an earlier fetch, before the limit was lowered
    const state = new FetchState({ blockstore, walk: true, maxBlockSize: 1024 * 1024, maxInFlight: 16, maxLinksPerBlock: 10 })
    state.discover([root.cid])
    await expect(state.finished).rejects.toMatchObject({ name: 'TooManyLinksError' })
    expect(state.wantedCount).toBe(0)
  })

  it('behavior: an identity link of 129 bytes fails the fetch with IdentityTooLargeError; one of 128 bytes is walked', async () => {
    const ok = pbNode([identityCid(new Uint8Array(128).fill(1))])
    const state = new FetchState({ blockstore, walk: true, maxBlockSize: 1024, maxInFlight: 16 })
    state.discover([ok.cid])
    await serve(state, new Map([[ok.cid.toString(), ok.bytes]]))
    await state.finished

    const bad = pbNode([identityCid(new Uint8Array(129).fill(1))])
    const refused = new FetchState({ blockstore, walk: true, maxBlockSize: 1024, maxInFlight: 16 })
    refused.discover([bad.cid])
    await serve(refused, new Map([[bad.cid.toString(), bad.bytes]]))
    await expect(refused.finished).rejects.toMatchObject({ name: 'IdentityTooLargeError' })
  })

  it('default: countPbLinks counts the Links of a dag-pb block without decoding it (data and names included)', () => {
    const links = identityLinks(300).map((Hash, i) => ({ Hash, Name: `entry-${i}`, Tsize: i }))
    const bytes = dagPb.encode(dagPb.prepare({ Data: new UnixFS({ type: 'directory' }).marshal(), Links: links }))
    expect(countPbLinks(bytes)).toBe(300)
  })
})

describe('identity blocks in the repo', () => {
  let dir: string
  let repo: Repo
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'agora-identity-'))
    await initRepo(join(dir, 'repo'))
    repo = await openRepo(join(dir, 'repo'))
  })
  afterEach(async () => {
    await repo.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('default: putting an identity block writes no file; a directory whose small file is an identity CID is listed, catted and read as a block', async () => {
    const hello = bytesOf('hello identity')
    const small = identityCid(hello)
    const bytes = dagPb.encode(dagPb.prepare({ Data: new UnixFS({ type: 'directory' }).marshal(), Links: [{ Hash: small, Name: 'small.txt', Tsize: hello.byteLength }] }))
    const dirCid = shaCid(dagPb.code, bytes)
    await repo.blockstore.put(small, hello) // what a `dag put`, Bitswap or an import would do
    await repo.blockstore.put(dirCid, bytes)
    // the directory is the only block with a file of its own
    expect(await blockFiles(join(dir, 'repo', 'blocks'))).toHaveLength(1)
    expect(await repo.blockstore.has(small)).toBe(true)

    const store = new ContentStore(repo)
    const entries = []
    for await (const e of store.ls(dirCid)) entries.push({ name: e.name, cid: e.cid.toString(), size: e.size })
    expect(entries).toEqual([{ name: 'small.txt', cid: small.toString(), size: hello.byteLength }])
    const chunks: Uint8Array[] = []
    for await (const c of store.cat(dirCid, 'small.txt')) chunks.push(c)
    expect(Buffer.concat(chunks).toString()).toBe('hello identity')
    expect(Buffer.from(await store.block(small)).toString()).toBe('hello identity')
    const out = join(dir, 'out')
    await store.get(dirCid, '', out)
    expect(await readdir(out)).toEqual(['small.txt'])
  })
})
