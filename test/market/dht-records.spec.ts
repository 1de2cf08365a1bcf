/**
 * The market's DHT validator and selector plugged into real kad-dht nodes (in-process libp2p
 * over TCP on 127.0.0.1): newer versions win, forged records are refused by every remote, and
 * peers that know a newer version refuse a replayed older one.
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { kadDHT, passthroughMapper } from '@libp2p/kad-dht'
import type { KadDHT, SingleKadDHT } from '@libp2p/kad-dht'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { MemoryDatastore } from 'datastore-core'
import { createLibp2p } from 'libp2p'
import type { Libp2p } from 'libp2p'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { DHT_NAMESPACE } from '../../src/market/constants.ts'
import { ListingIndex } from '../../src/market/listing-index.ts'
import { createListing, updateListing } from '../../src/market/listing.ts'
import { listingKey, listingValidator, selectListingRecord } from '../../src/market/record.ts'
import { DAY, SELLER_SECRET, openModelParams } from './helpers.ts'

type Node = Libp2p<{ dht: KadDHT }>
const nodes: Node[] = []

afterEach(async () => {
  await Promise.all(nodes.splice(0).map(async n => n.stop()))
})

async function node (index: ListingIndex): Promise<Node> {
  const n = await createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    peerDiscovery: [],
    connectionManager: { inboundConnectionThreshold: 1000 },
    services: {
      identify: identify(),
      ping: ping({ maxOutboundStreams: 8 }),
      dht: kadDHT({
        protocol: '/agora-test/kad/1.0.0',
        clientMode: false,
        peerInfoMapper: passthroughMapper,
        validators: { [DHT_NAMESPACE]: listingValidator({ knownSequence: k => index.knownSequence(k) }) },
        selectors: { [DHT_NAMESPACE]: selectListingRecord }
      })
    }
  })
  nodes.push(n)
  return n
}

/** Puts and counts the remote peers that accepted (kad-dht's put never throws). */
async function put (n: Node, key: Uint8Array, value: Uint8Array): Promise<number> {
  let accepted = 0
  for await (const e of n.services.dht.put(key, value, { signal: AbortSignal.timeout(20_000) })) {
    if (e.name === 'PEER_RESPONSE' && e.messageName === 'PUT_VALUE') accepted++
  }
  return accepted
}

describe('dht records', { timeout: 60_000 }, () => {
  it('default: the newest version wins, forgeries and replays are refused', async () => {
    const indexes = await Promise.all([0, 1, 2].map(async () => {
      const ix = new ListingIndex({ datastore: new MemoryDatastore() })
      await ix.start()
      return ix
    }))
    const [a, b, c] = await Promise.all(indexes.map(node))
    await a.dial(b.getMultiaddrs()[0])
    await b.dial(c.getMultiaddrs()[0])
    await c.dial(a.getMultiaddrs()[0])
    await vi.waitFor(() => {
      for (const n of [a, b, c]) expect((n.services.dht as SingleKadDHT).routingTable.size).toBeGreaterThanOrEqual(2)
    }, { timeout: 20_000, interval: 100 })

    const now = Date.now()
    const v1 = createListing(openModelParams({ created: now, expires: now + DAY }), SELLER_SECRET)
    const v2 = updateListing(v1, { description: 'second version', created: now + 1, expires: now + DAY }, SELLER_SECRET)
    const key = listingKey(v1.record)
    const get = async (n: Node): Promise<Uint8Array> => n.contentRouting.get(key, { signal: AbortSignal.timeout(20_000) })

    expect(await put(a, key, v1.bytes)).toBe(2)
    expect(await get(c)).toEqual(v1.bytes)
    expect(await put(a, key, v2.bytes)).toBe(2)
    expect(await get(c)).toEqual(v2.bytes)

    const forged = v2.bytes.slice()
    forged[forged.length - 1] ^= 1
    expect(await put(a, key, forged)).toBe(0)
    expect(await get(c)).toEqual(v2.bytes)

    // B and C have indexed v2 (as gossip would have done): a replay of v1 is refused by both
    await indexes[1].add(v2.bytes)
    await indexes[2].add(v2.bytes)
    expect(await put(a, key, v1.bytes)).toBe(0)
    expect(await get(c)).toEqual(v2.bytes)
  })
})
