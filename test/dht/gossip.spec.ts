/**
 * Gossip among many peers on one machine. Every devnet and test network puts all its peers on
 * 127.0.0.1, and gossipsub penalises more than 10 peers sharing an address by -5 × surplus²:
 * with 15 spokes around a hub, each spoke would score -125 at the hub, below the graft threshold
 * (0), the gossip threshold (-10) and the publish threshold (-50), so the hub would keep no mesh
 * and its own messages would reach nobody. Loopback peers are exempt (src/dht/libp2p-options.ts).
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { teardown, testPeer } from './fixtures/in-process.ts'
import type { TestPeer } from './fixtures/in-process.ts'

const TOPIC = 'agora/test/gossip'
let peers: TestPeer[] = []

afterEach(async () => {
  await teardown(peers)
  peers = []
})

interface Pubsub {
  subscribe: (t: string) => void
  publish: (t: string, d: Uint8Array) => Promise<{ recipients: unknown[] }>
  getSubscribers: (t: string) => unknown[]
  /** On the class, not on its public interface. */
  getMeshPeers: (t: string) => string[]
  /** On the class: a peer is sent to only once its outbound stream is open, which can lag its subscription. */
  streamsOutbound: Map<string, unknown>
  addEventListener: (e: 'message', f: (ev: CustomEvent<{ topic: string, data: Uint8Array }>) => void) => void
}

const pubsub = (p: TestPeer): Pubsub => p.network.libp2p.services.pubsub as unknown as Pubsub

describe('gossip on loopback', { timeout: 60_000 }, () => {
  it('behavior: a hub with 15 peers on 127.0.0.1 keeps a mesh, and its message reaches every one of them', async () => {
    const hub = await testPeer()
    const spokes = await Promise.all(Array.from({ length: 15 }, async () => testPeer()))
    peers = [hub, ...spokes]
    const received = new Map<TestPeer, string>()
    for (const p of peers) {
      pubsub(p).subscribe(TOPIC)
      pubsub(p).addEventListener('message', (ev) => {
        if (ev.detail.topic === TOPIC) received.set(p, new TextDecoder().decode(ev.detail.data))
      })
    }
    for (const s of spokes) await s.network.connect(hub.network.addresses()[0])
    await vi.waitFor(() => { expect(pubsub(hub).getSubscribers(TOPIC)).toHaveLength(15) }, { timeout: 20_000, interval: 100 })
    // gossipsub grafts at each 1 s heartbeat towards a mesh of 6 (D), 4 at least (D_lo)
    await vi.waitFor(() => { expect(pubsub(hub).getMeshPeers(TOPIC).length).toBeGreaterThanOrEqual(4) }, { timeout: 20_000, interval: 200 })

    // a subscription arrives over the spoke's stream; the hub's own stream to it opens separately
    await vi.waitFor(() => { expect(pubsub(hub).streamsOutbound.size).toBe(15) }, { timeout: 20_000, interval: 100 })

    // the publisher sends its own message to every subscribed peer whose score is above the
    // publish threshold: all 15 spokes
    expect((await pubsub(hub).publish(TOPIC, new TextEncoder().encode('hello'))).recipients).toHaveLength(15)
    await vi.waitFor(() => { expect(received.size).toBe(15) }, { timeout: 20_000, interval: 100 })
    expect(received.has(hub)).toBe(false)
    expect([...received.values()]).toEqual(Array(15).fill('hello'))
  })
})
