/**
 * Market network benchmark: time from `publish` to searchable in the local index of every peer
 * of a 20-peer network (target: under 2 s), and the time a peer joining later takes to hold
 * every listing through the catalogue protocol.
 *
 *   node bench/market-network.bench.ts          (or: npm run bench -- market-network)
 *   MARKET_NET_PEERS=40 MARKET_NET_ROUNDS=10 node bench/market-network.bench.ts
 *
 * The peers are real `AgoraNode`s with the real market service (repos on disk, libp2p over TCP
 * on 127.0.0.1, gossipsub, kad-dht, the catalogue protocol), all in this one process, so the 2
 * shared cores run every peer's verification and gossip forwarding. Topology: peer i dials peer
 * i-1 and one random earlier peer (a connected graph with no full mesh). Each round a different
 * peer publishes a small open model; the clock starts before the `publish` call (import, sign,
 * index, gossip, DHT put) and stops when the last peer's `index.search` finds it. One cold
 * round runs at once, while the gossipsub meshes are still forming (peers join them at
 * heartbeats); it is reported on its own. The measured rounds start once every peer has a mesh
 * peer on the market topic: a network that has been up for a few seconds.
 */
import { writeFile, mkdtemp, rm } from 'node:fs/promises'
import { availableParallelism, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { MARKET_TOPIC } from '../src/market/gossip.ts'
import { MARKET, marketService } from '../src/market/service.ts'
import { createNode } from '../src/node.ts'
import type { MarketService } from '../src/market/service.ts'
import type { AgoraNode } from '../src/node.ts'

const PEERS = Number(process.env.MARKET_NET_PEERS ?? 20)
const ROUNDS = Number(process.env.MARKET_NET_ROUNDS ?? 5)
const CMD = PEERS === 20 && ROUNDS === 5 ? 'node bench/market-network.bench.ts' : `MARKET_NET_PEERS=${PEERS} MARKET_NET_ROUNDS=${ROUNDS} node bench/market-network.bench.ts`

let seed = 7
function rand (n: number): number {
  seed = (seed * 1103515245 + 12345) % 2 ** 31
  return seed % n
}

async function sleep (ms: number): Promise<void> { await new Promise(resolve => setTimeout(resolve, ms)) }

async function waitUntil (what: string, ok: () => boolean | Promise<boolean>, ms = 60_000): Promise<void> {
  const end = Date.now() + ms
  while (!await ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await sleep(20)
  }
}

async function startPeer (dir: string, i: number, bootstrap: string[]): Promise<AgoraNode> {
  return createNode({
    repo: join(dir, `peer-${i}`),
    config: { addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] }, bootstrap, swarm: { network: 'lan' } },
    // all peers share 127.0.0.1: lift the per-IP inbound rate limit (5 connections/s by default)
    network: { inboundConnectionThreshold: 100_000 },
    services: [marketService()]
  })
}

const market = (n: AgoraNode): MarketService => n.services.require(MARKET)

async function found (n: AgoraNode, name: string): Promise<boolean> {
  return (await market(n).index.search(name, { limit: 1 })).length === 1
}

/** Peers in n's gossipsub mesh of the market topic (the class has it; its public interface does not). */
function meshPeers (n: AgoraNode): number {
  const pubsub = n.network.libp2p.services.pubsub as unknown as { getMeshPeers?: (topic: string) => string[] }
  if (typeof pubsub.getMeshPeers !== 'function') throw new Error('this gossipsub has no getMeshPeers')
  return pubsub.getMeshPeers(MARKET_TOPIC).length
}

function median (xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]
}

