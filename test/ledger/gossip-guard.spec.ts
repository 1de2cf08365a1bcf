/**
 * The ledger's gossip topics are guarded: an attacker peer M, connected to follower B only,
 * publishes junk on the block, transaction and refusal topics. B's validators reject it, so B
 * scores M negative (past the graylist threshold) and never forwards the junk to C, which is
 * connected only to B. A stale refusal notice, genuinely signed by the authority, is ignored.
 * Real libp2p peers over TCP on 127.0.0.1, in one process.
 */
import { MemoryDatastore } from 'datastore-core'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { sealBlock, txRoot } from '../../src/ledger/block.ts'
import { Ledger, signTx, yumaEpoch } from '../../src/ledger/index.ts'
import { signRefusal } from '../../src/ledger/refusal.ts'
import { TAO, testGenesis, testKey, testLedger } from './helpers.ts'
import { cleanUp, peer, replicate } from './replication-peers.ts'
import type { GossipSub, Message } from '@libp2p/gossipsub'

const genesis = testGenesis({ alice: 100n * TAO })
afterEach(cleanUp)

async function follower (): Promise<Ledger> {
  const l = new Ledger({ datastore: new MemoryDatastore(), genesis, epoch: yumaEpoch })
  await l.start()
  return l
}

describe('ledger gossip guard', { timeout: 60_000 }, () => {
  it('behavior: junk on each ledger topic makes the sender\'s score negative and is not forwarded', async () => {
    const [na, nb, nc, nm] = [await peer(), await peer(), await peer(), await peer()]
    // A - B - C, and the attacker M connected to B only
    await nb.connect(na.addresses()[0])
    await nc.connect(nb.addresses()[0])
    await nm.connect(nb.addresses()[0])
    const a = await testLedger(genesis)
    const [b, c] = [await follower(), await follower()]
    await replicate(na, a)
    const rb = await replicate(nb, b)
    const rc = await replicate(nc, c)
    for (let i = 0; i < 5; i++) await a.produceBlock()
    await vi.waitFor(() => { expect(c.status().height).toBe(5) }, { timeout: 20_000, interval: 50 })

    const topics = ['blocks', 'txs', 'refused'].map(t => `/agora/ledger/${genesis.chainId}/${t}/1`)
    const pm = nm.libp2p.services.pubsub as GossipSub
    for (const t of topics) pm.subscribe(t)
    await vi.waitFor(() => { for (const t of topics) expect(pm.getSubscribers(t).map(String)).toContain(nb.libp2p.peerId.toString()) }, { timeout: 20_000, interval: 100 })

    // what C hears on the ledger topics, and the notices B and C act on
    const heardAtC: Message[] = []
    nc.libp2p.services.pubsub.addEventListener('message', e => { if (topics.includes(e.detail.topic)) heardAtC.push(e.detail) })
    const noticesActedOn: unknown[] = []
    for (const r of [rb, rc]) r.events.addEventListener('tx-refused', e => { noticesActedOn.push((e as CustomEvent).detail) })

    const mallory = testKey('mallory')
    const alice = testKey('alice')
    const junk: Array<[string, Uint8Array]> = [
      // garbage, then a block for the next height sealed by mallory instead of the authority
      [topics[0], new Uint8Array(300).fill(0xa5)],
      [topics[0], sealBlock({ chainId: genesis.chainId, height: 6, parent: new Uint8Array(32), stateRoot: new Uint8Array(32), txRoot: txRoot([]), timestamp: Date.now(), txCount: 0 }, [], mallory.secretKey).bytes],
      [topics[0], new Uint8Array(301).fill(0x5a)],
      // garbage, a transaction for another chain, a transaction whose signature is not alice's
      [topics[1], new Uint8Array(200).fill(0x11)],
      [topics[1], signTx({ chainId: 'another-chain', signer: alice.address, nonce: 0, body: { kind: 'transfer', to: mallory.address, amount: 1n } }, alice.secretKey).bytes],
      [topics[1], signTx({ chainId: genesis.chainId, signer: alice.address, nonce: 0, body: { kind: 'transfer', to: mallory.address, amount: 1n } }, mallory.secretKey).bytes],
      // notices signed by mallory, and one of another chain
      [topics[2], signRefusal({ chainId: genesis.chainId, tx: 'ab'.repeat(32), error: 'InsufficientBalanceError', message: 'x', height: 5 }, mallory.secretKey)],
      [topics[2], signRefusal({ chainId: genesis.chainId, tx: 'cd'.repeat(32), error: 'InsufficientBalanceError', message: 'x', height: 5 }, mallory.secretKey)],
      [topics[2], signRefusal({ chainId: 'another-chain', tx: 'ef'.repeat(32), error: 'InsufficientBalanceError', message: 'x', height: 5 }, testKey('authority').secretKey)]
    ]
    for (const [topic, data] of junk) await pm.publish(topic, data)

    // three rejected messages on each of three topics: P4 is −10 · count² per topic (topic
    // weight 1), about −90 each before decay, so B's score of M goes past the graylist (−80)
    const pb = nb.libp2p.services.pubsub as GossipSub & { getScore: (peer: string) => number }
    await vi.waitFor(() => { expect(pb.getScore(nm.libp2p.peerId.toString())).toBeLessThan(-80) }, { timeout: 10_000, interval: 50 })

    // a genuine notice of the authority, but 5 blocks old at B's head 5 (allowed: 3), sent by the
    // authority's own peer (M is graylisted by now, so B would not even look at it from M): ignored
    await na.libp2p.services.pubsub.publish(topics[2], signRefusal({ chainId: genesis.chainId, tx: '12'.repeat(32), error: 'InsufficientBalanceError', message: 'old', height: 0 }, testKey('authority').secretKey))
    // a valid block after the junk still reaches C through B: the guard holds back junk only
    await a.produceBlock()
    await vi.waitFor(() => { expect(c.status().height).toBe(6) }, { timeout: 20_000, interval: 50 })
    const junkBytes = new Set(junk.map(([, d]) => Buffer.from(d).toString('hex')))
    expect(heardAtC.filter(m => junkBytes.has(Buffer.from(m.data).toString('hex')))).toEqual([])
    expect(heardAtC.filter(m => m.topic === topics[2])).toEqual([])
    expect(noticesActedOn).toEqual([])
  })
})
