/**
 * Fraud reports between real libp2p peers on 127.0.0.1: seller node A holds the ciphertext of a
 * paid listing that was encrypted with another key than the one it commits to. Buyer B reports
 * it; C, which never held the content, checks the report by fetching the chunk it names from A,
 * and marks the listing and its publisher. A false report about an honest listing is refused by
 * C, and gossiping it costs B score at C.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createListing, encryptBytes, generateContentKey } from '../../src/market/index.ts'
import { createFraudReport } from '../../src/market/fraud.ts'
import { FRAUD_TOPIC } from '../../src/market/gossip.ts'
import { MARKET, marketService } from '../../src/market/service.ts'
import { createNode } from '../../src/node.ts'
import { BUYER_SECRET, SELLER_SECRET, openModelParams, paidFileParams, rawCid } from './helpers.ts'
import type { MarketService } from '../../src/market/service.ts'
import type { AgoraNode } from '../../src/node.ts'
import type { GossipSub } from '@libp2p/gossipsub'

const dirs: string[] = []
const nodes: AgoraNode[] = []
afterEach(async () => {
  for (const n of nodes.splice(0)) await n.stop()
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true })
})

async function marketNode (): Promise<{ node: AgoraNode, market: MarketService, dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'agora-market-fraud-'))
  dirs.push(dir)
  const node = await createNode({ repo: join(dir, 'repo'), config: { addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] }, swarm: { network: 'lan' } }, services: [marketService()] })
  nodes.push(node)
  const market = node.services.require(MARKET)
  await vi.waitFor(() => { expect(market.state).toBe('ready') })
  return { node, market, dir }
}

const CHUNK = 4096
// 700,000 bytes in 4 KiB chunks: 171 chunks; the ciphertext spans several UnixFS blocks
const PLAIN = new Uint8Array(700_000).map((_, i) => (i * 131 + 7) & 0xff)

describe('fraud reports over the network', { timeout: 90_000 }, () => {
  it('security: a buyer\'s report of a listing that does not decrypt with its committed key is checked by a peer that fetches the chunk, and marks the listing and its seller; a false report is refused and costs its sender', async () => {
    const [a, b, c] = [await marketNode(), await marketNode(), await marketNode()]
    const addrA = a.node.network.libp2p.getMultiaddrs()[0].toString()
    await b.node.connect(addrA)
    await c.node.connect(addrA)
    await c.node.connect(b.node.network.libp2p.getMultiaddrs()[0].toString())

    const committed = generateContentKey()
    const now = Date.now()
    const paid = async (name: string, key: Uint8Array): Promise<ReturnType<typeof createListing>> => {
      const file = join(a.dir, `${name}.enc`)
      await writeFile(file, await encryptBytes(key, PLAIN, { chunkSize: CHUNK }))
      const { cid } = await a.node.add(file)
      return createListing(paidFileParams({ name, cid, size: PLAIN.length, committed, chunkSize: CHUNK, created: now, expires: now + 86_400_000 }), SELLER_SECRET)
    }
    // the fraud: encrypted with a key nobody is given; the honest one: with the committed key
    const fraud = await paid('fraud', generateContentKey())
    const honest = await paid('honest', committed)
    const other = createListing(openModelParams({ name: 'free-one', root: rawCid('free'), created: now, expires: now + 86_400_000 }), SELLER_SECRET)
    for (const n of [a, b, c]) for (const l of [fraud, honest, other]) await n.market.ingest(l.bytes)
    const subscribed = (n: { node: AgoraNode }, peer: AgoraNode): string[] => (n.node.network.libp2p.services.pubsub as GossipSub).getSubscribers(FRAUD_TOPIC).map(String).filter(p => p === peer.peerId)
    await vi.waitFor(() => { expect(subscribed(b, c.node)).toHaveLength(1) }, { timeout: 20_000, interval: 100 })

    // chunk 100 (bytes 409,600.. of the plaintext) fails: B checks it itself and gossips the report
    const report = createFraudReport({ listing: fraud, key: committed, file: 0, chunk: 100 }, BUYER_SECRET)
    const sent = await b.market.reportFraud(report)
    expect(sent.gossip).toBeGreaterThan(0)
    await vi.waitFor(() => { expect(c.market.fraud.has(fraud.id)).toBe(true) }, { timeout: 30_000, interval: 100 })
    expect(c.market.view(fraud).fraud).toEqual({ listing: true, publisher: true })
    // the seller's other listings are marked through their publisher
    expect(c.market.view(other).fraud).toEqual({ listing: false, publisher: true })
    expect(c.market.fraud.get(fraud.id)?.id.equals(report.id)).toBe(true)

    // a report about the honest listing, with the committed key: its chunk decrypts, so it is false
    const lie = createFraudReport({ listing: honest, key: committed, file: 0, chunk: 3 }, BUYER_SECRET)
    await expect(c.market.receiveReport(lie.bytes, 'someone')).rejects.toMatchObject({ name: 'FraudReportError' })
    // gossiped by B (its own messages skip its validator): C rejects it and B's score at C drops
    const pc = c.node.network.libp2p.services.pubsub as GossipSub & { getScore: (peer: string) => number }
    await b.node.network.libp2p.services.pubsub.publish(FRAUD_TOPIC, lie.bytes)
    await vi.waitFor(() => { expect(pc.getScore(b.node.peerId)).toBeLessThan(0) }, { timeout: 30_000, interval: 100 })
    expect(c.market.fraud.has(honest.id)).toBe(false)
    expect(c.market.view(honest).fraud.listing).toBe(false)
  })
})
