/**
 * The hooks the ledger and the market build on: DHT records in our own namespace with
 * validators and selectors, and gossipsub as `pubsub`.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { teardown, testPeer } from './fixtures/in-process.ts'
import type { TestPeer } from './fixtures/in-process.ts'

let peers: TestPeer[] = []
afterEach(async () => { await teardown(peers); peers = [] })

const enc = (s: string): Uint8Array => new TextEncoder().encode(s)
const dec = (b: Uint8Array): string => new TextDecoder().decode(b)

/** Test records: "v<seq>" is valid; anything else is refused. The highest seq wins. */
const records = {
  dhtValidators: { agoratest: async (_key: Uint8Array, value: Uint8Array) => { if (!/^v\d+$/.test(dec(value))) throw new Error('invalid test record') } },
  dhtSelectors: { agoratest: (_key: Uint8Array, values: Uint8Array[]) => values.map(v => Number(dec(v).slice(1))).reduce((best, n, i, all) => n > all[best] ? i : best, 0) }
}

describe('network hooks', { timeout: 60_000 }, () => {
  it('default: a record in our namespace is stored by peers that validate it and read back by another', async () => {
    const [a, b, c] = [await testPeer(records), await testPeer(records), await testPeer(records)]
    peers.push(a, b, c)
    await a.network.connect(b.network.addresses()[0])
    await c.network.connect(b.network.addresses()[0])
    const key = enc('/agoratest/listing-1')
    let stored = 0
    await vi.waitFor(async () => {
      for await (const e of a.network.libp2p.services.dht.put(key, enc('v2'), { signal: AbortSignal.timeout(5000) })) {
        if (e.name === 'PEER_RESPONSE' && e.messageName === 'PUT_VALUE') stored++
      }
      expect(stored).toBeGreaterThan(0)
    }, { timeout: 20_000, interval: 200 })
    const got: string[] = []
    for await (const e of c.network.libp2p.services.dht.get(key, { signal: AbortSignal.timeout(5000) })) {
      if (e.name === 'VALUE') got.push(dec(e.value))
    }
    expect(got).toContain('v2')
  })

  it('behavior: an invalid record is refused by the peers that validate it', async () => {
    const [a, b] = [await testPeer(records), await testPeer(records)]
    peers.push(a, b)
    await a.network.connect(b.network.addresses()[0])
    await vi.waitFor(async () => {
      // wait until B is in A's routing table: a valid record then reaches it
      let ok = 0
      for await (const e of a.network.libp2p.services.dht.put(enc('/agoratest/probe'), enc('v1'), { signal: AbortSignal.timeout(5000) })) {
        if (e.name === 'PEER_RESPONSE' && e.messageName === 'PUT_VALUE') ok++
      }
      expect(ok).toBeGreaterThan(0)
    }, { timeout: 20_000, interval: 200 })
    const events: string[] = []
    for await (const e of a.network.libp2p.services.dht.put(enc('/agoratest/bad'), enc('forged'), { signal: AbortSignal.timeout(5000) })) {
      if (e.name === 'PEER_RESPONSE' || e.name === 'QUERY_ERROR') events.push(e.name === 'PEER_RESPONSE' ? `${e.name}:${e.messageName}` : e.name)
    }
    // B's validator refuses the record and B resets the PUT stream: an error, never a stored response
    expect(events).not.toContain('PEER_RESPONSE:PUT_VALUE')
    expect(events).toContain('QUERY_ERROR')
  })

  it('behavior: gossipsub carries a message from one peer to another as `pubsub`', async () => {
    const [a, b] = [await testPeer(), await testPeer()]
    peers.push(a, b)
    await a.network.connect(b.network.addresses()[0])
    const received: string[] = []
    b.network.libp2p.services.pubsub.addEventListener('message', (e) => { received.push(dec(e.detail.data)) })
    a.network.libp2p.services.pubsub.subscribe('agora-test')
    b.network.libp2p.services.pubsub.subscribe('agora-test')
    await vi.waitFor(async () => {
      await a.network.libp2p.services.pubsub.publish('agora-test', enc('hello'))
      expect(received).toContain('hello')
    }, { timeout: 20_000, interval: 300 })
  })
})

describe('provide', { timeout: 60_000 }, () => {
  it('behavior: provide with no peer returns at once with 0 peers; a peer that connects later finds us; unprovide withdraws it', async () => {
    const { importFile } = await import('./fixtures/repo.ts')
    const [a, b] = [await testPeer(), await testPeer()]
    peers.push(a, b)
    const cid = await importFile(a.stores.blockstore, enc('provided while alone'))
    expect(await a.network.provide(cid, { signal: AbortSignal.timeout(5000) })).toEqual({ peers: 0 })
    await b.network.connect(a.network.addresses()[0])
    // A answers from its own provider store; nothing else holds the record
    await vi.waitFor(async () => {
      const found: string[] = []
      for await (const p of b.network.findProviders(cid, { signal: AbortSignal.timeout(2000) })) found.push(p.id.toString())
      expect(found).toEqual([a.network.peerId.toString()])
    }, { timeout: 20_000, interval: 200 })
    await a.network.unprovide(cid)
    const after: string[] = []
    for await (const p of b.network.findProviders(cid, { signal: AbortSignal.timeout(5000) })) after.push(p.id.toString())
    expect(after).toEqual([])
  })
})
