/**
 * `startLedgerNode`: the authority is the peer's own libp2p identity (its hotkey) and produces
 * blocks on a timer; a transaction submitted at a follower peer lands and both agree.
 */
import { generateKeyPair as libp2pKeyPair } from '@libp2p/crypto/keys'
import { MemoryBlockstore } from 'blockstore-core'
import { MemoryDatastore } from 'datastore-core'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createNetwork } from '../../src/dht/index.ts'
import { parseGenesis, signTx, startLedgerNode, toAddress } from '../../src/ledger/index.ts'
import { TAO, testKey } from './helpers.ts'
import type { LedgerNode } from '../../src/ledger/index.ts'
import type { Network } from '../../src/dht/index.ts'

const stops: Array<() => Promise<void>> = []
afterEach(async () => { for (const s of stops.splice(0).reverse()) await s() })

describe('startLedgerNode', { timeout: 60_000 }, () => {
  it('default: a two-peer chain whose authority is the peer hotkey', async () => {
    const keys = [await libp2pKeyPair('Ed25519'), await libp2pKeyPair('Ed25519')]
    const nets: Network[] = []
    for (const privateKey of keys) {
      const net = await createNetwork({ privateKey, blockstore: new MemoryBlockstore(), datastore: new MemoryDatastore(), bitswap: false, network: 'lan' })
      stops.push(async () => net.stop())
      nets.push(net)
    }
    await nets[1].connect(nets[0].addresses()[0])
    const seed = keys[0].raw.subarray(0, 32)
    const [alice, bob] = ['alice', 'bob'].map(testKey)
    const genesis = parseGenesis({ chainId: 'embed', authority: toAddress(keys[0].publicKey.raw), balances: { [alice.address]: (10n * TAO).toString() }, params: { blockTimeMs: 100 } })
    const nodes: LedgerNode[] = []
    for (const [i, net] of nets.entries()) {
      const node = await startLedgerNode({ libp2p: net.libp2p, datastore: new MemoryDatastore(), genesis, authorityKey: i === 0 ? seed : undefined, catchUpIntervalMs: 200 })
      stops.push(node.stop)
      nodes.push(node)
    }
    expect(nodes[0].ledger.isAuthority).toBe(true)
    expect(nodes[1].ledger.isAuthority).toBe(false)
    const tx = signTx({ chainId: 'embed', signer: alice.address, nonce: 0, body: { kind: 'transfer', to: bob.address, amount: 3n } }, alice.secretKey).bytes
    await nodes[1].replication.submit(tx)
    await vi.waitFor(() => {
      // re-sent every catch-up tick until the authority has it in a block
      expect(nodes[0].ledger.balance(bob.address)).toBe(3n)
      expect(nodes[1].ledger.balance(bob.address)).toBe(3n)
    }, { timeout: 30_000, interval: 100 })
    await nodes[0].ledger.stop() // no more blocks: the follower settles on the authority's head
    await vi.waitFor(() => expect(nodes[1].ledger.status().height).toBe(nodes[0].ledger.status().height), { timeout: 10_000, interval: 50 })
    expect(nodes[1].ledger.stateRoot()).toBe(nodes[0].ledger.stateRoot())
  })
})
