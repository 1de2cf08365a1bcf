/**
 * The market service on a real node (repo on disk, libp2p on 127.0.0.1): publishing checks the
 * listing before importing anything, publishes paid goods as ciphertext only with the key kept
 * beside the repo, refuses to list an item twice, and its index survives a restart.
 */
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { amountDue, createListing, decryptBytes } from '../../src/market/index.ts'
import { openModelParams, SELLER_SECRET } from './helpers.ts'
import { MARKET, marketService } from '../../src/market/service.ts'
import { createNode } from '../../src/node.ts'
import type { MarketService, MarketServiceInit } from '../../src/market/service.ts'
import type { AgoraNode } from '../../src/node.ts'

const dirs: string[] = []
const nodes: AgoraNode[] = []
afterEach(async () => {
  for (const n of nodes.splice(0)) await n.stop()
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true })
})

async function start (repo: string, init: MarketServiceInit = {}): Promise<{ node: AgoraNode, market: MarketService }> {
  const node = await createNode({ repo, config: { addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] }, swarm: { network: 'lan' } }, services: [marketService(init)] })
  nodes.push(node)
  const market = node.services.require(MARKET)
  await vi.waitFor(() => { expect(market.state).toBe('ready') })
  return { node, market }
}

async function concat (source: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = []
  for await (const p of source) parts.push(p)
  return new Uint8Array(Buffer.concat(parts))
}

describe('market service', { timeout: 60_000 }, () => {
  it('default: a paid listing publishes only ciphertext, keeps its key, and the index survives a restart', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'agora-market-svc-'))
    dirs.push(dir)
    const file = join(dir, 'weights.bin')
    const plain = new Uint8Array(100_000).map((_, i) => i % 251)
    await writeFile(file, plain)
    const repo = join(dir, 'repo')
    let { node, market } = await start(repo)
    const r = await market.publisher.publish({ path: file, kind: 'model', name: 'weights', license: 'MIT', price: 3n })
    const rec = r.listing.record
    expect(rec.access).toBe('paid')
    const stored = await concat(node.store.cat(rec.root))
    expect(Buffer.from(stored.subarray(0, 8)).toString()).toBe('AGORAENC')
    expect(Buffer.from(stored).indexOf(Buffer.from(plain.subarray(1000, 1064)))).toBe(-1)
    const key = await market.keys.get(rec.keyCommitment as Uint8Array)
    expect(await decryptBytes(key, stored)).toEqual(plain)
    // the staging directory of the encryption is gone
    expect(await readdir(join(repo, 'market-staging'))).toEqual([])
    await expect(market.publisher.publish({ path: file, kind: 'model', name: 'weights', license: 'MIT' })).rejects.toMatchObject({ name: 'PublishError' })
    // priced per GiB: 100,000 bytes is one started GiB, so a purchase costs the price once
    const perGib = await market.publisher.publish({ path: file, kind: 'model', name: 'weights-per-gib', license: 'MIT', price: 3n, unit: 'gib' })
    expect(perGib.listing.record.unit).toBe('gib')
    expect(amountDue(perGib.listing.record)).toBe(3n)

    await node.stop()
    nodes.splice(0);
    ({ market } = await start(repo))
    expect((await market.index.listMine(market.hotkey)).map(l => l.id.toString()).sort()).toEqual([r.listing.id.toString(), perGib.listing.id.toString()].sort())
  })

  it('behavior: a listing that reached a connected peer without gossip arrives by the periodic catalogue sync', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'agora-market-svc-'))
    dirs.push(dir)
    const a = await start(join(dir, 'a'), { syncInterval: 200 })
    const b = await start(join(dir, 'b'), { syncInterval: 200 })
    await b.node.connect(a.node.network.libp2p.getMultiaddrs()[0].toString())
    await vi.waitFor(() => { expect(b.market.pulls.peers).toBeGreaterThan(0) }) // the pull on connecting
    // A takes a listing into its index without announcing it (as if B had missed its gossip);
    // B pulled A's catalogue when they connected, before this: only a later pull brings it
    const now = Date.now()
    const bytes = createListing(openModelParams({ name: 'missed-gossip', created: now, expires: now + 86_400_000 }), SELLER_SECRET).bytes
    await a.market.index.add(bytes)
    await vi.waitFor(async () => { expect((await b.market.index.search('missed-gossip')).map(h => h.listing.record.name)).toEqual(['missed-gossip']) }, { timeout: 10_000, interval: 100 })
    // later pulls from A ask from the cursor of the earlier one: nothing is sent again (the pull
    // that brought the listing may still be reading its trailer: one more pull settles that)
    await b.market.pullCatalogue(a.node.network.libp2p.peerId)
    const again = await b.market.pullCatalogue(a.node.network.libp2p.peerId)
    expect(again.received).toBe(0)
  })

  it('behavior: an invalid listing is refused before its content is imported', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'agora-market-svc-'))
    dirs.push(dir)
    const file = join(dir, 'data.bin')
    await writeFile(file, 'some data')
    const { node, market } = await start(join(dir, 'repo'))
    await expect(market.publisher.publish({ path: file, kind: 'dataset', name: 'd', license: 'not-a-licence' })).rejects.toMatchObject({ name: 'UnknownLicenseError' })
    await expect(market.publisher.publish({ path: file, kind: 'dataset', name: '../bad name', license: 'MIT' })).rejects.toMatchObject({ name: 'InvalidListingError' })
    const pins = []
    for await (const p of node.store.pins.ls()) pins.push(p)
    expect(pins).toEqual([])
  })
})
