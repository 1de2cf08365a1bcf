/**
 * Peers in separate processes over TCP on 127.0.0.1: DHT discovery and fetch, a corrupt
 * provider, and resuming after kill -9.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { removeDir, spawnPeer } from './fixtures/spawn.ts'
import type { PeerProcess } from './fixtures/spawn.ts'

const MiB = 1024 * 1024
let peers: PeerProcess[] = []

async function peer (opts: Parameters<typeof spawnPeer>[0] = {}): Promise<PeerProcess> {
  const p = await spawnPeer(opts)
  peers.push(p)
  return p
}

afterEach(async () => {
  await Promise.all(peers.map(async p => { await p.stop() }))
  await Promise.all([...new Set(peers.map(p => p.dir))].map(removeDir))
  peers = []
})

describe('network (multi-process)', { timeout: 120_000 }, () => {
  it('default: C, connected only to B, finds A through the DHT and fetches its file byte-identical', async () => {
    const [a, b, c] = await Promise.all([peer(), peer(), peer()])
    const { cid, sha256 } = await a.call('import', { size: 5 * MiB + 12345 })
    await a.call('connect', { addr: b.addrs[0] })
    await c.call('connect', { addr: b.addrs[0] })
    // the routing tables fill once identify has run; until then provide reaches no peer
    await vi.waitFor(async () => { expect((await a.call('provide', { cid })).peers).toBeGreaterThan(0) }, { timeout: 20_000, interval: 200 })
    // C knows only B; the provider record for the root comes from the DHT
    await vi.waitFor(async () => { expect(await c.call('findProviders', { cid })).toContain(a.peerId) }, { timeout: 20_000, interval: 200 })
    const result = await c.call('fetch', { cid })
    expect(result.providers.map((p: any) => p.peer)).toContain(a.peerId)
    // the SHA-256 of the bytes A generated, against the bytes C exports from its own blockstore
    expect(await c.call('sha256', { cid })).toBe(sha256)
  })

  it('behavior: a provider serving a corrupt block is dropped and the file arrives intact from an honest one', async () => {
    const [honest, corrupt, fetcher] = await Promise.all([peer(), peer({ mode: 'corrupt' }), peer()])
    const { cid, sha256 } = await honest.call('import', { size: 3 * MiB })
    // the corrupt peer holds the same blocks; its blockstore flips a byte of each block it serves
    await removeDir(`${corrupt.dir}/blocks`)
    await corrupt.call('stop')
    const { cp } = await import('node:fs/promises')
    await cp(`${honest.dir}/blocks`, `${corrupt.dir}/blocks`, { recursive: true })
    const corrupt2 = await peer({ mode: 'corrupt', dir: corrupt.dir })
    // the fetcher is given only the corrupt peer; once that one is dropped it looks on the DHT,
    // where only the honest peer announced the root
    await fetcher.call('connect', { addr: honest.addrs[0] })
    await vi.waitFor(async () => { expect((await honest.call('provide', { cid })).peers).toBeGreaterThan(0) }, { timeout: 20_000, interval: 200 })
    const result = await fetcher.call('fetch', { cid, progress: true, providers: [corrupt2.addrs[0]] })
    const dropped = fetcher.events.filter(e => e.progress?.type === 'agora:fetch:provider-dropped')
    expect(dropped).toHaveLength(1)
    expect(dropped[0].progress.peer).toBe(corrupt2.peerId)
    expect(dropped[0].progress.error.name).toBe('BlockVerificationError')
    expect(result.providers.find((p: any) => p.peer === corrupt2.peerId).blocks).toBe(0)
    expect(result.providers.find((p: any) => p.peer === honest.peerId).blocks).toBe(result.blocksFetched)
    expect(await fetcher.call('sha256', { cid })).toBe(sha256)
  })

  it('behavior: after kill -9 mid-fetch, the same fetch completes without requesting stored blocks again', async () => {
    const [a, b] = await Promise.all([peer(), peer()])
    const { cid, sha256 } = await a.call('import', { size: 48 * MiB })
    const first = b.call('fetch', { cid, progress: true, providers: [a.addrs[0]] })
    first.catch(() => {})
    // wait until some (not all) blocks are stored, then kill the fetching process outright
    await vi.waitFor(() => { expect(b.events.filter(e => e.progress?.type === 'agora:fetch:block').length).toBeGreaterThan(4) }, { timeout: 30_000, interval: 5 })
    b.child.kill('SIGKILL')
    await new Promise(resolve => b.child.once('exit', resolve))
    const b2 = await peer({ dir: b.dir })
    const stored: string[] = await b2.call('stored')
    const servedBefore: string[] = await a.call('served')
    // killed mid-fetch: some of the 49 blocks (48 leaves of 1 MiB and the root) are stored, not all
    expect(stored.length).toBeGreaterThan(0)
    expect(stored.length).toBeLessThan(49)
    expect(servedBefore.length).toBeGreaterThanOrEqual(stored.length)
    const result = await b2.call('fetch', { cid, providers: [a.addrs[0]] })
    const servedAfter: string[] = await a.call('served')
    // every stored block was skipped, and the provider served none of them a second time
    expect(result.blocksSkipped).toBe(stored.length)
    expect(servedAfter.filter(c => stored.includes(c))).toEqual([])
    expect(servedAfter.length).toBe(result.blocksFetched)
    expect(await b2.call('sha256', { cid })).toBe(sha256)
  })
})
