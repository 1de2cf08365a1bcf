/**
 * The node: an open repo, its content store, and (unless offline) the network and the
 * reprovider, wired together with one lifecycle.
 */
import { defaultLogger, logger } from '@libp2p/logger'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { prometheusMetrics } from '@libp2p/prometheus-metrics'
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client'
import { raceSignal } from 'race-signal'
import { mergeConfig } from './config.ts'
import { Announcer } from './announcer.ts'
import { createNetwork, reprovider } from './dht/index.ts'
import { NotStartedError } from './errors.ts'
import { ContentStore, initRepo, isRepoInitialized, openRepo } from './store/index.ts'
import type { AgoraConfig, ConfigOverrides } from './config.ts'
import { ServiceOrderError, ServiceRegistry } from './service.ts'
import type { NodeComponents, NodeEvents, NodeServiceFactory, StartedServices } from './service.ts'
import type { FetchOptions, FetchResult, Network, NetworkInit, PeerSummary, Reprovider } from './dht/index.ts'
import type { AddResult, BlockReader, Repo, StoreAddOptions } from './store/index.ts'
import type { ImportProfile } from './config.ts'
import type { AbortOptions, PeerId, PeerInfo, Startable } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'

const log = logger('agora:node')

/** How to build a node. */
export interface NodeInit {
  /** Repo directory. */
  repo: string
  /** Create the repo when it does not exist yet. @default true */
  init?: boolean
  /** Config values that override the repo's config for this run only (not written). @default {} */
  config?: ConfigOverrides
  /** Run without libp2p: only the local repo (what the CLI does when no daemon runs). @default false */
  offline?: boolean
  /** Extra network settings (e.g. `inboundConnectionThreshold`, DHT validators). @default {} */
  network?: Partial<Omit<NetworkInit, 'privateKey' | 'blockstore' | 'datastore'>>
  /** Called with operator-facing warnings (e.g. reproviding falls behind). @default undefined (logged only) */
  onWarning?: (message: string) => void
  /**
   * Services (ledger, market, incentives) to create and start, in order, once the network runs.
   * Each one's `requires` (and any `optional` key also given) must come before it. @default []
   */
  services?: NodeServiceFactory[]
}

/** The result of `node.add`. */
export interface NodeAddResult extends AddResult {
  profile: ImportProfile
  /** Peers that took the provider record (0 offline or without peers; the reprovider retries). */
  providedTo: number
}

/** Providers of a root, looked up lazily (see {@link AgoraNode.providerHint}). */
export interface ProviderHint {
  get: () => Promise<PeerId[]>
  /** Whether the lookup has been started. */
  used: () => boolean
}

/** Options for network-aware reads. */
export interface NodeReadOptions extends AbortOptions {
  /** Fetch progress events (network fetches only). */
  onProgress?: FetchOptions['onProgress']
  /** Time without any block arriving before a fetch fails, ms. @default config `fetch.timeoutMs` */
  timeout?: number
  /** Extra providers to try: multiaddrs with /p2p/, or peer ids the peer store knows. @default [] */
  providers?: Array<string | PeerId>
}

