/**
 * The catalogue protocol between two real libp2p peers (the project's network stack, in-process,
 * TCP on 127.0.0.1): a pull takes every listing the server yields, verified one by one, and
 * stops at the size and count limits with a named error.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { MemoryBlockstore } from 'blockstore-core'
import { MemoryDatastore } from 'datastore-core'
import { afterEach, describe, expect, it } from 'vitest'
import { createNetwork } from '../../src/dht/index.ts'
import { CATALOGUE_PROTOCOL, DEFAULT_CATALOGUE_LIMITS, catalogueHandler, pullCatalogue } from '../../src/market/catalogue.ts'
import type { CatalogueCursor } from '../../src/market/catalogue.ts'
import { ListingIndex, createListing } from '../../src/market/index.ts'
import { openModelParams, SELLER_SECRET } from './helpers.ts'
import { tamper } from './rogue-peer.ts'
import type { Network } from '../../src/dht/index.ts'

const nets: Network[] = []
afterEach(async () => { for (const n of nets.splice(0)) await n.stop() })

async function net (): Promise<Network> {
  const n = await createNetwork({ privateKey: await generateKeyPair('Ed25519'), blockstore: new MemoryBlockstore(), datastore: new MemoryDatastore(), bitswap: false, network: 'lan' })
  nets.push(n)
  return n
}

/** A server serving `frames` and a client connected to it. */
async function pair (frames: Uint8Array[]): Promise<{ server: Network, client: Network }> {
  const server = await net()
  const client = await net()
  await server.libp2p.handle(CATALOGUE_PROTOCOL, catalogueHandler(() => ({ listings: frames, next: { instance: new Uint8Array(8).fill(1), position: frames.length } })))
  await client.connect(server.addresses()[0])
  return { server, client }
}

const now = Date.now()
const listing = (name: string): Uint8Array => createListing(openModelParams({ name, created: now, expires: now + 86_400_000 }), SELLER_SECRET).bytes

describe('catalogue protocol', () => {
  it('default: a pull takes every valid listing into the index and counts the refused ones', async () => {
    const bad = tamper(listing('decoy'), p => { p.name = 'forged' })
    const { server, client } = await pair([listing('alpha'), bad, listing('beta')])
    const index = new ListingIndex({ datastore: new MemoryDatastore() })
    await index.start()
    const r = await pullCatalogue(client.libp2p, server.peerId, async (b) => (await index.add(b)).status)
    expect(r).toEqual({ received: 3, accepted: 2, refused: 1, next: { instance: new Uint8Array(8).fill(1), position: 3 } })
    expect((await index.search('')).map(h => h.listing.record.name).sort()).toEqual(['alpha', 'beta'])
    // a second pull finds nothing new
    expect(await pullCatalogue(client.libp2p, server.peerId, async (b) => (await index.add(b)).status)).toMatchObject({ received: 3, accepted: 0, refused: 1 })
  })

  it('behavior: a pull from a cursor takes only what the server indexed after it; a cursor of another index run takes everything', async () => {
    // the server side of the market service: its own listing index answers
    const server = await net()
    const client = await net()
    const held = new ListingIndex({ datastore: new MemoryDatastore() })
    await held.start()
    const mine = new ListingIndex({ datastore: new MemoryDatastore() })
    await mine.start()
    await server.libp2p.handle(CATALOGUE_PROTOCOL, catalogueHandler((from, o) => {
      const next = held.cursor
      const same = from != null && Buffer.from(from.instance).equals(Buffer.from(next.instance))
      return { listings: same ? held.since(from.position, o) : held.current(o), next }
    }))
    await client.connect(server.addresses()[0])
    const pull = async (from?: CatalogueCursor): Promise<{ names: string[], next?: CatalogueCursor }> => {
      const names: string[] = []
      const r = await pullCatalogue(client.libp2p, server.peerId, async (b) => {
        const a = await mine.add(b)
        names.push(a.listing.record.name)
        return a.status
      }, DEFAULT_CATALOGUE_LIMITS, { from })
      return { names, next: r.next }
    }
    await held.add(listing('alpha'))
    await held.add(listing('beta'))
    const first = await pull()
    expect(first.names.sort()).toEqual(['alpha', 'beta'])
    // two versions indexed: the cursor stands after them
    expect(first.next?.position).toBe(2)
    expect(await pull(first.next)).toEqual({ names: [], next: first.next })
    await held.add(listing('gamma'))
    // a newer version of alpha supersedes the first: only it and gamma are new
    await held.add(createListing(openModelParams({ name: 'alpha', seq: 2, created: now, expires: now + 86_400_000 }), SELLER_SECRET).bytes)
    const second = await pull(first.next)
    expect(second.names.sort()).toEqual(['alpha', 'gamma'])
    expect(second.next?.position).toBe(4)
    expect((await mine.search('alpha'))[0].listing.record.seq).toBe(2)
    // a cursor from another run of the server's index (it restarted): everything current again
    const other = await pull({ instance: new Uint8Array(8).fill(9), position: 4 })
    expect(other.names.sort()).toEqual(['alpha', 'beta', 'gamma'])
  })

  it('behavior: more listings than the limit end the pull with CatalogueLimitError; what came before stays', async () => {
    const { server, client } = await pair([listing('one'), listing('two'), listing('three')])
    const got: Uint8Array[] = []
    await expect(pullCatalogue(client.libp2p, server.peerId, async (b) => { got.push(b); return 'added' }, { ...DEFAULT_CATALOGUE_LIMITS, maxListings: 2 }))
      .rejects.toMatchObject({ name: 'CatalogueLimitError' })
    expect(got).toHaveLength(2)
  })

  it('behavior: a frame above the 64 KiB listing limit is refused before it is read', async () => {
    const { server, client } = await pair([new Uint8Array(64 * 1024 + 1)])
    let called = false
    await expect(pullCatalogue(client.libp2p, server.peerId, async () => { called = true; return 'added' }))
      .rejects.toMatchObject({ name: 'CatalogueLimitError' })
    expect(called).toBe(false)
  })

  it('behavior: a slow puller takes a catalogue of 5,000 listings of 64 KiB whole: the server waits for it', { timeout: 120_000 }, async () => {
    // 5,000 frames of 64 KiB are 320 MiB, far more than a stream buffers (4 MiB): a server that
    // wrote ahead of a slow puller overflowed its read buffer (StreamBufferError). The frames
    // only need to be distinct here (the ingest stands in for the index); the limits are raised
    // to fit the catalogue, which is what a pull of a big honest catalogue is allowed to be.
    const frames = Array.from({ length: 5000 }, (_, i) => new Uint8Array(64 * 1024).fill(i % 251))
    const { server, client } = await pair(frames)
    let seen = 0
    let bytes = 0
    const r = await pullCatalogue(client.libp2p, server.peerId, async (b) => {
      expect(b[0]).toBe(seen % 251)
      seen++
      bytes += b.byteLength
      // slow: the puller's ingest takes a while now and then (a disk write, a signature check burst)
      if (seen % 250 === 0) await new Promise(resolve => setTimeout(resolve, 50))
      return 'added'
    }, { ...DEFAULT_CATALOGUE_LIMITS, maxBytes: 400 * 1024 * 1024 })
    expect(r).toMatchObject({ received: 5000, accepted: 5000, refused: 0 })
    expect(bytes).toBe(5000 * 64 * 1024)
  })
})
