/** Public types of the network layer. */
import type { GossipSub } from '@libp2p/gossipsub'
import type { Identify } from '@libp2p/identify'
import type { AbortOptions, Libp2p, PeerId, PeerInfo, PrivateKey, Startable } from '@libp2p/interface'
import type { KadDHT } from '@libp2p/kad-dht'
import type { Ping } from '@libp2p/ping'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { Blockstore } from 'interface-blockstore'
import type { Datastore } from 'interface-datastore'
import type { Libp2pOptions } from 'libp2p'
import type { CID } from 'multiformats/cid'

/** The libp2p services every agora peer runs. `ipfsDht` is present only with `NetworkInit.ipfsDht`. */
export type NetworkServices = {
  identify: Identify
  ping: Ping
  dht: KadDHT
  pubsub: GossipSub
  ipfsDht?: KadDHT
}

/** Something the fetch server did, for metrics and tests (`NetworkInit.onServe`). */
export type ServeEvent =
  | { type: 'agora:serve:block', peer: PeerId, cid: CID, bytes: number }
  | { type: 'agora:serve:dont-have', peer: PeerId, cid: CID }
  | { type: 'agora:serve:error', peer: PeerId, error: Error }

/** How to build a peer's network. Only `privateKey`, `blockstore` and `datastore` are required. */
export interface NetworkInit {
  /** The peer's identity (its hotkey): an Ed25519 key from @libp2p/crypto. */
  privateKey: PrivateKey
  /** Blocks served to and fetched from peers. Must be open; the caller closes it after `stop()`. */
  blockstore: Blockstore
  /** DHT records and the peer store. Must be open; closed by the caller. */
  datastore: Datastore
  /** @default ['/ip4/127.0.0.1/tcp/0'] */
  listen?: string[]
  /** libp2p's metrics component (e.g. `@libp2p/prometheus-metrics`). @default none */
  metrics?: Libp2pOptions['metrics']
  /** Addresses announced to peers instead of the listen addresses. @default [] (announce what we listen on) */
  announce?: string[]
  /** Multiaddrs with `/p2p/<id>`: the only peers dialled at start, and redialled whenever not connected. @default [] */
  bootstrap?: string[]
  /**
   * Which addresses are dialled and announced. `'public'`: addresses in private, loopback,
   * link-local, CGNAT, unique-local and unspecified ranges learnt from the network are never
   * dialled, and ours in those ranges are not announced; `bootstrap`, `announce`, `connect()`
   * targets and `FetchOptions.providers` addresses are used as given. `'lan'`: every address
   * (a LAN, a devnet, peers on loopback). @default 'public'
   */
  network?: 'public' | 'lan'
  /** Back-off of bootstrap redials, ms: doubles from `minDelay` to `maxDelay`. @default { minDelay: 1000, maxDelay: 60000 } */
  bootstrapBackoff?: { minDelay?: number, maxDelay?: number }
  /** kad-dht record validators by key prefix (first path segment), e.g. `{ market: fn }`. @default {} */
  dhtValidators?: Record<string, (key: Uint8Array, value: Uint8Array) => Promise<void>>
  /** kad-dht record selectors by key prefix; return the index of the best value. @default {} */
  dhtSelectors?: Record<string, (key: Uint8Array, values: Uint8Array[]) => number>
  /** Serve and fetch over Bitswap (`@helia/bitswap` on our libp2p and blockstore) for IPFS interop. @default true */
  bitswap?: boolean
  /** Also run the stock `/ipfs/kad/1.0.0` DHT, so stock IPFS nodes can find us and we them. @default false */
  ipfsDht?: boolean
  /** Largest block accepted or served, in bytes. @default 2 MiB */
  maxBlockSize?: number
  /** Most links one fetched block may list; a block with more fails its fetch (`TooManyLinksError`). @default 16384 */
  maxLinksPerBlock?: number
  /** Most blocks one fetch may discover under its root; more fails it (`FetchTooLargeError`). @default 4194304 */
  maxBlocks?: number
  /** Inbound `/agora/fetch/1.0.0` streams per connection. @default 8 */
  maxFetchStreams?: number
  /** Time a served stream may stay idle between requests, ms. @default 60000 */
  serveIdleTimeout?: number
  /**
   * Bytes read from the blockstore for peers and not yet taken by them, all streams, connections
   * and both protocols (ours and Bitswap) together; reads beyond it wait. @default 64 MiB
   */
  serveMaxBufferedBytes?: number
  /** Time limit of DHT queries (`provide`, `findProviders`) without a caller signal, ms. @default 30000 */
  queryTimeout?: number
  /** kad-dht's wait before its first self-query, ms; queries wait for it. @default 1000 */
  initialQuerySelfInterval?: number
  /** Raise the per-IP inbound connection rate limit (many peers share 127.0.0.1 in tests). @default 5 (libp2p's) */
  inboundConnectionThreshold?: number
  /** Open connections above which libp2p closes the least useful ones. @default 300 (libp2p's) */
  maxConnections?: number
  /** Called for every block served, refused or failed stream of our fetch protocol. @default undefined */
  onServe?: (event: ServeEvent) => void
  /** Start the network before returning. @default true */
  start?: boolean
}

