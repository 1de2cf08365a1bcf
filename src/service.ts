/**
 * The seam through which the ledger, the market and the incentives plug into a node, in the
 * manner of js-libp2p services: each area exports a key (`LEDGER`, `MARKET`, `INCENTIVES`) and
 * a camelCase factory (`ledgerService(init)`) that declares its key, the keys it needs and may
 * use, and its DHT validators. The daemon passes the factories in `NodeInit.services`; the node
 * builds {@link NodeComponents} once its network runs and creates and starts the services in
 * the order given (and stops them in reverse order before the network stops).
 *
 * A service sees only its components and the registry of the services created before it: never
 * the node itself, never HTTP (the API builds the routes from the typed services).
 *
 * @example
 * ```ts
 * export const LEDGER = serviceKey<LedgerService>('ledger')
 * const chain = services.require(LEDGER) // typed; throws ServiceNotFoundError without a chain
 * ```
 */
import type { AgoraConfig, ImportProfile } from './config.ts'
import type { FetchOptions, FetchResult, NetworkInit, NetworkServices, ProvideResult } from './dht/index.ts'
import type { AddResult, ContentStore, StoreAddOptions } from './store/index.ts'
import type { AbortOptions, ComponentLogger, Libp2p, PeerId, PeerInfo, PrivateKey, Startable } from '@libp2p/interface'
import type { Blockstore } from 'interface-blockstore'
import type { Datastore } from 'interface-datastore'
import type { CID } from 'multiformats/cid'

/** A typed name of a service: what `get`/`require` return for it follows from the key. */
export interface ServiceKey<T> {
  readonly name: string
  /** Type carrier only: never set. */
  readonly __type?: T
}

/** The key of a service of type `T` registered under `name`. */
export function serviceKey<T> (name: string): ServiceKey<T> {
  return Object.freeze({ name })
}

/** A service needed (`require`) but not created before the one asking for it. */
export class ServiceNotFoundError extends Error {
  static override name = 'ServiceNotFoundError'
  override name = 'ServiceNotFoundError'
}

/**
 * The services given to a node cannot be created in that order: one requires a key that no
 * service before it provides, or two share a key.
 */
export class ServiceOrderError extends Error {
  static override name = 'ServiceOrderError'
  override name = 'ServiceOrderError'
}

/** The services created so far, by key. */
export interface ServiceLookup {
  /** The service of `key`, or undefined when the node does not run it. */
  get: <T>(key: ServiceKey<T>) => T | undefined
  /** The service of `key`; throws `ServiceNotFoundError` when the node does not run it. */
  require: <T>(key: ServiceKey<T>) => T
}

/** What the node shows of its started services (the API lists them; only the node registers). */
export interface StartedServices extends ServiceLookup {
  has: (key: ServiceKey<unknown>) => boolean
  /** The started services, in start order. */
  list: () => NodeService[]
}

/**
 * The registry the node fills as it creates services. The one cast between a key's type and
 * the stored value lives in `get`: `register` only accepts a value of the key's type.
 */
export class ServiceRegistry implements StartedServices {
  readonly #byName = new Map<string, NodeService>()

