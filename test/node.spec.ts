/**
 * The node's lifecycle rules over real libp2p on 127.0.0.1: concurrent fetches of one root
 * transfer each block once, and an unpinned root is no longer announced.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createNode } from '../src/node.ts'
import { deterministicBytes } from './utils/data.ts'
import type { AgoraNode } from '../src/node.ts'

const MiB = 1024 * 1024
const nodes: AgoraNode[] = []
const dirs: string[] = []

afterEach(async () => {
  for (const n of nodes.splice(0)) await n.stop()
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true })
})

async function node (): Promise<AgoraNode> {
  const repo = await mkdtemp(join(tmpdir(), 'agora-node-'))
  dirs.push(repo)
  const n = await createNode({ repo, config: { addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] }, swarm: { network: 'lan' } }, network: { bitswap: false, initialQuerySelfInterval: 100 } })
  nodes.push(n)
  return n
}

async function * bytes (seed: string, size: number): AsyncGenerator<Uint8Array> {
  yield * deterministicBytes(seed, size)
}

async function providersOf (n: AgoraNode, cid: Parameters<AgoraNode['findProviders']>[0]): Promise<string[]> {
  const found: string[] = []
  for await (const p of n.findProviders(cid, { signal: AbortSignal.timeout(3000) })) found.push(p.id.toString())
  return found
}

describe('node', { timeout: 60_000 }, () => {
  it('default: two concurrent fetches of one root transfer each block once', async () => {
    const [a, b] = [await node(), await node()]
    const added = await a.addStream(bytes('node-fetch', 6 * MiB + 7))
    const providers = [a.id().addresses[0]]
    const [r1, r2] = await Promise.all([b.fetch(added.cid, { providers }), b.fetch(added.cid, { providers })])
    // 6 MiB + 7 bytes in 1 MiB raw leaves is 7 leaves under one root: 8 blocks in all. One
    // fetch transfers them; the other waited for it and found every block stored.
    const fetched = [r1!.blocksFetched, r2!.blocksFetched].sort((x, y) => x - y)
    expect(fetched).toEqual([0, 8])
    expect([r1!.blocksSkipped, r2!.blocksSkipped].sort((x, y) => x - y)).toEqual([0, 8])
  })

  it('behavior: an unpinned root is withdrawn: not announced when a peer connects, not found at this peer', async () => {
    const [a, b] = [await node(), await node()]
    const kept = await a.addStream(bytes('node-kept', 1000))
    const dropped = await a.addStream(bytes('node-dropped', 1000))
    // alone, both announcements reached nobody; both wait for a peer
    expect([kept.providedTo, dropped.providedTo]).toEqual([0, 0])
    await a.unpin(dropped.cid)
    await b.connect(a.id().addresses[0])
    await vi.waitFor(async () => { expect(await providersOf(b, kept.cid)).toEqual([a.peerId]) }, { timeout: 20_000, interval: 200 })
    expect(await providersOf(b, dropped.cid)).toEqual([])
    expect(await a.store.pins.has(dropped.cid)).toBe(false)
  })
})
