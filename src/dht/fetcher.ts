/**
 * One fetch: finds providers (given ones first, then the DHT, re-asked while none is active),
 * runs a worker per provider (our protocol, or Bitswap for peers that do not speak it), drops
 * providers that misbehave, and fails with a named error when no block arrives in time.
 */
import { logger } from '@libp2p/logger'
import { peerIdFromString } from '@libp2p/peer-id'
import { isMultiaddr, multiaddr } from '@multiformats/multiaddr'
import { FETCH_PROTOCOL } from './constants.ts'
import { FetchStalledError, NoProvidersError } from './errors.ts'
import { FetchState } from './fetch-state.ts'
import { agoraWorker, bitswapWorker } from './workers.ts'
import type { BitswapWant, WorkerOptions } from './workers.ts'
import type { FetchOptions, FetchResult, ProviderReport } from './types.ts'
import type { Libp2p, PeerId, PeerInfo } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { Blockstore } from 'interface-blockstore'
import type { CID } from 'multiformats/cid'

const log = logger('agora:dht:fetch')

/** What a fetch needs from the network. */
export interface FetchContext {
  libp2p: Libp2p
  blockstore: Blockstore
  bitswap?: BitswapWant
  findProviders(cid: CID, options: { signal: AbortSignal }): AsyncIterable<PeerInfo>
  maxBlockSize: number
  /** Most links one fetched block may list (`NetworkInit.maxLinksPerBlock`). */
  maxLinksPerBlock: number
  /** Most blocks one fetch may discover (`NetworkInit.maxBlocks`). */
  maxBlocks: number
  /** Aborted when the network stops. */
  shutdown: AbortSignal
  defaults: Required<Pick<FetchOptions, 'timeout' | 'maxProviders' | 'window' | 'messageTimeout' | 'maxInFlight'>>
}

interface Candidate { peer: PeerId, addrs: Multiaddr[] }

function toCandidate (p: PeerId | Multiaddr | string): Candidate {
  if (typeof p !== 'string' && !isMultiaddr(p)) return { peer: p, addrs: [] }
  const ma = typeof p === 'string' ? multiaddr(p) : p
  const id = ma.getComponents().findLast(c => c.name === 'p2p')?.value
  if (id == null) throw new TypeError(`provider address ${ma.toString()} has no /p2p/<id>`)
  return { peer: peerIdFromString(id), addrs: [ma] }
}

/** What {@link runFetch} returns: the result, and without `walk` the block's verified bytes if it was fetched. */
export interface RunFetchResult extends FetchResult {
  /** Without `walk`: the verified bytes of `root` as stored; absent when it was stored before (nothing fetched). */
  block?: Uint8Array
}

/** Fetches `root` (and with `walk`, every block below it) into `ctx.blockstore`. */
export async function runFetch (ctx: FetchContext, root: CID, walk: boolean, options: FetchOptions = {}): Promise<RunFetchResult> {
  const opts = { ...ctx.defaults, ...stripUndefined(options) }
  const controller = new AbortController()
  const signal = AbortSignal.any([controller.signal, ctx.shutdown, ...(options.signal == null ? [] : [options.signal])])
  const state = new FetchState({
    blockstore: ctx.blockstore,
    walk,
    maxBlockSize: ctx.maxBlockSize,
    maxInFlight: opts.maxInFlight,
    maxLinksPerBlock: ctx.maxLinksPerBlock,
    maxBlocks: ctx.maxBlocks,
    onProgress: options.onProgress
  })
  const reports = new Map<string, ProviderReport>()
  const workers = new Set<Promise<void>>()
  const spare: Candidate[] = []
  let active = 0
  const self = ctx.libp2p.peerId.toString()

  const onProgress = options.onProgress
  state.init.onProgress = (evt) => {
    if (evt.type === 'agora:fetch:block') {
      const r = reports.get(evt.peer.toString())
      if (r != null) { r.blocks++; r.bytes += evt.bytes }
    }
    onProgress?.(evt)
  }

  const startProvider = (c: Candidate): void => {
    const key = c.peer.toString()
    if (key === self || reports.has(key) || state.settled) return
    if (active >= opts.maxProviders) { spare.push(c); return }
    const report: ProviderReport = { peer: key, protocol: 'agora', blocks: 0, bytes: 0 }
    reports.set(key, report)
    active++
    options.onProgress?.({ type: 'agora:fetch:provider-found', peer: c.peer })
    const w = runProvider(ctx, state, c, report, { peer: c.peer, window: opts.window, messageTimeout: opts.messageTimeout, maxMessageSize: ctx.maxBlockSize + 256, signal }, options)
      .catch((err: Error) => {
        if (signal.aborted) return
        report.error = `${err.name}: ${err.message}`
        log('provider %p dropped - %e', c.peer, err)
        options.onProgress?.({ type: 'agora:fetch:provider-dropped', peer: c.peer, error: err })
      })
      .finally(() => {
        active--
        workers.delete(w)
        const next = spare.shift()
        if (next != null) startProvider(next)
        state.wake()
      })
    workers.add(w)
  }

  const watchdog = startWatchdog(state, root, opts.timeout, reports)

  try {
    state.discover([root])
    for (const p of options.providers ?? []) startProvider(toCandidate(p))
    if (options.useDht !== false) {
      discover(ctx, root, state, signal, startProvider, () => active).catch(err => { log('provider discovery ended - %e', err) })
    }
    const aborted = abortPromise(signal)
    aborted.catch(() => {}) // raced here; it rejects later, when the fetch is over, too
    await Promise.race([state.finished, aborted])
  } finally {
    clearInterval(watchdog)
    if (!state.settled) state.fail(signal.reason ?? new Error('fetch aborted'))
    controller.abort()
    await Promise.allSettled([...workers])
  }
  const result: RunFetchResult = { root, blocksFetched: state.blocksFetched, bytesFetched: state.bytesFetched, blocksSkipped: state.blocksSkipped, providers: [...reports.values()] }
  if (state.block != null) result.block = state.block
  return result
}

