/**
 * A listing flood against a real daemon. The victim V runs a dev chain (it is the authority) with
 * small `market` budgets in its config; a publisher P follows V's chain and has its hotkey
 * registered on a subnet, so it counts as staked. Three attacker peers, in the test's process,
 * each push 10,000 valid listings from fresh keys by one route: one gossips them, one serves them
 * in its catalogue, one puts them on the DHT. V's index stays within its budgets, its memory and
 * disk grow by bounded amounts, and P's listing published after the flood still arrives and is
 * found by search.
 */
import { generateKeyPairSync, sign } from 'node:crypto'
import { readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { createListing, listingKey } from '../../src/market/index.ts'
import { rawCid } from '../market/helpers.ts'
import { startRoguePeer } from '../market/rogue-peer.ts'
import { dhtRecordKey } from '../../src/dht/index.ts'
import { openRepo } from '../../src/store/index.ts'
import { runCli, spawnDaemon, stopAll, tempDir } from '../utils/daemon.ts'
import type { RoguePeer } from '../market/rogue-peer.ts'
import type { TestDaemon } from '../utils/daemon.ts'

const PASSWORD = { AGORA_WALLET_PASSWORD: 'e2e-password' }
const FLOOD = 10_000
// The victim's budgets (config `market`): each attacker peer, and the DHT as one source, may
// bring 500 unstaked listings; all unstaked listings together 1,200 (so four sources of 500 reach
// the ceiling and evict), 4 MiB of them.
const MARKET = {
  maxListings: 2_000,
  maxListingBytes: 8 * 1024 * 1024,
  maxUnstakedListings: 1_200,
  maxUnstakedBytes: 4 * 1024 * 1024,
  perPeerListings: 500,
  perPeerBytes: 2 * 1024 * 1024,
  perPeerRate: 50,
  perPeerBurst: 1_000
}

let v: TestDaemon, p: TestDaemon
let pRepo: string
let pArgs: string[]
const rogues: RoguePeer[] = []

afterAll(async () => {
  await Promise.all(rogues.map(async r => r.stop()))
  await stopAll()
})

async function json<T> (d: TestDaemon, args: string[]): Promise<T> {
  const r = await d.cli([...args, '--json'], { env: PASSWORD })
  if (r.code !== 0) throw new Error(`agora ${args.join(' ')} exited ${r.code}: ${r.stderr}`)
  return JSON.parse(r.stdout) as T
}

// Loaded into V: on SIGUSR2 it collects garbage and writes its heap in use and RSS to a file.
const HEAP_PRELOAD = `import { writeFileSync } from 'node:fs'
process.on('SIGUSR2', () => { globalThis.gc(); const m = process.memoryUsage(); writeFileSync(process.env.AGORA_TEST_HEAP + '.' + process.pid, JSON.stringify({ heap: m.heapUsed + m.external + m.arrayBuffers, rss: m.rss })) })
`
let heapFile: string

/** V's live memory: heap in use, external and array buffers after a full GC, and its RSS. */
async function memory (pid: number): Promise<{ heap: number, rss: number }> {
  const file = `${heapFile}.${pid}`
  await rm(file, { force: true })
  process.kill(pid, 'SIGUSR2')
  let text: string | undefined
  await vi.waitFor(async () => { text = await readFile(file, 'utf8') }, { timeout: 10_000, interval: 100 })
  return JSON.parse(text!) as { heap: number, rss: number }
}

/**
 * V's live memory once the flood has drained: what is still in flight when the flood ends
 * (messages in stream buffers, gossip being validated, DHT puts) is not kept, and on a loaded
 * machine it lasts longer. Readings 2 s apart until two agree within 1 MiB (at most 10).
 */
async function settledMemory (pid: number): Promise<{ heap: number, rss: number }> {
  let last = await memory(pid)
  for (let i = 0; i < 9; i++) {
    await new Promise(resolve => setTimeout(resolve, 2000))
    const now = await memory(pid)
    const settled = Math.abs(now.heap - last.heap) < 2 ** 20
    last = now
    if (settled) break
  }
  return last
}

const mib = (n: number): string => `${(n / 2 ** 20).toFixed(1)} MiB`

/**
 * A fresh ed25519 key from node:crypto (OpenSSL signs in ~50 µs, so 30,000 listings take seconds;
 * the victim verifies with its own noble code, an independent implementation).
 */
function freshSigner (): { publicKey: Uint8Array, sign: (m: Uint8Array) => Uint8Array } {
  const { privateKey } = generateKeyPairSync('ed25519')
  const jwk = privateKey.export({ format: 'jwk' })
  return { publicKey: Uint8Array.from(Buffer.from(jwk.x as string, 'base64url')), sign: m => Uint8Array.from(sign(null, m, privateKey)) }
}

/** `n` valid listings, each signed by a fresh key (what any attacker can make for free). */
function freshListings (tag: string, n: number): Array<{ bytes: Uint8Array, key: Uint8Array }> {
  const root = rawCid(`flood ${tag}`)
  return Array.from({ length: n }, (_, i) => {
    const l = createListing({ kind: 'dataset', name: `${tag}${i}`, license: 'MIT', root, description: 'x'.repeat(400) }, freshSigner())
    return { bytes: l.bytes, key: listingKey(l.record) }
  })
}

interface Usage { total: { listings: number, bytes: number }, unstaked: { listings: number, bytes: number } }

beforeAll(async () => {
  const dir = await tempDir()
  const repo = join(dir, 'victim')
  expect((await runCli(['init', '--repo', repo])).code).toBe(0)
  const cfgFile = join(repo, 'config.json')
  const cfg = JSON.parse(await readFile(cfgFile, 'utf8')) as Record<string, unknown>
  await writeFile(cfgFile, JSON.stringify({ ...cfg, market: MARKET }, null, 2))
  await writeFile(join(dir, 'heap.mjs'), HEAP_PRELOAD)
  heapFile = join(dir, 'heap')
  const nodeOptions = `${process.env.NODE_OPTIONS ?? ''} --expose-gc --import ${join(dir, 'heap.mjs')}`
  v = await spawnDaemon({ repo, args: ['--dev'], env: { AGORA_DEV_BLOCK_MS: '500', NODE_OPTIONS: nodeOptions, AGORA_TEST_HEAP: heapFile } })
  pRepo = join(dir, 'publisher')
  pArgs = ['--genesis', join(repo, 'genesis.json'), '--bootstrap', v.info.addresses[0]]
  p = await spawnDaemon({ repo: pRepo, args: pArgs })
  // P's hotkey registered on a new subnet, paid by the dev account's coldkey
  expect((await v.cli(['wallet', 'create', '--dev'], { env: PASSWORD })).code).toBe(0)
  const netuid = (await json<{ netuid: number }>(v, ['subnet', 'create', '--name', 'dev'])).netuid
  const hotkey = (await json<{ hotkey: string }>(p, ['chain', 'status'])).hotkey
  await json(v, ['subnet', 'register', '--name', 'dev', '--netuid', String(netuid), '--hotkey', hotkey])
  // P is away during the flood (so the attacker's DHT puts reach V alone) and comes back after it
  await p.stop({ keepRepo: true })
}, 120_000)

describe('e2e: a listing flood', { timeout: 300_000 }, () => {
  it('security: 10,000 listings from fresh keys by gossip, catalogue and DHT each leave the victim within its budgets; a staked publisher\'s listing still arrives and is found', async () => {
    const before = await memory(v.info.pid)
    const t0 = performance.now()
    const [byGossip, byCatalogue, byDht] = [freshListings('gossipflood', FLOOD), freshListings('catalogueflood', FLOOD), freshListings('dhtflood', FLOOD)]
    const made = Math.round(performance.now() - t0)

    // catalogue: what the attacker serves is set before it connects; V pulls on connect
    const cat = await startRoguePeer()
    rogues.push(cat)
    cat.serve(byCatalogue.map(l => l.bytes))
    await cat.network.connect(v.info.addresses[0])
    // gossip: every listing published on the market topic to V
    const gossip = await startRoguePeer()
    rogues.push(gossip)
    await gossip.network.connect(v.info.addresses[0])
    await vi.waitFor(() => { expect(gossip.network.libp2p.services.pubsub.getSubscribers('agora/market/listings/1').map(String)).toContain(v.info.peerId) }, { timeout: 30_000 })
    for (const l of byGossip) await gossip.gossip(l.bytes)
    // the pull of 10,000 has ended (accepted + refused counts every listing it brought)
    await vi.waitFor(async () => {
      const s = await json<{ catalogue: { accepted: number, refused: number } }>(v, ['market', 'status'])
      expect(s.catalogue.accepted + s.catalogue.refused).toBeGreaterThanOrEqual(FLOOD)
    }, { timeout: 120_000, interval: 1000 })

    // DHT: the other two leave, so the attacker's puts reach V alone; V stores a record only when
    // its index admits the listing
    await Promise.all(rogues.map(async r => r.stop()))
    const dht = await startRoguePeer()
    rogues.push(dht)
    await dht.network.connect(v.info.addresses[0])
    // the first put is retried until V is in the attacker's routing table and stores it
    await vi.waitFor(async () => { expect(await dht.put(byDht[0].key, byDht[0].bytes)).toBe(1) }, { timeout: 30_000, interval: 500 })
    let next = 1
    let storedByV = 1
    await Promise.all(Array.from({ length: 32 }, async () => {
      while (next < byDht.length) {
        const i = next++
        storedByV += await dht.put(byDht[i].key, byDht[i].bytes).catch(() => 0)
      }
    }))

    const s = await json<{ usage: Usage }>(v, ['market', 'status'])
    expect(s.usage.unstaked.listings).toBeLessThanOrEqual(MARKET.maxUnstakedListings)
    expect(s.usage.unstaked.bytes).toBeLessThanOrEqual(MARKET.maxUnstakedBytes)
    expect(s.usage.total.listings).toBeLessThanOrEqual(MARKET.maxListings)
    // the flood got in up to the budgets, not beyond: the ceiling is reached
    expect(s.usage.unstaked.listings).toBe(MARKET.maxUnstakedListings)

    // a staked publisher's listing, published after the flood, reaches V and is found
    p = await spawnDaemon({ repo: pRepo, args: pArgs })
    const file = join(pRepo, '..', 'staked.txt')
    await writeFile(file, 'a dataset from a publisher with a registered hotkey\n')
    const pub = await json<{ listing: { id: string } }>(p, ['publish', file, '--kind', 'dataset', '--name', 'stakedset', '--license', 'MIT'])
    await vi.waitFor(async () => {
      const r = await json<{ hits: Array<{ listing: { id: string } }> }>(v, ['market', 'search', 'stakedset'])
      expect(r.hits.map(h => h.listing.id)).toEqual([pub.listing.id])
    }, { timeout: 30_000, interval: 500 })

    // Memory: 30,000 listings of 856 bytes are 24.5 MiB on the wire. What V may keep of them is
    // bounded: ≤ 4 MiB of unstaked envelopes (its budget) in a cache of ≤ 16 MiB; the peer-id and
    // SS58 memos of publisher keys, ≤ 65,536 flat entries each (~200 bytes: ≤ 13 MiB apiece);
    // gossipsub's seen-cache of message ids for two minutes (~1 MiB). Less than 48 MiB of live heap
    // growth shows nothing of the flood is kept beyond those caps (before the fixes this test
    // came with, evicted listings' index entries and rope strings grew it by 91 MiB).
    const after = await settledMemory(v.info.pid)
    const heapGrowth = after.heap - before.heap
    const final = await json<{ usage: Usage }>(v, ['market', 'status'])
    console.log(`flood: ${3 * FLOOD} listings of ${byGossip[0].bytes.length} B made in ${made} ms; V stores ${final.usage.total.listings} (${final.usage.total.bytes} B), the DHT took ${storedByV} puts; V's heap +${mib(heapGrowth)}, RSS +${mib(after.rss - before.rss)}`)
    expect(heapGrowth).toBeLessThan(48 * 2 ** 20)

    // Disk: with V stopped, its datastore holds the listings it counts, and DHT records only for
    // listings it still holds (every record it accepted and later evicted was deleted with it).
    await v.stop()
    const repo = await openRepo(v.repo)
    try {
      const listings = new Set<string>()
      let listingBytes = 0
      for await (const { key, value } of repo.datastore.query({ prefix: '/market/listings/' })) { listings.add(key.toString().slice('/market/listings'.length)); listingBytes += value.length }
      expect(listings.size).toBe(final.usage.total.listings)
      expect(listingBytes).toBe(final.usage.total.bytes)
      const records: string[] = []
      for await (const { key } of repo.datastore.query({ prefix: '/dht/record/' })) records.push(key.toString())
      const kept = new Set([...listings].map(item => dhtRecordKey(new TextEncoder().encode(item)).toString()))
      expect(records.length).toBeGreaterThan(0)
      expect(records.filter(k => !kept.has(k))).toEqual([])
    } finally {
      await repo.close()
    }
  })
})