  register<T extends NodeService> (key: ServiceKey<T>, service: T): void {
    if (this.#byName.has(key.name)) throw new ServiceOrderError(`two services are registered as ${key.name}`)
    this.#byName.set(key.name, service)
  }

  get<T> (key: ServiceKey<T>): T | undefined {
    return this.#byName.get(key.name) as T | undefined
  }

  require<T> (key: ServiceKey<T>): T {
    const s = this.get(key)
    if (s == null) throw new ServiceNotFoundError(`no ${key.name} service runs on this node`)
    return s
  }

  has (key: ServiceKey<unknown>): boolean { return this.#byName.has(key.name) }

  /** The registered services, in creation order. */
  list (): NodeService[] { return [...this.#byName.values()] }

  clear (): void { this.#byName.clear() }
}

/** What `content.add` returns. */
export interface ContentAddResult extends AddResult {
  profile: ImportProfile
  /** Peers that took the provider record (0 without peers; the node retries). */
  providedTo: number
}

/**
 * The node's content operations a service may call: imports, fetches, pins and provider
 * records over the network, and reads of the local store only (`local`).
 */
export interface NodeContent {
  /** Import a file or directory, pin it, and announce it. */
  add: (path: string, options?: StoreAddOptions) => Promise<ContentAddResult>
  /** Make the DAG under `cid` local (verified blocks from providers; stored blocks skipped). */
  fetch: (cid: CID, options?: AbortOptions & Pick<FetchOptions, 'onProgress'>) => Promise<FetchResult | undefined>
  /** Pin `cid`, fetching its DAG first, and announce it. */
  pin: (cid: CID, options?: AbortOptions) => Promise<void>
  /** Unpin `cid` and stop announcing it. */
  unpin: (cid: CID, options?: AbortOptions) => Promise<void>
  /** Put a provider record for `cid` on the DHT now. */
  provide: (cid: CID, options?: AbortOptions) => Promise<ProvideResult>
  /** Providers of `cid` on the DHT (ourselves excluded). */
  findProviders: (cid: CID, options?: AbortOptions) => AsyncIterable<PeerInfo>
  /** A dial-only libp2p peer with a fresh key (`Network.createProbePeer`); the caller stops it. */
  createProbePeer: () => Promise<Libp2p>
  /**
   * Read `length` bytes at `offset` of the file `cid` under the DAG `root`, fetching (verified)
   * only the blocks that hold them from the root's providers; stored blocks are read locally.
   */
  readRange: (root: CID, cid: CID, offset: number, length: number, options?: AbortOptions) => Promise<Uint8Array>
  /** The local store, no network: import without announcing, stat and read files. */
  local: Pick<ContentStore, 'add' | 'stat' | 'cat'>
}

/** What the node tells its services and the daemon. */
export interface NodeEventMap {
  /** An operator-facing warning (also passed to `onWarning`). */
  warning: CustomEvent<string>
  /** A service started (its key's name). */
  'service:start': CustomEvent<string>
}

type AddOptions = Parameters<EventTarget['addEventListener']>[2]
type RemoveOptions = Parameters<EventTarget['removeEventListener']>[2]

/**
 * A typed `EventTarget` of {@link NodeEventMap} (a plain `EventTarget` is one: the typed
 * overloads only narrow what listeners receive).
 */
export interface NodeEvents extends EventTarget {
  // method syntax on purpose: listener parameters compare bivariantly, as EventTarget's do
  addEventListener<K extends keyof NodeEventMap>(type: K, listener: (e: NodeEventMap[K]) => void, options?: AddOptions): void
  addEventListener(...args: Parameters<EventTarget['addEventListener']>): void
  removeEventListener<K extends keyof NodeEventMap>(type: K, listener: (e: NodeEventMap[K]) => void, options?: RemoveOptions): void
  removeEventListener(...args: Parameters<EventTarget['removeEventListener']>): void
}

/** What a service may use: everything of the node it touches, nothing more. */
export interface NodeComponents {
  peerId: PeerId
  /** The peer's libp2p key, which is also its hotkey. */
  privateKey: PrivateKey
  libp2p: Libp2p<NetworkServices>
  blockstore: Blockstore
  datastore: Datastore
  config: AgoraConfig
  logger: ComponentLogger
  events: NodeEvents
  /** The repo directory (the market keeps its content keys in files there). */
  repoPath: string
  content: NodeContent
  /** Operator-facing warnings (the daemon prints them). */
  onWarning: (message: string) => void
}

/** A running part of a node. */
export interface NodeService extends Startable {
  readonly name: string
}

/** Builds a service; what the network must know at construction comes with it. */
export interface NodeServiceFactory<T extends NodeService = NodeService> {
  readonly key: ServiceKey<T>
  /** Services that must be created before this one (`services.require` them). @default [] */
  readonly requires?: ReadonlyArray<ServiceKey<NodeService>>
  /** Services used when present (`services.get`); created before this one when listed. @default [] */
  readonly optional?: ReadonlyArray<ServiceKey<NodeService>>
  /** DHT record validators by namespace: every node needs them to store or read such records. */
  readonly dhtValidators?: NetworkInit['dhtValidators']
  /** DHT record selectors by namespace. */
  readonly dhtSelectors?: NetworkInit['dhtSelectors']
  create: (components: NodeComponents, services: ServiceLookup) => T | Promise<T>
}
