/**
 * `createNetwork`: the libp2p node of a peer, Bitswap on it (optional), our fetch protocol,
 * and the DHT operations on top of it.
 */
import { logger } from '@libp2p/logger'
import { isMultiaddr, multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { AddressScope } from './address-scope.ts'
import { startBitswap } from './bitswap.ts'
import { BootstrapKeeper } from './bootstrap.ts'
import { assertSupportedHash, isIdentity } from './blocks.ts'
import { DEFAULT_FETCH_TIMEOUT, DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_BLOCK_SIZE, DEFAULT_MAX_BLOCKS, DEFAULT_MAX_LINKS_PER_BLOCK, DEFAULT_MAX_FETCH_STREAMS, DEFAULT_MAX_PROVIDERS, DEFAULT_MAX_IN_FLIGHT, DEFAULT_MESSAGE_TIMEOUT, DEFAULT_QUERY_TIMEOUT, DEFAULT_WINDOW, FETCH_PROTOCOL } from './constants.ts'
import { NotFoundError } from '../errors.ts'
import { NetworkNotStartedError } from './errors.ts'
import { runFetch } from './fetcher.ts'
import { fetchHandler, readBlock } from './fetch-server.ts'
import { libp2pOptions, probePeerOptions } from './libp2p-options.ts'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { DEFAULT_MAX_BUFFERED_BYTES, ServeBudget } from './serve-budget.ts'
import type { FetchContext } from './fetcher.ts'
import type { FetchOptions, FetchResult, Network, NetworkInit, NetworkServices, PeerSummary, ProvideResult } from './types.ts'
import type { BitswapEngine } from './bitswap.ts'
import type { AbortOptions, Libp2p, PeerId, PeerInfo } from '@libp2p/interface'
import type { KadDHT } from '@libp2p/kad-dht'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { CID } from 'multiformats/cid'

const log = logger('agora:dht')

/**
 * Delay between libp2p's stop and our return, so the caller may close its stores (libp2p still
 * writes to the peer store briefly after `stop()` resolves).
 */
const STOP_GRACE_MS = 200

class AgoraNetwork implements Network {
  private readonly init: NetworkInit
  /** The address policy and the allow-list of the addresses the user gave (address-scope.ts). */
  private readonly scope: AddressScope
  private node?: Libp2p<NetworkServices>
  private bitswap?: BitswapEngine
  private bootstrap?: BootstrapKeeper
  private shutdown = new AbortController()
  private started = false
  /** Fetches in progress; `stop()` lets them abort their streams before libp2p stops. */
  private readonly running = new Set<Promise<unknown>>()

  constructor (init: NetworkInit) {
    this.init = init
    this.scope = new AddressScope(init.network ?? 'public', { dial: init.bootstrap, announce: init.announce })
  }

  get libp2p (): Libp2p<NetworkServices> {
    if (this.node == null) throw new NetworkNotStartedError('the network has not been started')
    return this.node
  }

  get peerId (): PeerId {
    return this.libp2p.peerId
  }

  isStarted (): boolean {
    return this.started
  }

  async createProbePeer (): Promise<Libp2p> {
    const node = await createLibp2p(probePeerOptions(await generateKeyPair('Ed25519'), this.scope))
    await node.start()
    return node
  }

  async start (): Promise<void> {
    if (this.started) return
    this.shutdown = new AbortController()
    const node = await createLibp2p(libp2pOptions(this.init, this.scope)) as unknown as Libp2p<NetworkServices>
    await node.start()
    this.node = node
    // Policy: one budget for every byte being served, our protocol and Bitswap together (serve-budget.ts)
    const budget = new ServeBudget({ maxBytes: this.init.serveMaxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES })
    if (this.init.bitswap !== false) this.bitswap = await startBitswap(node, this.init.blockstore, { budget, maxBlockSize: this.init.maxBlockSize ?? DEFAULT_MAX_BLOCK_SIZE })
    await this.node.handle(FETCH_PROTOCOL, fetchHandler({
      blockstore: this.init.blockstore,
      maxBlockSize: this.init.maxBlockSize ?? DEFAULT_MAX_BLOCK_SIZE,
      idleTimeout: this.init.serveIdleTimeout ?? DEFAULT_IDLE_TIMEOUT,
      budget,
      onServe: this.init.onServe
    }), { maxInboundStreams: this.init.maxFetchStreams ?? DEFAULT_MAX_FETCH_STREAMS })
    this.started = true
    this.bootstrap = new BootstrapKeeper(node, { addrs: this.init.bootstrap ?? [], dialTimeout: DEFAULT_MESSAGE_TIMEOUT, ...this.init.bootstrapBackoff })
    await this.bootstrap.start()
  }

  async stop (): Promise<void> {
    if (!this.started) return
    this.started = false
    this.bootstrap?.stop()
    this.shutdown.abort(new NetworkNotStartedError('the network is stopping'))
    await Promise.allSettled([...this.running])
    await this.node?.unhandle(FETCH_PROTOCOL)
    await this.bitswap?.stop()
    this.bitswap = undefined
    await this.node?.stop()
    await new Promise(resolve => setTimeout(resolve, STOP_GRACE_MS))
  }

  private dhts (): KadDHT[] {
    const s = this.libp2p.services
    return s.ipfsDht == null ? [s.dht] : [s.dht, s.ipfsDht]
  }

  private querySignal (options?: AbortOptions): AbortSignal {
    return options?.signal ?? AbortSignal.timeout(this.init.queryTimeout ?? DEFAULT_QUERY_TIMEOUT)
  }

  async provide (cid: CID, options?: AbortOptions): Promise<ProvideResult> {
    if (!this.started) throw new NetworkNotStartedError('the network has not been started')
    // with no peer the query ends at once (allowQueryWithZeroPeers) and only the local record is kept
    const signal = this.querySignal(options)
    let peers = 0
    try {
      for (const dht of this.dhts()) {
        for await (const e of dht.provide(cid, { signal })) {
          if (e.name === 'PEER_RESPONSE' && e.messageName === 'ADD_PROVIDER') peers++
        }
      }
    } catch (err) {
      if (options?.signal?.aborted === true) throw err
      log('provide %c ended early - %e', cid, err)
    }
    return { peers }
  }

  async unprovide (cid: CID, options?: AbortOptions): Promise<void> {
    if (!this.started) throw new NetworkNotStartedError('the network has not been started')
    for (const dht of this.dhts()) await dht.cancelReprovide(cid, options)
  }

  async * findProviders (cid: CID, options?: AbortOptions): AsyncGenerator<PeerInfo> {
    if (!this.started) throw new NetworkNotStartedError('the network has not been started')
    const done = new AbortController() // ends the queries when the caller stops iterating early
    const signal = AbortSignal.any([this.querySignal(options), done.signal])
    const seen = new Set<string>([this.peerId.toString()])
    const found: PeerInfo[] = []
    const q = { running: 0, failure: undefined as Error | undefined }
    let wake = (): void => {}
    // both DHTs (when the IPFS one runs) are asked at once; providers are yielded as they come
    for (const dht of this.dhts()) {
      q.running++
      const query = async (): Promise<void> => {
        for await (const e of dht.findProviders(cid, { signal })) {
          if (e.name === 'PROVIDER') found.push(...e.providers)
          wake()
        }
      }
      query().catch(err => { q.failure = err }).finally(() => { q.running--; wake() })
    }
    try {
      while (q.running > 0 || found.length > 0) {
        const p = found.shift()
        if (p == null) {
          await new Promise<void>(resolve => { wake = resolve })
          continue
        }
        if (seen.has(p.id.toString())) continue
        seen.add(p.id.toString())
        yield p
      }
      if (q.failure != null && options?.signal?.aborted === true) throw q.failure
      if (q.failure != null) log('findProviders %c ended early - %e', cid, q.failure)
    } finally {
      done.abort()
    }
  }

  private async track<T> (p: Promise<T>): Promise<T> {
    this.running.add(p)
    try {
      return await p
    } finally {
      this.running.delete(p)
    }
  }

  private fetchContext (): FetchContext {
    return {
      libp2p: this.libp2p,
      blockstore: this.init.blockstore,
      bitswap: this.bitswap,
      findProviders: (cid, o) => this.findProviders(cid, o),
      maxBlockSize: this.init.maxBlockSize ?? DEFAULT_MAX_BLOCK_SIZE,
      maxLinksPerBlock: this.init.maxLinksPerBlock ?? DEFAULT_MAX_LINKS_PER_BLOCK,
      maxBlocks: this.init.maxBlocks ?? DEFAULT_MAX_BLOCKS,
      shutdown: this.shutdown.signal,
      defaults: { timeout: DEFAULT_FETCH_TIMEOUT, maxProviders: DEFAULT_MAX_PROVIDERS, window: DEFAULT_WINDOW, messageTimeout: DEFAULT_MESSAGE_TIMEOUT, maxInFlight: DEFAULT_MAX_IN_FLIGHT }
    }
  }

  async fetch (root: CID, options?: FetchOptions): Promise<FetchResult> {
    if (!this.started) throw new NetworkNotStartedError('the network has not been started')
    assertSupportedHash(root)
    this.allowProviders(options)
    const result = await this.track(runFetch(this.fetchContext(), root, true, options))
    options?.onProgress?.({ type: 'agora:fetch:done', result })
    return result
  }

  async fetchBlock (cid: CID, options?: FetchOptions): Promise<Uint8Array> {
    if (!this.started) throw new NetworkNotStartedError('the network has not been started')
    assertSupportedHash(cid)
    this.allowProviders(options)
    if (isIdentity(cid)) return cid.multihash.digest // its own block: nothing to fetch or store
    const { block } = await this.track(runFetch(this.fetchContext(), cid, false, options))
    // one write and no read: the bytes that were verified and stored are the ones returned
    if (block != null) return block
    // stored before this fetch (nothing was fetched): the store is the only copy
    const bytes = await readBlock(this.init.blockstore, cid, Infinity)
    if (bytes == null) throw new NotFoundError(`block ${cid} vanished from the blockstore`)
    return bytes.subarray()
  }

  /** Provider addresses the caller gave are the user's choice: they are dialled whatever their range. */
  private allowProviders (options?: FetchOptions): void {
    for (const p of options?.providers ?? []) {
      if (typeof p === 'string' || isMultiaddr(p)) this.scope.allow(p)
    }
  }

  /** Dials `addr`, which the user gave: it joins the allow-list, so it is dialled whatever its range. */
  async connect (addr: Multiaddr | string, options?: AbortOptions): Promise<PeerSummary> {
    const ma = typeof addr === 'string' ? multiaddr(addr) : addr
    this.scope.allow(ma)
    const conn = await this.libp2p.dial(ma, { signal: options?.signal ?? AbortSignal.timeout(DEFAULT_MESSAGE_TIMEOUT) })
    return { peerId: conn.remotePeer.toString(), addrs: [conn.remoteAddr.toString()] }
  }

  peers (): PeerSummary[] {
    const byPeer = new Map<string, string[]>()
    for (const c of this.libp2p.getConnections()) {
      const key = c.remotePeer.toString()
      byPeer.set(key, [...(byPeer.get(key) ?? []), c.remoteAddr.toString()])
    }
    return [...byPeer].map(([peerId, addrs]) => ({ peerId, addrs }))
  }

  addresses (): string[] {
    return this.libp2p.getMultiaddrs().map(String)
  }
}

/**
 * Builds a peer's network: libp2p over TCP with Noise and Yamux, identify, ping, our private
 * Kademlia DHT (`/agora/kad/1.0.0`, server mode), gossipsub as `pubsub`, our fetch protocol
 * and, unless `bitswap: false`, Bitswap (`@helia/bitswap`) on the same libp2p and blockstore.
 *
 * The stores must be open; the caller closes them after `stop()` resolves. Install
 * `process.on('unhandledRejection')` in the process: an aborted Helia fetch can leave rejections
 * that nobody awaits.
 */
export async function createNetwork (init: NetworkInit): Promise<Network> {
  const network = new AgoraNetwork(init)
  if (init.start !== false) await network.start()
  return network
}
