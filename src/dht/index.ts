/**
 * @packageDocumentation
 *
 * The network layer of an agora peer: libp2p over TCP (Noise, Yamux, identify, ping), our
 * private Kademlia DHT, gossipsub as `pubsub`, our block streaming protocol
 * `/agora/fetch/1.0.0`, Bitswap for IPFS interop, and reproviding.
 *
 * @example
 * ```ts
 * const network = await createNetwork({ privateKey, blockstore, datastore, bootstrap: [addr] })
 * await network.provide(root)                       // DAG roots only
 * const result = await network.fetch(otherRoot, { onProgress: e => { ... } })
 * await network.stop()                              // then close the stores
 * ```
 *
 * Decisions:
 * - **DHT.** `/agora/kad/1.0.0` in explicit server mode, `passthroughMapper` (loopback and LAN
 *   addresses are kept), no peer discovery: only `bootstrap` peers are dialled.
 *   `allowQueryWithZeroPeers` makes a query with an empty routing table end at once instead of
 *   waiting 180 s; the fetcher and the reprovider retry. The stock `/ipfs/kad/1.0.0` DHT is
 *   **off by default** (`ipfsDht: true` turns it on, with its own datastore prefix): discovery
 *   among stock IPFS nodes needs the public network, which an agora peer never contacts, and
 *   Bitswap interop with a known Helia/Kubo peer works without it.
 * - **Transfer.** Between agora peers, `/agora/fetch/1.0.0` (see `wire.ts`): batched WANTs,
 *   answers in order, length-prefixed messages whose size is checked before their body is read,
 *   a bounded window per provider, 'drain'-based backpressure, per-message timeouts. Every block
 *   is hashed against its CID before it is stored; blocks already stored are never requested, so
 *   a fetch resumes where a killed one stopped. Misbehaving providers are dropped and reported in
 *   progress events; the others carry on.
 * - **Bitswap.** `@helia/bitswap` hosted on our own libp2p and blockstore, without `helia`
 *   itself (which would add ~90 MB of RSS). It serves any IPFS peer; our fetcher uses it for
 *   providers that do not speak our protocol. It never queries the DHT per block.
 */
export { createNetwork } from './network.ts'
export { Reprovider, reprovider } from './reprovider.ts'
export type { ReproviderRun } from './reprovider.ts'
export * from './errors.ts'
export { FETCH_PROTOCOL } from './constants.ts'
export { guardTopic } from './topic-guard.ts'
export { dhtRecordKey } from './record-key.ts'
export type * from './types.ts'
export { verifyBlock } from './blocks.ts'
export { DEFAULT_MAX_BLOCK_SIZE } from './constants.ts'
export { send as sendFrame } from './fetch-server.ts'
export { BLOCK, decodeResponse, encodeWant, FrameReader } from './wire.ts'
