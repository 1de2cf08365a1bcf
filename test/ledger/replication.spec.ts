/**
 * Replication between three real libp2p peers over TCP on 127.0.0.1 (in one process): a
 * transaction submitted at a follower reaches the authority, blocks reach every peer by gossip
 * (C is connected only to B), a peer that was stopped catches up over the blocks protocol, and
 * a forged block is refused.
 */
import { MemoryDatastore } from 'datastore-core'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { sealBlock, txRoot } from '../../src/ledger/block.ts'
import { Ledger, LedgerReplication, signTx, yumaEpoch } from '../../src/ledger/index.ts'
import { TAO, testGenesis, testKey, testLedger } from './helpers.ts'
import { cleanUp, onCleanUp, peer, replicate } from './replication-peers.ts'
import type { Network } from '../../src/dht/index.ts'
import { openRefusal, signRefusal } from '../../src/ledger/refusal.ts'
import { TxTracker } from '../../src/ledger/tx-tracker.ts'
import type { RefusedBlock } from '../../src/ledger/index.ts'
import type { RefusalNotice } from '../../src/ledger/refusal.ts'

const genesis = testGenesis({ alice: 100n * TAO })
const [alice, bob] = ['alice', 'bob'].map(testKey)
afterEach(cleanUp)

async function follower (datastore = new MemoryDatastore(), g = genesis): Promise<Ledger> {
  const l = new Ledger({ datastore, genesis: g, epoch: yumaEpoch })
  await l.start()
  return l
}

/** An authority `a` and a follower `b` on two connected peers, replicating genesis `g`. */
async function authorityAndFollower (g: typeof genesis): Promise<{ a: Ledger, b: Ledger, rb: LedgerReplication, nb: Network }> {
  const [na, nb] = [await peer(), await peer()]
  await nb.connect(na.addresses()[0])
  const a = await testLedger(g)
  const b = await follower(new MemoryDatastore(), g)
  await replicate(na, a)
  return { a, b, rb: await replicate(nb, b), nb }
}

const transfer = (nonce: number, amount: bigint): Uint8Array =>
  signTx({ chainId: genesis.chainId, signer: alice.address, nonce, body: { kind: 'transfer', to: bob.address, amount } }, alice.secretKey).bytes

