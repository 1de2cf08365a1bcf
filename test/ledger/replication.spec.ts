/**
 * Replication between three real libp2p peers over TCP on 127.0.0.1 (in one process): a
 * transaction submitted at a follower reaches the authority, blocks reach every peer by gossip
 * (C is connected only to B), a peer that was stopped catches up over the blocks protocol, and
 * a forged block is refused.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { MemoryBlockstore } from 'blockstore-core'
import { MemoryDatastore } from 'datastore-core'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { sealBlock, txRoot } from '../../src/ledger/block.ts'
import { Ledger, LedgerReplication, signTx, yumaEpoch } from '../../src/ledger/index.ts'
import { createNetwork } from '../../src/dht/index.ts'
import { TAO, testGenesis, testKey, testLedger } from './helpers.ts'
import type { Network } from '../../src/dht/index.ts'
import type { RefusedBlock } from '../../src/ledger/index.ts'

const genesis = testGenesis({ alice: 100n * TAO })
const [alice, bob] = ['alice', 'bob'].map(testKey)
const cleanup: Array<() => Promise<void>> = []

afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f()
})

async function peer (): Promise<Network> {
  const net = await createNetwork({ privateKey: await generateKeyPair('Ed25519'), blockstore: new MemoryBlockstore(), datastore: new MemoryDatastore(), bitswap: false })
  cleanup.push(async () => net.stop())
  return net
}

async function replicate (net: Network, ledger: Ledger): Promise<LedgerReplication> {
  const r = new LedgerReplication({ libp2p: net.libp2p, ledger }, { catchUpIntervalMs: 300 })
  await r.start()
  cleanup.push(async () => { await r.stop(); await ledger.stop() })
  return r
}

async function follower (datastore = new MemoryDatastore()): Promise<Ledger> {
  const l = new Ledger({ datastore, genesis, epoch: yumaEpoch })
  await l.start()
  return l
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
    cleanup.push(async () => { await rc.stop(); await c.stop() })
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
})