/** Progress of a fetch, passed to `FetchOptions.onProgress`. */
export type FetchProgressEvent =
  | { type: 'agora:fetch:provider-found', peer: PeerId }
  | { type: 'agora:fetch:provider-connected', peer: PeerId, protocol: 'agora' | 'bitswap' }
  | { type: 'agora:fetch:provider-dropped', peer: PeerId, error: Error }
  | { type: 'agora:fetch:block', cid: CID, bytes: number, peer: PeerId }
  | { type: 'agora:fetch:dont-have', cid: CID, peer: PeerId }
  | { type: 'agora:fetch:skip', cid: CID }
  | { type: 'agora:fetch:done', result: FetchResult }

/** Options of `Network.fetch`. */
export interface FetchOptions extends AbortOptions {
  /** Receives typed progress events. */
  onProgress?: (event: FetchProgressEvent) => void
  /** Time without any block arriving (while blocks are still missing) before failing, ms. @default 30000 */
  timeout?: number
  /** Providers fetched from in parallel. @default 4 */
  maxProviders?: number
  /** Blocks requested from one provider and not yet answered. @default 8 */
  window?: number
  /**
   * Blocks requested or being stored at once, all providers together: with blocks of up to
   * 1 MiB this bounds the fetch's buffers to about 16 MiB however many providers serve it. @default 16
   */
  maxInFlight?: number
  /** Time one provider may take to answer a requested block before it is dropped, ms. @default 10000 */
  messageTimeout?: number
  /** Providers to try before (and besides) those found through the DHT: peer ids or multiaddrs with /p2p/. @default [] */
  providers?: Array<PeerId | Multiaddr | string>
  /** Look for providers on the DHT. @default true */
  useDht?: boolean
}

/** What a provider contributed to a fetch. */
export interface ProviderReport {
  peer: string
  protocol: 'agora' | 'bitswap'
  blocks: number
  bytes: number
  /** The error it was dropped for, if any. */
  error?: string
}

/** The outcome of `Network.fetch`. */
export interface FetchResult {
  root: CID
  /** Blocks fetched from the network and stored. */
  blocksFetched: number
  /** Block bytes fetched from the network. */
  bytesFetched: number
  /** Blocks that were already stored and not requested. */
  blocksSkipped: number
  providers: ProviderReport[]
}

/** A connected peer. */
export interface PeerSummary {
  peerId: string
  addrs: string[]
}

/** Outcome of `Network.provide`. */
export interface ProvideResult {
  /** Peers that accepted the provider record (0 when we have no peers yet; the reprovider retries). */
  peers: number
}

/** A peer's libp2p node and the content operations on top of it. */
export interface Network extends Startable {
  readonly libp2p: Libp2p<NetworkServices>
  readonly peerId: PeerId
  /** Announce on the DHT that we provide `cid`. Provide DAG roots only, never every block. */
  provide(cid: CID, options?: AbortOptions): Promise<ProvideResult>
  /**
   * Stop announcing `cid` (call it when the content is unpinned or removed). kad-dht keeps
   * re-announcing every CID we ever provided until told so; records already placed on other
   * peers expire there after 48 h.
   */
  unprovide(cid: CID, options?: AbortOptions): Promise<void>
  /** Providers of `cid` found through the DHT (ourselves excluded), each once. */
  findProviders(cid: CID, options?: AbortOptions): AsyncGenerator<PeerInfo>
  /** Fetches the whole DAG under `root` into the blockstore, verified, skipping stored blocks. */
  fetch(root: CID, options?: FetchOptions): Promise<FetchResult>
  /** One block, from the blockstore or else fetched (verified, then stored). */
  fetchBlock(cid: CID, options?: FetchOptions): Promise<Uint8Array>
  /** Dials a peer by multiaddr (with /p2p/). */
  connect(addr: Multiaddr | string, options?: AbortOptions): Promise<PeerSummary>
  /** Peers we have an open connection to. */
  peers(): PeerSummary[]
  /** Our listen addresses with /p2p/<id>. */
  addresses(): string[]
  /**
   * A started libp2p peer with a fresh ed25519 key that only dials (same transports and address
   * policy as this network): validators probe miners from such peers, so a probe cannot be told
   * from a buyer's request by its peer id. The caller stops it.
   */
  createProbePeer(): Promise<Libp2p>
}