describe('ledger replication', { timeout: 60_000 }, () => {
  it('default: txs reach the authority, blocks reach everyone, a stopped peer catches up, forged blocks are refused', async () => {
    const [na, nb, nc] = [await peer(), await peer(), await peer()]
    await nb.connect(na.addresses()[0])
    await nc.connect(nb.addresses()[0])
    const a = await testLedger(genesis)
    const b = await follower()
    const cStore = new MemoryDatastore()
    let c = await follower(cStore)
    await replicate(na, a)
    const rb = await replicate(nb, b)
    let rc = new LedgerReplication({ libp2p: nc.libp2p, ledger: c }, { catchUpIntervalMs: 300 })
    await rc.start()
    const topic = `/agora/ledger/${genesis.chainId}/txs/1`
    await vi.waitFor(() => {
      expect(na.libp2p.services.pubsub.getSubscribers(topic).length).toBeGreaterThan(0)
      expect(nb.libp2p.services.pubsub.getSubscribers(topic).length).toBe(2)
    }, { timeout: 20_000, interval: 100 })

    // a transfer submitted at B lands in the authority's next block
    await rb.submit(transfer(0, 5n * TAO))
    await vi.waitFor(() => expect(a.status().pending).toBe(1), { timeout: 20_000, interval: 50 })
    await a.produceBlock()
    await vi.waitFor(() => {
      expect(b.status().height).toBe(1)
      expect(c.status().height).toBe(1)
    }, { timeout: 20_000, interval: 50 })
    expect(b.stateRoot()).toBe(a.stateRoot())
    expect(c.stateRoot()).toBe(a.stateRoot())
    expect(c.balance(bob.address)).toBe(5n * TAO)

    // C stops; 20 blocks later it restarts on the same store and catches up
    await rc.stop()
    await c.stop()
    for (let i = 0; i < 20; i++) {
      await a.submit(transfer(1 + i, 1n))
      await a.produceBlock()
    }
    c = await follower(cStore)
    expect(c.status().height).toBe(1)
    rc = new LedgerReplication({ libp2p: nc.libp2p, ledger: c }, { catchUpIntervalMs: 300 })
    await rc.start()
    onCleanUp(async () => { await rc.stop(); await c.stop() })
    await vi.waitFor(() => expect(c.status().height).toBe(21), { timeout: 20_000, interval: 50 })
    expect(c.stateRoot()).toBe(a.stateRoot())
    expect(b.stateRoot()).toBe(a.stateRoot())

    // a block for the next height signed by someone else is refused everywhere it arrives
    const refused: RefusedBlock[] = []
    rc.events.addEventListener('refused', e => { refused.push((e as CustomEvent<RefusedBlock>).detail) })
    const next = (await a.getBlock(21))!
    const forged = sealBlock({ ...next.header, height: 22, parent: Uint8Array.from(Buffer.from(a.status().hash, 'hex')), txRoot: txRoot([]), txCount: 0, timestamp: next.header.timestamp + 1 }, [], testKey('mallory').secretKey)
    await nb.libp2p.services.pubsub.publish(`/agora/ledger/${genesis.chainId}/blocks/1`, forged.bytes)
    await vi.waitFor(() => expect(refused.map(r => r.error)).toContain('InvalidBlockError'), { timeout: 20_000, interval: 50 })
    expect(c.status().height).toBe(21)
    expect(c.stateRoot()).toBe(a.stateRoot())
  })

  it('behavior: a burst of gossiped transactions reaches the authority\'s block whole, in order', async () => {
    const names = Array.from({ length: 30 }, (_, i) => `burst${i}`)
    const g = testGenesis(Object.fromEntries(names.map(n => [n, 10n * TAO])))
    const senders = names.map(testKey)
    const { a, b, rb, nb } = await authorityAndFollower(g)
    const topic = `/agora/ledger/${g.chainId}/txs/1`
    await vi.waitFor(() => expect(nb.libp2p.services.pubsub.getSubscribers(topic).length).toBe(1), { timeout: 20_000, interval: 100 })
    // 300 transfers, 10 per sender, each sender's in nonce order: any reordering or loss at the
    // authority would refuse the sender's later ones
    const txs = Array.from({ length: 300 }, (_, i) => {
      const k = senders[i % 30]
      return signTx({ chainId: g.chainId, signer: k.address, nonce: Math.floor(i / 30), body: { kind: 'transfer', to: bob.address, amount: BigInt(i + 1) } }, k.secretKey).bytes
    })
    await Promise.all(txs.map(async t => rb.submit(t)))
    await vi.waitFor(() => expect(a.status().pending).toBe(300), { timeout: 20_000, interval: 50 })
    const block = await a.produceBlock()
    expect(block.txs.map(t => Buffer.from(t).toString('hex')).sort()).toEqual(txs.map(t => Buffer.from(t).toString('hex')).sort())
    expect(a.balance(bob.address)).toBe(300n * 301n / 2n)
    await vi.waitFor(() => expect(b.status().height).toBe(1), { timeout: 20_000, interval: 50 })
    expect(b.stateRoot()).toBe(a.stateRoot())
    expect(b.pendingTransactions()).toHaveLength(0)
  })

  it('behavior: a transaction the authority refuses leaves the follower\'s pool and its waiter fails with the authority\'s error', async () => {
    const g = testGenesis({ alice: 5000n * TAO, carol: 100n * TAO }, {
      networkMinLockCost: '100000000000',
      newSubnet: { tempo: 1000, maxRegistrationsPerBlock: 3, targetRegistrationsPerInterval: 3 }
    })
    const carol = testKey('carol')
    const hot = testKey('contested-hotkey').address
    const { a, b, rb, nb } = await authorityAndFollower(g)
    const tracker = new TxTracker(b, 60_000)
    tracker.start()
    onCleanUp(async () => { tracker.stop() })
    rb.events.addEventListener('tx-refused', (e) => { const n = (e as CustomEvent<RefusalNotice>).detail; tracker.refuse(n.tx, n.error, n.message) })
    const topic = `/agora/ledger/${g.chainId}/refused/1`
    await vi.waitFor(() => { expect(nb.libp2p.services.pubsub.getSubscribers(topic).length).toBe(1) }, { timeout: 20_000, interval: 100 })
    const sign = (who: typeof alice, nonce: number, body: Parameters<typeof signTx>[0]['body']): Uint8Array =>
      signTx({ chainId: g.chainId, signer: who.address, nonce, body }, who.secretKey).bytes

    // subnet 1 exists everywhere
    await a.submit(sign(alice, 0, { kind: 'registerNetwork' }))
    await a.produceBlock()
    await vi.waitFor(() => { expect(b.status().height).toBe(1) }, { timeout: 20_000, interval: 50 })
    // the authority takes alice's registration of the hotkey; B has not seen it (no block yet),
    // so carol's registration of the same hotkey is valid at B, and AlreadyRegistered at A
    await a.submit(sign(alice, 1, { kind: 'burnedRegister', netuid: 1, hotkey: hot }))
    const { hash } = await rb.submit(sign(carol, 0, { kind: 'burnedRegister', netuid: 1, hotkey: hot }))
    expect(b.pendingTransactions()).toHaveLength(1)
    await expect(tracker.wait(hash)).rejects.toMatchObject({ name: 'TxRefusedError', reason: 'AlreadyRegisteredError' })
    expect(b.pendingTransactions()).toHaveLength(0)
    // and nothing of carol's reached the authority's block
    const block = await a.produceBlock()
    expect(block.txs).toHaveLength(1)
    await vi.waitFor(() => { expect(b.stateRoot()).toBe(a.stateRoot()) }, { timeout: 20_000, interval: 50 })
  })

  it('behavior: a refusal notice not signed by the authority, of another chain, or oversized is dropped', () => {
    const notice = { chainId: genesis.chainId, tx: 'ab'.repeat(32), error: 'InsufficientBalanceError', message: 'the burn is 1 rao', height: 3 }
    const authority = testKey('authority')
    const good = signRefusal(notice, authority.secretKey)
    expect(openRefusal(good, genesis.chainId, authority.publicKey)).toEqual(notice)
    const bad = [
      signRefusal(notice, testKey('mallory').secretKey),
      signRefusal({ ...notice, chainId: 'other-chain' }, authority.secretKey),
      signRefusal({ ...notice, tx: 'not-a-hash' }, authority.secretKey),
      new Uint8Array(2000),
      new Uint8Array([0xff, 0x00])
    ]
    for (const b of bad) expect(() => openRefusal(b, genesis.chainId, authority.publicKey)).toThrow(expect.objectContaining({ name: 'MalformedError' }))
    const flipped = good.slice()
    flipped[flipped.length - 1] ^= 1
    expect(() => openRefusal(flipped, genesis.chainId, authority.publicKey)).toThrow(expect.objectContaining({ name: 'MalformedError' }))
  })
})
