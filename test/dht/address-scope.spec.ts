/**
 * `network: 'public'` (the default): an address in a private or loopback range that a peer
 * learnt from the network is never dialled, and the peer does not announce its own; addresses
 * the user gave (bootstrap, `connect`, `announce`) are used as given. `'lan'` allows all.
 *
 * Every peer here listens on 127.0.0.1, so each address that travels through the DHT is a
 * loopback address: exactly what a hostile provider record naming 127.0.0.1 looks like.
 */
import { multiaddr } from '@multiformats/multiaddr'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { AddressScope, isNonPublicAddress } from '../../src/dht/address-scope.ts'
import { teardown, testPeer } from './fixtures/in-process.ts'
import type { TestPeer } from './fixtures/in-process.ts'
import type { PeerInfo } from '@libp2p/interface'

let peers: TestPeer[] = []
afterEach(async () => {
  await teardown(peers)
  peers = []
})

async function peer (init: Parameters<typeof testPeer>[0] = {}): Promise<TestPeer> {
  const p = await testPeer(init)
  peers.push(p)
  return p
}

const connected = (from: TestPeer, to: TestPeer): boolean => from.network.peers().some(p => p.peerId === to.network.peerId.toString())
const isLoopbackText = (a: string): boolean => a.startsWith('/ip4/127.') || a.startsWith('/ip6/::1/')

/**
 * C provides a CID; its one DHT peer, B (a LAN peer bootstrapped to C), takes the provider
 * record with C's 127.0.0.1 address. Returns the CID once a peer took it.
 */
async function providerOnLoopback (c: TestPeer): Promise<CID> {
  const cid = CID.createV1(raw.code, await sha256.digest(new TextEncoder().encode('address scope')))
  await vi.waitFor(async () => { expect((await c.network.provide(cid)).peers).toBeGreaterThan(0) }, { timeout: 10_000, interval: 200 })
  return cid
}

/** The first provider A finds for `cid` through its DHT (B answers with C's record). */
async function findProvider (a: TestPeer, cid: CID): Promise<PeerInfo> {
  return vi.waitFor(async () => {
    const first = await a.network.findProviders(cid, { signal: AbortSignal.timeout(5000) }).next()
    if (first.done === true) throw new Error('no provider yet')
    return first.value
  }, { timeout: 15_000, interval: 200 })
}

describe('address ranges', () => {
  it('non-public: loopback, RFC 1918, CGNAT, link-local, unspecified, ULA, v4-mapped loopback, localhost names', () => {
    const nonPublic = [
      '/ip4/127.0.0.1/tcp/1', // loopback 127/8 (RFC 1122)
      '/ip4/10.1.2.3/tcp/1', '/ip4/172.16.0.1/tcp/1', '/ip4/192.168.1.1/tcp/1', // RFC 1918
      '/ip4/100.64.0.1/tcp/1', // CGNAT 100.64/10 (RFC 6598)
      '/ip4/169.254.1.1/tcp/1', '/ip6/fe80::1/tcp/1', // link-local (RFC 3927, RFC 4291)
      '/ip4/0.0.0.0/tcp/1', '/ip6/::/tcp/1', '/ip6/::1/tcp/1', // unspecified and v6 loopback
      '/ip6/fc00::1/tcp/1', '/ip6/fd00::1/tcp/1', // unique-local fc00::/7 (RFC 4193)
      '/ip6/::ffff:127.0.0.1/tcp/1', // 127.0.0.1 mapped into v6 reaches loopback too
      '/dns4/localhost/tcp/1', '/dns4/api.localhost/tcp/1' // RFC 6761: *.localhost is loopback
    ]
    for (const a of nonPublic) expect([a, isNonPublicAddress(multiaddr(a))]).toEqual([a, true])
    // 100.128.0.1 is just past 100.64/10 (100.64.0.0–100.127.255.255); the others are global unicast
    for (const a of ['/ip4/100.128.0.1/tcp/1', '/ip4/8.8.8.8/tcp/1', '/ip6/2606:4700::1/tcp/1', '/dns4/example.com/tcp/1']) {
      expect([a, isNonPublicAddress(multiaddr(a))]).toEqual([a, false])
    }
  })

  it('the allow-list holds addresses, not peers: a routing answer naming the bootstrap peer at another local port is denied', () => {
    const x = '12D3KooWCT3ezt3FmkRpCRQPEgCGRQgniRtujH8gDBs5ju92rCun'
    const scope = new AddressScope('public', { dial: [`/ip4/127.0.0.1/tcp/4001/p2p/${x}`] })
    expect(scope.denyDialMultiaddr(multiaddr(`/ip4/127.0.0.1/tcp/4001/p2p/${x}`))).toBe(false)
    expect(scope.denyDialMultiaddr(multiaddr('/ip4/127.0.0.1/tcp/4001'))).toBe(false)
    expect(scope.denyDialMultiaddr(multiaddr(`/ip4/127.0.0.1/tcp/22/p2p/${x}`))).toBe(true)
    // a public address learnt from the network is dialled; in 'lan' everything is
    expect(scope.denyDialMultiaddr(multiaddr('/ip4/8.8.8.8/tcp/4001'))).toBe(false)
    expect(new AddressScope('lan').denyDialMultiaddr(multiaddr('/ip4/10.0.0.1/tcp/22'))).toBe(false)
  })
})

