/**
 * Bootstrap peers are kept connected: a peer started before its bootstrap peer reaches it once
 * it comes up, and a bootstrap connection closed by the other side is dialled again.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { newKey } from './fixtures/repo.ts'
import { teardown, testPeer } from './fixtures/in-process.ts'
import type { TestPeer } from './fixtures/in-process.ts'

let peers: TestPeer[] = []
afterEach(async () => {
  await teardown(peers)
  peers = []
})

const backoff = { minDelay: 100, maxDelay: 400 }
const connected = (from: TestPeer, to: TestPeer): boolean => from.network.peers().some(p => p.peerId === to.network.peerId.toString())

describe('bootstrap', { timeout: 30_000 }, () => {
  it('default: a peer started before its bootstrap peer connects once that peer is up', async () => {
    const key = await newKey()
    const first = await testPeer({ privateKey: key })
    const addr = first.network.addresses()[0]
    expect(addr).toContain('/p2p/')
    // the bootstrap peer goes away; its address (same key, same port) is what B is told about
    await teardown([first])
    const b = await testPeer({ bootstrap: [addr], bootstrapBackoff: backoff })
    peers.push(b)
    expect(b.network.peers()).toEqual([]) // its first dial failed: nobody listens there
    const a = await testPeer({ privateKey: key, listen: [addr.slice(0, addr.indexOf('/p2p/'))] })
    peers.push(a)
    await vi.waitFor(() => { expect(connected(b, a)).toBe(true) }, { timeout: 10_000, interval: 50 })
  })

  it('behavior: a bootstrap connection closed by the other side is dialled again', async () => {
    const a = await testPeer()
    peers.push(a)
    const b = await testPeer({ bootstrap: [a.network.addresses()[0]], bootstrapBackoff: backoff })
    peers.push(b)
    expect(connected(b, a)).toBe(true) // start() waits for the first dial
    let inbound = 0
    a.network.libp2p.addEventListener('peer:connect', (e) => { if (e.detail.equals(b.network.peerId)) inbound++ })
    await a.network.libp2p.hangUp(b.network.peerId)
    // B notices the close and redials: A sees B connect again
    await vi.waitFor(() => { expect(inbound).toBe(1) }, { timeout: 10_000, interval: 50 })
    await vi.waitFor(() => { expect(connected(b, a)).toBe(true) }, { timeout: 10_000, interval: 50 })
  })
})