async function main (): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'agora-market-net-'))
  const nodes: AgoraNode[] = []
  try {
    const t0 = performance.now()
    for (let i = 0; i < PEERS; i++) {
      const addrs = nodes.length === 0 ? [] : [...new Set([nodes[i - 1], nodes[rand(i)]])].map(n => n.id().addresses[0])
      nodes.push(await startPeer(dir, i, addrs))
    }
    await waitUntil('indexes loaded', () => nodes.every(n => market(n).state === 'ready'))
    await waitUntil('topic peers', () => nodes.every(n => n.network.libp2p.services.pubsub.getSubscribers(MARKET_TOPIC).length > 0))
    console.log(`${PEERS} peers up, each with a topic peer, in ${((performance.now() - t0) / 1000).toFixed(1)} s (cores: ${availableParallelism()}, load ${loadavg()[0].toFixed(2)})`)

    const file = join(dir, 'model.bin')
    await writeFile(file, new Uint8Array(64 * 1024).fill(7))
    const total: number[] = []
    const publishCall: number[] = []
    const firstPeer: number[] = []
    const missed: string[] = []
    /** One round: a peer publishes, the clock stops when every other peer's index finds it. */
    const round = async (r: number): Promise<number | undefined> => {
      const name = `benchmodel${r}`
      const by = nodes[(r * 7) % PEERS]
      const start = performance.now()
      const arrived = new Map<number, number>()
      const publishing = market(by).publisher.publish({ path: file, kind: 'model', name, license: 'MIT', tags: ['bench'] })
        .then(() => performance.now() - start)
      let last: number | undefined
      try {
        await waitUntil(`${name} everywhere`, async () => {
          for (const [i, n] of nodes.entries()) if (!arrived.has(i) && n !== by && await found(n, name)) arrived.set(i, performance.now() - start)
          return arrived.size === PEERS - 1
        }, 30_000)
        last = Math.max(...arrived.values())
      } catch {
        // reported, not hidden: the catalogue (on the next connection) and re-announcement are the fallbacks
        missed.push(`${name}: ${PEERS - 1 - arrived.size} peer(s) did not have it after 30 s`)
      }
      if (r > 0) {
        if (last != null) total.push(last)
        firstPeer.push(Math.min(...arrived.values()))
        publishCall.push(await publishing)
      } else {
        await publishing
      }
      await sleep(500)
      return last
    }
    const cold = await round(0)
    const m0 = performance.now()
    await waitUntil('topic meshes', () => nodes.every(n => meshPeers(n) > 0))
    const meshMs = performance.now() - m0
    for (let r = 1; r <= ROUNDS; r++) await round(r)
    console.log(`publish → searchable on all ${PEERS - 1} other peers: median ${median(total).toFixed(0)} ms, max ${Math.max(...total).toFixed(0)} ms (target < 2000 ms) over ${total.length} of ${ROUNDS} rounds`)
    for (const m of missed) console.log(`  INCOMPLETE ${m}`)
    console.log(`  first peer: median ${median(firstPeer).toFixed(0)} ms; publish call (import, sign, gossip, DHT put): median ${median(publishCall).toFixed(0)} ms`)
    console.log(`  per round, ms: ${total.map(x => x.toFixed(0)).join(', ')}`)
    console.log(`  cold round, published as the last peer came up (meshes still forming): ${cold == null ? 'not everywhere after 30 s' : `${cold.toFixed(0)} ms`}; every peer had a mesh peer ${(meshMs / 1000).toFixed(1)} s after it`)

    const late = await startPeer(dir, PEERS, [nodes[0].id().addresses[0]])
    nodes.push(late)
    const j0 = performance.now()
    await waitUntil('catalogue', async () => market(late).state === 'ready' && (await market(late).index.search('bench', { limit: 100 })).length === ROUNDS + 1, 30_000)
    console.log(`late joiner holds all ${ROUNDS + 1} listings via the catalogue protocol after ${(performance.now() - j0).toFixed(0)} ms (from createNode)`)
    console.log(`reproduce: ${CMD}`)
  } finally {
    for (const n of nodes.reverse()) await n.stop().catch(() => {})
    await rm(dir, { recursive: true, force: true })
  }
}

await main()
