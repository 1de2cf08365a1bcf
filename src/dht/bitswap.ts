/**
 * Bitswap on our own libp2p node, for interop with stock IPFS nodes (Helia, Kubo).
 *
 * `@helia/bitswap` 4 exports only a Helia mixin. Importing `helia` (or `@helia/libp2p`) to host
 * it costs ~90 MB of RSS (they load every transport, WebRTC included) and would break the
 * fetching process's memory budget, so we host the mixin on the few members of a Helia node
 * it uses: `libp2p`, `blockstore`, `logger`, `routing`, `getHasher`, and the broker/mixin lists.
 */
import { withBitswap } from '@helia/bitswap'
import { defaultLogger } from '@libp2p/logger'
import { identity } from 'multiformats/hashes/identity'
import { sha256, sha512 } from 'multiformats/hashes/sha2'
import { UnsupportedHashError } from './errors.ts'
import type { BitswapWant } from './workers.ts'
import type { AbortOptions, Libp2p, PeerId } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { Blockstore } from 'interface-blockstore'
import type { CID } from 'multiformats/cid'
import type { MultihashHasher } from 'multiformats/hashes/interface'

interface Broker { name: string, retrieve(cid: CID, o: AbortOptions): Promise<Uint8Array>, stop(): Promise<void> }
interface Mixin { start?(host: unknown): Promise<void> }

/** A running Bitswap engine. */
export interface BitswapEngine extends BitswapWant {
  stop(): Promise<void>
}

function getHasher (code: number): MultihashHasher {
  for (const h of [sha256, sha512, identity] as MultihashHasher[]) if (h.code === code) return h
  throw new UnsupportedHashError(`unsupported multihash code 0x${code.toString(16)}`)
}

/** Starts Bitswap serving `blockstore` on `libp2p` (which must be started). */
export async function startBitswap (libp2p: Libp2p, blockstore: Blockstore): Promise<BitswapEngine> {
  const brokers: Broker[] = []
  const mixins: Mixin[] = []
  const host = {
    status: 'starting',
    libp2p,
    blockstore,
    logger: defaultLogger(),
    getHasher,
    // Policy: Bitswap never queries the DHT itself (it would look up every block, §8.15);
    // our fetcher finds providers of the root and connects to them, and Bitswap asks connected peers
    routing: {
      async * findProviders (): AsyncGenerator<{ id: PeerId, multiaddrs: Multiaddr[] }> {}
    },
    hasBlockBroker: (name: string) => brokers.some(b => b.name === name),
    addBlockBroker: (b: Broker) => { brokers.push(b) },
    addMixin: (m: Mixin) => { mixins.push(m) }
  }
  withBitswap(host as unknown as Parameters<typeof withBitswap>[0])
  for (const m of mixins) await m.start?.(host)
  const broker = brokers.find(b => b.name === 'bitswap')
  if (broker == null) throw new Error('the Bitswap mixin did not register a block broker')
  return {
    want: async (cid, options) => broker.retrieve(cid, options),
    stop: async () => { await broker.stop() }
  }
}
