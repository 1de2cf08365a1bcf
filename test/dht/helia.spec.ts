/**
 * Interop with a stock Helia node from npm over Bitswap, both ways.
 */
import { createHash, randomBytes } from 'node:crypto'
import { unixfs } from '@helia/unixfs'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createLoopbackHelia } from './fixtures/helia.ts'
import { teardown, testPeer } from './fixtures/in-process.ts'
import { importFile, sha256Of } from './fixtures/repo.ts'
import type { LoopbackHelia } from './fixtures/helia.ts'
import type { TestPeer } from './fixtures/in-process.ts'

const MiB = 1024 * 1024
const hex = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')
let peers: TestPeer[] = []
let helias: LoopbackHelia[] = []

afterEach(async () => {
  await Promise.all(helias.map(async h => { await h.stop() }))
  await teardown(peers)
  peers = []
  helias = []
})

describe('helia interop', { timeout: 60_000 }, () => {
  it('default: a stock Helia node fetches a file our network serves', async () => {
    const ours = await testPeer({ bitswap: true })
    peers.push(ours)
    const helia = await createLoopbackHelia()
    helias.push(helia)
    const bytes = randomBytes(3 * MiB + 100)
    const root = await importFile(ours.stores.blockstore, bytes, 'unixfs-v1-2025')
    await helia.libp2p.dial(ours.network.libp2p.getMultiaddrs()[0])
    const hash = createHash('sha256')
    for await (const chunk of unixfs(helia).cat(root, { signal: AbortSignal.timeout(30_000) })) hash.update(chunk)
    expect(hash.digest('hex')).toBe(hex(bytes))
  })

  it('behavior: our network fetches a file the Helia node added, over Bitswap', async () => {
    const ours = await testPeer({ bitswap: true })
    peers.push(ours)
    const helia = await createLoopbackHelia()
    helias.push(helia)
    const bytes = randomBytes(3 * MiB + 100)
    const root = await unixfs(helia).addBytes(bytes)
    const result = await ours.network.fetch(root, { providers: [helia.libp2p.getMultiaddrs()[0]], useDht: false })
    expect(result.providers).toMatchObject([{ peer: helia.libp2p.peerId.toString(), protocol: 'bitswap' }])
    expect(await sha256Of(ours.stores.blockstore, root)).toBe(hex(bytes))
  })

  it('behavior: with ipfsDht, our network finds a Helia provider on /ipfs/kad/1.0.0 and fetches from it', async () => {
    const ours = await testPeer({ bitswap: true, ipfsDht: true })
    peers.push(ours)
    const helia = await createLoopbackHelia()
    helias.push(helia)
    const bytes = randomBytes(MiB + 1)
    const root = await unixfs(helia).addBytes(bytes)
    await helia.libp2p.dial(ours.network.libp2p.getMultiaddrs()[0])
    // Helia's DHT needs us in its routing table (after identify) before it can place the record
    await vi.waitFor(async () => {
      await helia.routing.provide(root, { signal: AbortSignal.timeout(2000) })
      const found: string[] = []
      for await (const p of ours.network.findProviders(root, { signal: AbortSignal.timeout(2000) })) found.push(p.id.toString())
      expect(found).toContain(helia.libp2p.peerId.toString())
    }, { timeout: 20_000, interval: 200 })
    const result = await ours.network.fetch(root, { timeout: 10_000 })
    expect(result.providers).toMatchObject([{ peer: helia.libp2p.peerId.toString(), protocol: 'bitswap' }])
    expect(await sha256Of(ours.stores.blockstore, root)).toBe(hex(bytes))
  })
})
