/**
 * The listing topic is guarded like the ledger's: an attacker peer M, connected to a market
 * node B only, publishes junk and forged listings on it. B's validator rejects them and the
 * topic's score parameters make each rejection count, so B scores M past the graylist
 * threshold, keeps none of it, and does not forward it to C, connected to B only. A genuine
 * listing after the junk still reaches C through B. Real libp2p peers on 127.0.0.1.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createListing } from '../../src/market/index.ts'
import { MARKET_TOPIC } from '../../src/market/gossip.ts'
import { MARKET, marketService } from '../../src/market/service.ts'
import { createNode } from '../../src/node.ts'
import { cleanUp, peer } from '../ledger/replication-peers.ts'
import { OTHER_SECRET, SELLER_SECRET, openModelParams } from './helpers.ts'
import type { MarketService } from '../../src/market/service.ts'
import type { AgoraNode } from '../../src/node.ts'
import type { GossipSub, Message } from '@libp2p/gossipsub'

const dirs: string[] = []
const nodes: AgoraNode[] = []
afterEach(async () => {
  await cleanUp()
  for (const n of nodes.splice(0)) await n.stop()
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true })
})

async function marketNode (): Promise<{ node: AgoraNode, market: MarketService }> {
  const dir = await mkdtemp(join(tmpdir(), 'agora-market-guard-'))
  dirs.push(dir)
  const node = await createNode({ repo: dir, config: { addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] }, swarm: { network: 'lan' } }, services: [marketService()] })
  nodes.push(node)
  const market = node.services.require(MARKET)
  await vi.waitFor(() => { expect(market.state).toBe('ready') })
  return { node, market }
}

const listing = (name: string, key = SELLER_SECRET): Uint8Array => {
  const now = Date.now()
  return createListing(openModelParams({ name, created: now, expires: now + 86_400_000 }), key).bytes
}

describe('market gossip guard', { timeout: 60_000 }, () => {
  it('behavior: junk and forged listings make the sender\'s score negative and are not forwarded', async () => {
    const b = await marketNode()
    const c = await marketNode()
    const m = await peer()
    const addrB = b.node.network.libp2p.getMultiaddrs()[0]
    await c.node.connect(addrB.toString())
    await m.libp2p.dial(addrB)
    const pm = m.libp2p.services.pubsub as GossipSub
    pm.subscribe(MARKET_TOPIC)
    await vi.waitFor(() => { expect(pm.getSubscribers(MARKET_TOPIC).map(String)).toContain(b.node.peerId.toString()) }, { timeout: 20_000, interval: 100 })

    const heardAtC: Message[] = []
    c.node.network.libp2p.services.pubsub.addEventListener('message', e => { if (e.detail.topic === MARKET_TOPIC) heardAtC.push(e.detail) })

    // a forgery: a genuine listing of the seller with one byte of its signature changed (the
    // envelope ends with the 64-byte signature), and one whose name was changed after signing
    const forged = listing('forged')
    forged[forged.length - 1] ^= 1
    const renamed = Buffer.from(listing('renamed-aaa'))
    const at = renamed.indexOf('renamed-aaa')
    renamed.write('renamed-bbb', at)
    const junk = [new Uint8Array(300).fill(0xa5), forged, new Uint8Array(renamed), new Uint8Array(500).fill(0x5a)]
    for (const data of junk) await pm.publish(MARKET_TOPIC, data)

    // four rejected messages: P4 is −10 · count² (topic weight 1), −160 before decay, past the
    // graylist threshold (−80); without score parameters for the topic it would stay at 0
    const pb = b.node.network.libp2p.services.pubsub as GossipSub & { getScore: (peer: string) => number }
    await vi.waitFor(() => { expect(pb.getScore(m.libp2p.peerId.toString())).toBeLessThan(-80) }, { timeout: 10_000, interval: 50 })

    // a genuine listing from C's other neighbour B still arrives: the guard holds back junk only
    const genuine = listing('genuine', OTHER_SECRET)
    await b.market.ingest(genuine)
    await b.node.network.libp2p.services.pubsub.publish(MARKET_TOPIC, genuine)
    await vi.waitFor(() => { expect(heardAtC.map(h => Buffer.from(h.data).toString('hex'))).toContain(Buffer.from(genuine).toString('hex')) }, { timeout: 20_000, interval: 50 })
    const junkHex = new Set(junk.map(d => Buffer.from(d).toString('hex')))
    expect(heardAtC.filter(h => junkHex.has(Buffer.from(h.data).toString('hex')))).toEqual([])
    expect(await b.market.index.search('forged')).toEqual([])
    expect(await b.market.index.search('renamed')).toEqual([])
  })
})
