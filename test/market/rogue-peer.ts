/**
 * An in-process libp2p peer (the project's own network stack, memory stores) that speaks the
 * market's wire formats directly: it gossips, puts DHT records and serves a catalogue of
 * whatever bytes a test gives it, so tests can push tampered listings at real daemons.
 */
import * as dagCbor from '@ipld/dag-cbor'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { MemoryBlockstore } from 'blockstore-core'
import { MemoryDatastore } from 'datastore-core'
import { createNetwork } from '../../src/dht/index.ts'
import { CATALOGUE_PROTOCOL, catalogueHandler } from '../../src/market/catalogue.ts'
import { MARKET_TOPIC } from '../../src/market/gossip.ts'
import { DHT_NAMESPACE } from '../../src/market/index.ts'
import type { Network } from '../../src/dht/index.ts'

/** A peer that announces arbitrary listing bytes. */
export interface RoguePeer {
  network: Network
  /** The 32-byte seed of its ed25519 key (to sign honest listings with). */
  secret: Uint8Array
  /** Replace what it serves to catalogue pullers. */
  serve: (listings: Uint8Array[]) => void
  /** Publish bytes on the listing topic; returns the number of recipients. */
  gossip: (bytes: Uint8Array) => Promise<number>
  /** Put bytes under a DHT key; returns the number of peers that stored it. */
  put: (key: Uint8Array, bytes: Uint8Array) => Promise<number>
  stop: () => Promise<void>
}

/**
 * Starts the peer. Its own DHT accepts any record in the market namespace (it is the attacker;
 * the daemons it talks to run the real validator).
 */
export async function startRoguePeer (): Promise<RoguePeer> {
  let catalogue: Uint8Array[] = []
  const privateKey = await generateKeyPair('Ed25519')
  const network = await createNetwork({
    privateKey,
    blockstore: new MemoryBlockstore(),
    datastore: new MemoryDatastore(),
    bitswap: false,
    network: 'lan',
    dhtValidators: { [DHT_NAMESPACE]: async () => {} },
    dhtSelectors: { [DHT_NAMESPACE]: () => 0 }
  })
  const libp2p = network.libp2p
  // every request gets the whole (tampered) catalogue, and a cursor of a run that never changes
  await libp2p.handle(CATALOGUE_PROTOCOL, catalogueHandler(() => ({ listings: catalogue, next: { instance: new Uint8Array(8).fill(7), position: 0 } })))
  libp2p.services.pubsub.subscribe(MARKET_TOPIC)
  return {
    network,
    secret: privateKey.raw.subarray(0, 32),
    serve: (listings) => { catalogue = listings },
    gossip: async (bytes) => (await libp2p.services.pubsub.publish(MARKET_TOPIC, bytes)).recipients.length,
    put: async (key, bytes) => {
      let n = 0
      for await (const ev of libp2p.services.dht.put(key, bytes, { signal: AbortSignal.timeout(20_000) })) {
        if (ev.name === 'PEER_RESPONSE' && ev.messageName === 'PUT_VALUE') n++
      }
      return n
    },
    stop: async () => { await network.stop() }
  }
}

/**
 * Listing bytes whose signed payload was changed after signing: `change` edits the decoded
 * payload, the original signature stays. Every verifier must refuse them (InvalidSignatureError).
 */
export function tamper (bytes: Uint8Array, change: (payload: Record<string, unknown>) => void): Uint8Array {
  const env = dagCbor.decode<{ payload: Record<string, unknown>, publicKey: Uint8Array, signature: Uint8Array }>(bytes)
  change(env.payload)
  return dagCbor.encode(env)
}
