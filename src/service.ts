/**
 * The seam through which the ledger, the market and the incentives plug into a node. Each area
 * exports a {@link NodeServiceFactory}; the daemon passes the factories it wants in
 * `NodeInit.services`, and the node creates and starts them, in order, once its network runs
 * (and stops them in reverse order before the network stops).
 */
import type { NetworkInit } from './dht/index.ts'
import type { AgoraNode } from './node.ts'
import type { Route } from './api/server.ts'

/** What a service gets when it is created. */
export interface NodeServiceContext {
  /** The started node (repo, store, network). */
  node: AgoraNode
  /** Services created before this one, by name (e.g. the market finds the ledger here). */
  services: ReadonlyMap<string, NodeService>
  /** Operator-facing warnings (the daemon prints them). */
  onWarning: (message: string) => void
}

/** A running part of a node. */
export interface NodeService {
  readonly name: string
  start: () => Promise<void>
  stop: () => Promise<void>
  /** API routes (behind the token), under `/api/v0/<area>/…`. @default none */
  routes?: () => Route[]
}

/** Builds a service; what the network must know at construction comes with it. */
export interface NodeServiceFactory {
  readonly name: string
  /** DHT record validators by namespace: every node needs them to store or read such records. */
  dhtValidators?: NetworkInit['dhtValidators']
  /** DHT record selectors by namespace. */
  dhtSelectors?: NetworkInit['dhtSelectors']
  /** Error name → HTTP status for the errors this service's routes raise. */
  errorStatus?: Readonly<Record<string, number>>
  create: (ctx: NodeServiceContext) => Promise<NodeService>
}
