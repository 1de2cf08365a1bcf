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
import { ListingIndex, createListing } from '../../src/market/index.ts'
import { openModelParams, SELLER_SECRET } from './helpers.ts'
import { tamper } from './rogue-peer.ts'
import type { Network } from '../../src/dht/index.ts'

const nets: Network[] = []
afterEach(async () => { for (const n of nets.splice(0)) await n.stop() })

async function net (): Promise<Network> {
  const n = await createNetwork({ privateKey: await generateKeyPair('Ed25519'), blockstore: new MemoryBlockstore(), datastore: new MemoryDatastore(), bitswap: false })
  nets.push(n)
  return n
}

/** A server serving `frames` and a client connected to it. */
async function pair (frames: Uint8Array[]): Promise<{ server: Network, client: Network }> {
  const server = await net()
  const client = await net()
  await server.libp2p.handle(CATALOGUE_PROTOCOL, catalogueHandler(async function * () { yield * frames }))
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
    expect(r).toEqual({ received: 3, accepted: 2, refused: 1 })
    expect((await index.search('')).map(h => h.listing.record.name).sort()).toEqual(['alpha', 'beta'])
    // a second pull finds nothing new
    expect(await pullCatalogue(client.libp2p, server.peerId, async (b) => (await index.add(b)).status)).toEqual({ received: 3, accepted: 0, refused: 1 })
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
})