/**
 * Fails the fetch when no block arrived for `timeout` ms.
 *
 * Policy: a fetch never hangs; with nothing to show it fails with a named error that lists
 * every provider tried and why it was dropped.
 */
function startWatchdog (state: FetchState, root: CID, timeout: number, reports: Map<string, ProviderReport>): ReturnType<typeof setInterval> {
  return setInterval(() => {
    if (state.settled || Date.now() - state.lastProgress < timeout) return
    const tried = [...reports.values()].map(r => `${r.peer}${r.error == null ? '' : ` (${r.error})`}`)
    const detail = tried.length === 0 ? 'no provider found' : `providers tried: ${tried.join(', ')}`
    state.fail(state.blocksFetched === 0
      ? new NoProvidersError(`no provider delivered ${root} within ${timeout} ms; ${detail}`)
      : new FetchStalledError(`no block of ${root} arrived for ${timeout} ms; ${detail}`))
  }, Math.min(250, timeout))
}

async function runProvider (ctx: FetchContext, state: FetchState, c: Candidate, report: ProviderReport, w: WorkerOptions, options: FetchOptions): Promise<void> {
  if (c.addrs.length > 0) await ctx.libp2p.peerStore.merge(c.peer, { multiaddrs: c.addrs })
  const dialSignal = AbortSignal.any([w.signal, AbortSignal.timeout(w.messageTimeout)])
  let stream
  try {
    stream = await ctx.libp2p.dialProtocol(c.peer, FETCH_PROTOCOL, { signal: dialSignal })
  } catch (err: any) {
    if (err?.name !== 'UnsupportedProtocolError' || ctx.bitswap == null) throw err
    report.protocol = 'bitswap'
    options.onProgress?.({ type: 'agora:fetch:provider-connected', peer: c.peer, protocol: 'bitswap' })
    await bitswapWorker(state, ctx.bitswap, w)
    return
  }
  options.onProgress?.({ type: 'agora:fetch:provider-connected', peer: c.peer, protocol: 'agora' })
  await agoraWorker(state, stream, w)
}

/** Asks the DHT for providers while blocks are wanted and no provider is active. */
async function discover (ctx: FetchContext, root: CID, state: FetchState, signal: AbortSignal, start: (c: Candidate) => void, active: () => number): Promise<void> {
  while (!state.settled && !signal.aborted) {
    if (active() === 0 && state.hasWanted()) {
      for await (const info of ctx.findProviders(root, { signal })) {
        start({ peer: info.id, addrs: info.multiaddrs })
      }
    }
    await Promise.race([state.wait(), delay(1000, signal)])
  }
}

async function delay (ms: number, signal: AbortSignal): Promise<void> {
  await new Promise<void>(resolve => {
    const t = setTimeout(done, ms)
    function done (): void { clearTimeout(t); signal.removeEventListener('abort', done); resolve() }
    signal.addEventListener('abort', done, { once: true })
  })
}

function abortPromise (signal: AbortSignal): Promise<never> {
  return new Promise<never>((_resolve, reject) => {
    if (signal.aborted) { reject(signal.reason); return }
    signal.addEventListener('abort', () => { reject(signal.reason) }, { once: true })
  })
}

function stripUndefined<T extends object> (o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>
}