/** A running agora peer. Create with {@link createNode}. */
export class AgoraNode implements Startable {
  readonly repo: Repo
  readonly config: AgoraConfig
  /**
   * This node's Prometheus registry: libp2p's metrics, the process's (CPU, memory, event loop,
   * prefixed `agora_process_`/`agora_nodejs_`) and the API's gauges of the node and its services.
   */
  readonly metrics = new Registry()
  /** Counters of what this peer serves and fetches (no labels per peer or CID). */
  readonly #counters = {
    served: new Counter({ name: 'agora_served_blocks_total', help: 'blocks served to peers', registers: [this.metrics] }),
    servedBytes: new Counter({ name: 'agora_served_bytes_total', help: 'block bytes served to peers', registers: [this.metrics] }),
    dontHave: new Counter({ name: 'agora_serve_dont_have_total', help: 'blocks asked for that this peer does not hold', registers: [this.metrics] }),
    serveErrors: new Counter({ name: 'agora_serve_errors_total', help: 'serving streams that failed', registers: [this.metrics] }),
    fetches: new Counter({ name: 'agora_fetches_total', help: 'DAG fetches, by outcome', labelNames: ['outcome'], registers: [this.metrics] }),
    fetchedBytes: new Counter({ name: 'agora_fetched_bytes_total', help: 'block bytes fetched from peers', registers: [this.metrics] }),
    fetchSeconds: new Histogram({ name: 'agora_fetch_duration_seconds', help: 'time of a DAG fetch', buckets: [0.01, 0.1, 0.5, 1, 5, 15, 60, 300], registers: [this.metrics] })
  }

  readonly store: ContentStore
  readonly #init: NodeInit
  #network?: Network
  #reprovider?: Reprovider
  #announcer?: Announcer
  #started = false
  readonly #services = new ServiceRegistry()
  /** Operator warnings and service starts (see `NodeEventMap`). */
  readonly events: NodeEvents = new EventTarget()
  /** Fetches running per root: a second fetch of a root waits for the first (no block twice). */
  readonly #fetching = new Map<string, Promise<unknown>>()

  constructor (repo: Repo, config: AgoraConfig, init: NodeInit) {
    this.repo = repo
    this.config = config
    this.store = new ContentStore(repo)
    this.#init = init
    collectDefaultMetrics({ register: this.metrics, prefix: 'agora_' })
  }

  /** The network, or throws `NotStartedError` offline / before start. */
  get network (): Network {
    if (this.#network == null) throw new NotStartedError(this.#init.offline === true ? 'this node is offline (start the daemon: agora daemon)' : 'the node has not been started')
    return this.#network
  }

  /** The started services by key (`node.services.get(LEDGER)`), `list()` in start order. */
  get services (): StartedServices { return this.#services }

  /** Whether the node has a running network. */
  get online (): boolean { return this.#network != null }

  /** This peer's id (from the repo identity). */
  get peerId (): string {
    return this.#network?.peerId.toString() ?? peerIdOf(this.repo)
  }

  isStarted (): boolean { return this.#started }

  async start (): Promise<void> {
    if (this.#started) return
    if (this.#init.offline !== true) {
      const factories = this.#init.services ?? []
      checkServiceOrder(factories)
      this.#network = await createNetwork({
        inboundConnectionThreshold: this.config.swarm.inboundConnectionThreshold,
        maxConnections: this.config.swarm.maxConnections,
        maxLinksPerBlock: this.config.fetch.maxLinksPerBlock,
        maxBlocks: this.config.fetch.maxBlocks,
        serveMaxBufferedBytes: this.config.serve.maxBufferedBytes,
        ...this.#init.network,
        onServe: (e) => {
          const c = this.#counters
          if (e.type === 'agora:serve:block') {
            c.served.inc()
            c.servedBytes.inc(e.bytes)
          } else if (e.type === 'agora:serve:dont-have') {
            c.dontHave.inc()
          } else {
            c.serveErrors.inc()
          }
          this.#init.network?.onServe?.(e)
        },
        dhtValidators: Object.assign({}, this.#init.network?.dhtValidators, ...factories.map(f => f.dhtValidators)),
        dhtSelectors: Object.assign({}, this.#init.network?.dhtSelectors, ...factories.map(f => f.dhtSelectors)),
        privateKey: this.repo.privateKey,
        blockstore: this.repo.blockstore,
        datastore: this.repo.datastore,
        listen: this.config.addresses.listen,
        announce: this.config.addresses.announce,
        bootstrap: this.config.bootstrap,
        network: this.config.swarm.network,
        // libp2p's own figures (connections, streams and bytes by protocol, DHT queries) in our registry
        metrics: prometheusMetrics({ registry: this.metrics, collectDefaultMetrics: false })
      })
      const announcer = this.#announcer = new Announcer(this.#network)
      this.#reprovider = reprovider({
        interval: this.config.reprovide.intervalMs,
        list: (options) => this.#pinnedRoots(options),
        provide: async (cid, options) => announcer.announce(cid, options)
      })
      this.#reprovider.addEventListener('behind', (e) => {
        const run = (e as CustomEvent<{ total: number, duration: number, interval: number }>).detail
        log.error('reproviding is behind: %o', run)
        this.#warn(`reproviding ${run.total} roots took ${Math.round(run.duration / 1000)} s, longer than the interval of ${Math.round(run.interval / 1000)} s: content may become hard to find`)
      })
      this.#reprovider.start()
      await this.#startServices(factories)
    }
    this.#started = true
  }

  /** Log an operator warning, pass it to `onWarning` and dispatch it as a `warning` event. */
  #warn (message: string): void {
    this.#init.onWarning?.(message)
    this.events.dispatchEvent(new CustomEvent('warning', { detail: message }))
  }

  /** What services see of this node (built once the network runs). */
  #components (network: Network): NodeComponents {
    const store = this.store
    return {
      peerId: network.peerId,
      privateKey: this.repo.privateKey,
      libp2p: network.libp2p,
      blockstore: this.repo.blockstore,
      datastore: this.repo.datastore,
      config: this.config,
      logger: defaultLogger(),
      events: this.events,
      repoPath: this.repo.path,
      onWarning: (m) => { log.error('%s', m); this.#warn(m) },
      content: {
        add: async (path, options) => this.add(path, options),
        fetch: async (cid, options) => this.fetch(cid, options),
        pin: async (cid, options) => this.pin(cid, options),
        unpin: async (cid, options) => this.unpin(cid, options),
        provide: async (cid, options) => network.provide(cid, options),
        findProviders: (cid, options) => network.findProviders(cid, options),
        createProbePeer: async () => network.createProbePeer(),
        readRange: async (root, cid, offset, length, options) => {
          const out = new Uint8Array(length)
          let n = 0
          for await (const piece of store.cat(cid, '', { offset, length, signal: options?.signal, blocks: this.blocks({ root, signal: options?.signal }) })) {
            out.set(piece.subarray(0, length - n), n)
            n += Math.min(piece.length, length - n)
          }
          return out.subarray(0, n)
        },
        local: {
          add: async (path, options) => store.add(path, options),
          stat: async (cid, path, options) => store.stat(cid, path, options),
          cat: (cid, path, options) => store.cat(cid, path, options)
        }
      }
    }
  }

  async #startServices (factories: NodeServiceFactory[]): Promise<void> {
    if (this.#network == null) return
    const components = this.#components(this.#network)
    try {
      for (const f of factories) {
        const svc = await f.create(components, this.#services)
        await svc.start()
        this.#services.register(f.key, svc)
        this.events.dispatchEvent(new CustomEvent('service:start', { detail: f.key.name }))
      }
    } catch (err) {
      await this.#stopServices()
      await this.#stopNetwork()
      throw err
    }
  }

  async #stopServices (): Promise<void> {
    for (const svc of this.#services.list().reverse()) {
      try {
        await svc.stop()
      } catch (err) {
        log.error('stopping service %s failed - %e', svc.name, err)
      }
    }
    this.#services.clear()
  }

  async stop (): Promise<void> {
    if (!this.#started) return
    this.#started = false
    await this.#stopServices()
    await this.#stopNetwork()
    await this.repo.close()
  }

  async #stopNetwork (): Promise<void> {
    this.#announcer?.stop()
    this.#announcer = undefined
    await this.#reprovider?.stop()
    await this.#network?.stop()
    this.#network = undefined
  }

  async * #pinnedRoots (options: AbortOptions): AsyncGenerator<CID> {
    for await (const p of this.store.pins.ls(options)) yield p.cid
  }

  /** Import a file or directory, pin it, and announce it on the DHT when online. */
  async add (path: string, options: StoreAddOptions = {}): Promise<NodeAddResult> {
    const r = await this.store.add(path, options)
    return { ...r, providedTo: await this.#provide(r.cid, options) }
  }

  /** Import a byte stream as one file, pin it, and announce it when online. */
  async addStream (source: AsyncIterable<Uint8Array>, options: StoreAddOptions = {}): Promise<NodeAddResult> {
    const r = await this.store.addStream(source, options)
    return { ...r, providedTo: await this.#provide(r.cid, options) }
  }

  async #provide (cid: CID, options: AbortOptions): Promise<number> {
    return this.#announcer?.tryAnnounce(cid, options) ?? 0
  }

  /**
   * Make the whole DAG under `cid` local: fetched from providers when online (verified, stored
   * blocks skipped); offline it only checks nothing is missing.
   */
  async fetch (cid: CID, options: NodeReadOptions = {}): Promise<FetchResult | undefined> {
    if (this.#network == null) return undefined
    const network = this.#network
    const key = cid.toString()
    // Policy: one fetch per root at a time. A second one waits (as long as its own signal allows)
    // and then finds the blocks the first stored, instead of asking providers for them twice.
    for (let running = this.#fetching.get(key); running != null; running = this.#fetching.get(key)) {
      await raceSignal(running.catch(() => {}), options.signal)
    }
    const run = this.store.lock.shared(async () => network.fetch(cid, {
      signal: options.signal,
      onProgress: options.onProgress,
      timeout: options.timeout ?? this.config.fetch.timeoutMs,
      providers: options.providers
    }))
    this.#fetching.set(key, run)
    const end = this.#counters.fetchSeconds.startTimer()
    try {
      const r = await run
      this.#counters.fetches.inc({ outcome: 'ok' })
      if (r != null) this.#counters.fetchedBytes.inc(r.bytesFetched)
      return r
    } catch (err) {
      this.#counters.fetches.inc({ outcome: (err as Error).name === 'AbortError' ? 'aborted' : 'failed' })
      throw err
    } finally {
      end()
      if (this.#fetching.get(key) === run) this.#fetching.delete(key)
    }
  }

  /**
   * A block reader that returns local blocks and, when online, fetches missing ones (verified,
   * then stored). Use it for reads that touch a few blocks (`ls`, resolving paths). Only DAG
   * roots are announced on the DHT, so blocks below `root` are asked of the root's providers.
   */
  blocks (options: NodeReadOptions & { root?: CID } = {}, hint?: ProviderHint): BlockReader {
    const local = this.store.local
    const bs = this.repo.blockstore
    const network = this.#network
    if (network == null) return local
    const timeout = options.timeout ?? this.config.fetch.timeoutMs
    const providersOf = hint ?? (options.root != null ? this.providerHint(options.root, options) : undefined)
    return {
      get: async function * (cid, o) {
        if (await bs.has(cid, o)) {
          yield * local.get(cid, o)
          return
        }
        const extra = providersOf != null && options.root?.equals(cid) !== true ? await providersOf.get() : []
        yield await network.fetchBlock(cid, { signal: o?.signal ?? options.signal, timeout, providers: [...(options.providers ?? []), ...extra] })
      }
    }
  }

  /**
   * Providers of `root` from the DHT, looked up once on first use (first 4, at most 10 s); none
   * offline. Only roots are announced, so these are whom to ask for blocks below a path.
   */
  providerHint (root: CID, options: AbortOptions = {}): ProviderHint {
    let found: Promise<PeerId[]> | undefined
    const lookup = async (): Promise<PeerId[]> => {
      const peers: PeerId[] = []
      if (this.#network == null) return peers
      try {
        const signal = AbortSignal.any([AbortSignal.timeout(10_000), ...(options.signal != null ? [options.signal] : [])])
        for await (const p of this.#network.findProviders(root, { signal })) {
          peers.push(p.id)
          if (peers.length >= 4) break
        }
      } catch (err) {
        log('provider lookup for %c ended - %e', root, err)
      }
      return peers
    }
    return {
      used: () => found != null,
      get: async () => { found ??= lookup(); return found }
    }
  }

  /** Resolve `cid`/`path` (fetching the path's blocks) and make the target's DAG local. */
  async fetchPath (cid: CID, path: string, options: NodeReadOptions = {}): Promise<{ target: CID, result?: FetchResult }> {
    if (path === '' || this.#network == null) {
      const target = path === '' ? cid : (await this.store.stat(cid, path, options)).cid
      return { target, result: await this.fetch(target, options) }
    }
    const hint = this.providerHint(cid, options)
    const target = (await this.store.stat(cid, path, { ...options, blocks: this.blocks({ ...options, root: cid }, hint) })).cid
    const withHint = async (): Promise<FetchResult | undefined> => this.fetch(target, { ...options, providers: [...(options.providers ?? []), ...await hint.get()] })
    if (hint.used() || !await this.repo.blockstore.has(target)) return { target, result: await withHint() }
    try {
      return { target, result: await this.fetch(target, options) }
    } catch (err) {
      // The target's root was local but some of its blocks were not: ask the root's providers.
      if ((err as Error).name !== 'NoProvidersError') throw err
      return { target, result: await withHint() }
    }
  }

  /** Pin `cid`, fetching its DAG first when online. */
  async pin (cid: CID, options: NodeReadOptions = {}): Promise<void> {
    await this.fetch(cid, options)
    await this.store.pin(cid, options)
    await this.#provide(cid, options)
  }

  /** Unpin `cid` and stop announcing it (its blocks go at the next `repo gc`). */
  async unpin (cid: CID, options?: AbortOptions): Promise<void> {
    await this.store.pins.rm(cid, options)
    await this.#announcer?.withdraw(cid, options)
  }

  /** Providers of `cid` on the DHT. */
  findProviders (cid: CID, options?: AbortOptions): AsyncGenerator<PeerInfo> {
    return this.network.findProviders(cid, options)
  }

  /** Connected peers. */
  peers (): PeerSummary[] {
    return this.network.peers()
  }

  /** Dial a peer by multiaddr (with /p2p/). */
  async connect (addr: string, options?: AbortOptions): Promise<PeerSummary> {
    return this.network.connect(addr, options)
  }

  /** Who this peer is. */
  id (): { peerId: string, publicKey: string, addresses: string[], online: boolean } {
    return {
      peerId: this.peerId,
      publicKey: Buffer.from(this.repo.privateKey.publicKey.raw).toString('base64'),
      addresses: this.#network?.addresses() ?? [],
      online: this.#network != null
    }
  }
}

/**
 * Throws `ServiceOrderError` unless every key a factory requires (or may use and is also given)
 * belongs to a factory before it, and no two factories share a key.
 */
export function checkServiceOrder (factories: readonly NodeServiceFactory[]): void {
  const given = new Map<string, number>()
  for (const [i, f] of factories.entries()) {
    if (given.has(f.key.name)) throw new ServiceOrderError(`two services are registered as ${f.key.name}`)
    given.set(f.key.name, i)
  }
  for (const [i, f] of factories.entries()) {
    for (const dep of f.requires ?? []) {
      const at = given.get(dep.name)
      if (at == null) throw new ServiceOrderError(`service ${f.key.name} requires the ${dep.name} service, which is not given`)
      if (at > i) throw new ServiceOrderError(`service ${f.key.name} requires the ${dep.name} service, which comes after it: list ${dep.name} first`)
    }
    for (const dep of f.optional ?? []) {
      const at = given.get(dep.name)
      if (at != null && at > i) throw new ServiceOrderError(`service ${f.key.name} uses the ${dep.name} service, which comes after it: list ${dep.name} first`)
    }
  }
}

function peerIdOf (repo: Repo): string {
  return peerIdFromPrivateKey(repo.privateKey).toString()
}

/**
 * Open (creating if needed) the repo at `init.repo` and start a node on it. Offline nodes
 * only touch the repo; online ones run libp2p, the DHT and the reprovider.
 */
export async function createNode (init: NodeInit): Promise<AgoraNode> {
  if (init.init !== false && !await isRepoInitialized(init.repo)) await initRepo(init.repo)
  const repo = await openRepo(init.repo)
  const node = new AgoraNode(repo, mergeConfig(repo.config, init.config ?? {}), init)
  try {
    await node.start()
  } catch (err) {
    await repo.close()
    throw err
  }
  return node
}
