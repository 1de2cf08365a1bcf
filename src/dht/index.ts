/**
 * @packageDocumentation
 *
 * The network layer of an agora peer: libp2p, the private Kademlia DHT, our block streaming
 * protocol `/agora/fetch/1.0.0`, Bitswap for IPFS interop, and reproviding.
 *
 * @example
 * ```ts
 * const network = await createNetwork({ privateKey, blockstore, datastore, bootstrap: [addr] })
 * await network.provide(root)
 * const result = await network.fetch(otherRoot, { onProgress: e => { ... } })
 * await network.stop()
 * ```
 */
export { createNetwork } from './network.ts'
export { Reprovider, reprovider } from './reprovider.ts'
export type { ReproviderInit, ReproviderEvents, ReproviderRun } from './reprovider.ts'
export { verifyBlock } from './blocks.ts'
export * from './errors.ts'
export { AGORA_KAD_PROTOCOL, FETCH_PROTOCOL, IPFS_KAD_PROTOCOL } from './constants.ts'
export type * from './types.ts'