describe('address scope', { timeout: 60_000 }, () => {
  it('public: a loopback address learnt from a provider record is not dialled; the bootstrap on 127.0.0.1 is', async () => {
    const c = await peer()
    const b = await peer({ bootstrap: [c.network.addresses()[0]] })
    const cid = await providerOnLoopback(c)
    const a = await peer({ network: 'public', bootstrap: [b.network.addresses()[0]] })
    // the bootstrap address is loopback too, but the user gave it: start() dialled it
    expect(connected(a, b)).toBe(true)
    const found = await findProvider(a, cid)
    // the setup is what an attacker does: A learnt C at a loopback address from the network
    expect(found.id.toString()).toBe(c.network.peerId.toString())
    const learnt = (await a.network.libp2p.peerStore.get(c.network.peerId)).addresses.map(x => x.multiaddr.toString())
    expect(learnt.some(isLoopbackText)).toBe(true)
    // dialling C by its peer id may only use learnt addresses: the gater denies every one
    await expect(a.network.libp2p.dial(c.network.peerId, { signal: AbortSignal.timeout(5000) })).rejects.toHaveProperty('name', 'DialDeniedError')
    // and no TCP connection reached C (it would see an inbound connection from A)
    expect(c.network.libp2p.getConnections(a.network.peerId)).toEqual([])
    // the same address given by the user (`swarm connect`) is dialled
    const summary = await a.network.connect(c.network.addresses()[0])
    expect(summary.peerId).toBe(c.network.peerId.toString())
    expect(connected(a, c)).toBe(true)
  })

  it('lan: the same loopback provider address is dialled', async () => {
    const c = await peer()
    const b = await peer({ bootstrap: [c.network.addresses()[0]] })
    const cid = await providerOnLoopback(c)
    const a = await peer({ network: 'lan', bootstrap: [b.network.addresses()[0]] })
    const found = await findProvider(a, cid)
    expect(found.id.toString()).toBe(c.network.peerId.toString())
    const conn = await a.network.libp2p.dial(c.network.peerId, { signal: AbortSignal.timeout(5000) })
    expect(isLoopbackText(conn.remoteAddr.toString())).toBe(true)
    expect(connected(a, c)).toBe(true)
  })

  it('public: no loopback address is announced (identify tells the remote none); lan announces it', async () => {
    const b = await peer()
    const pub = await peer({ network: 'public', bootstrap: [b.network.addresses()[0]] })
    const lan = await peer({ network: 'lan', bootstrap: [b.network.addresses()[0]] })
    // pub listens on 127.0.0.1 only, and announces nothing of it
    expect(pub.network.addresses()).toEqual([])
    expect(lan.network.addresses().some(isLoopbackText)).toBe(true)
    // what B learns through identify: ask each peer once more on B's connection to it
    const told = async (p: TestPeer): Promise<string[]> => {
      const [conn] = b.network.libp2p.getConnections(p.network.peerId)
      const result = await b.network.libp2p.services.identify.identify(conn, { signal: AbortSignal.timeout(5000) })
      return result.listenAddrs.map(String)
    }
    expect((await told(pub)).filter(isLoopbackText)).toEqual([])
    expect((await told(lan)).some(isLoopbackText)).toBe(true)
  })

  it('public: an address the user asks to announce is announced as given', async () => {
    // 127.0.0.1:4999 is never listened on here: announcing it only writes it into identify
    const p = await peer({ network: 'public', announce: ['/ip4/127.0.0.1/tcp/4999'] })
    expect(p.network.addresses()).toEqual([`/ip4/127.0.0.1/tcp/4999/p2p/${p.network.peerId.toString()}`])
  })
})
