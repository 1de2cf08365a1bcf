/**
 * `AgoraClient` on the repo opened directly, offline (no daemon runs on it). The node is
 * opened on the first call that needs it and stopped by `close`; what only a running peer can
 * do fails with `DaemonNotRunningError` before anything is opened.
 */
import { createNode } from '../node.ts'
import { parseCid, parseCidPath } from '../store/index.ts'
import { DaemonNotRunningError } from './agora-client.ts'
import type { AddOptions, AgoraClient, CatOptions, ChainClient, FetchOptions, GetOptions, IncentivesClient, MarketClient } from './agora-client.ts'
import type { AddWire, FetchWire, GcWire, GetWire, IdWire, LsEntryWire, PeerWire, PinWire, RepoStatWire, VerifyWire } from '../api/index.ts'
import type { AgoraNode } from '../node.ts'
import type { ImportProfile } from '../config.ts'

function needsDaemon (repo: string, what: string): DaemonNotRunningError {
  return new DaemonNotRunningError(`${what} needs the daemon: no daemon is running on ${repo} (start one: agora daemon)`)
}

/** Every method of `T` failing with `DaemonNotRunningError` naming what needs the daemon. */
function daemonOnly<T extends object> (repo: string, what: string, methods: Array<keyof T>): T {
  const fail = async (): Promise<never> => { throw needsDaemon(repo, what) }
  return Object.fromEntries(methods.map(m => [m, fail])) as T
}

/** The repo, offline. */
export class LocalClient implements AgoraClient {
  readonly kind = 'local' as const
  readonly chain: ChainClient
  readonly market: MarketClient
  readonly incentives: IncentivesClient
  private opened?: Promise<AgoraNode>

  readonly repo: string
  private readonly signal?: AbortSignal

  constructor (repo: string, signal?: AbortSignal) {
    this.repo = repo
    this.signal = signal
    this.chain = daemonOnly<ChainClient>(repo, 'the chain', ['status', 'account', 'block', 'subnets', 'subnet', 'submit', 'weights'])
    this.market = daemonOnly<MarketClient>(repo, 'the market', ['status', 'publish', 'update', 'revoke', 'search', 'show', 'mine', 'quote', 'receive', 'purchases'])
    this.incentives = daemonOnly<IncentivesClient>(repo, 'the miner and validator roles', ['status', 'report'])
  }

  private async node (): Promise<AgoraNode> {
    this.opened ??= createNode({ repo: this.repo, offline: true, init: false })
    return this.opened
  }

  async id (): Promise<IdWire> {
    return (await this.node()).id()
  }

  async add (path: string, o: AddOptions): Promise<AddWire> {
    const a = await (await this.node()).add(path, { profile: o.profile as ImportProfile | undefined, pin: o.pin, onProgress: p => { o.onProgress?.(p.bytes, p.total) } })
    return { cid: a.cid.toString(), size: a.size, name: a.name, profile: a.profile, pinned: o.pin, providedTo: 0 }
  }

  /** Offline there are no peers to fetch from: the repo must already hold the DAG. */
  async fetch (arg: string, o: FetchOptions): Promise<FetchWire | undefined> {
    parseCidPath(arg)
    if (o.providers != null && o.providers.length > 0) throw needsDaemon(this.repo, 'fetching from --provider')
    return undefined
  }

  async * cat (arg: string, o: CatOptions & { signal?: AbortSignal }): AsyncIterable<Uint8Array> {
    const { cid, path } = parseCidPath(arg)
    await this.fetch(arg, o)
    yield * (await this.node()).store.cat(cid, path, { offset: o.offset, length: o.length, signal: o.signal ?? this.signal })
  }

  async get (arg: string, output: string, o: GetOptions): Promise<GetWire> {
    const { cid, path } = parseCidPath(arg)
    await this.fetch(arg, o)
    const store = (await this.node()).store
    const total = (await store.stat(cid, path)).size
    const r = await store.get(cid, path, output, { signal: this.signal, force: o.force, onProgress: p => { o.onProgress?.(p.bytes, total) } })
    o.onProgress?.(r.bytes, total)
    return r
  }

  async ls (arg: string, o: FetchOptions): Promise<LsEntryWire[]> {
    const { cid, path } = parseCidPath(arg)
    await this.fetch(arg, o)
    const entries: LsEntryWire[] = []
    for await (const e of (await this.node()).store.ls(cid, path, { signal: this.signal })) entries.push({ name: e.name, cid: e.cid.toString(), size: e.size, type: e.type })
    return entries
  }

  async pin (cid: string): Promise<void> {
    await (await this.node()).pin(parseCid(cid))
  }

  async unpin (cid: string): Promise<void> {
    await (await this.node()).unpin(parseCid(cid))
  }

  async pins (): Promise<PinWire[]> {
    const list: PinWire[] = []
    for await (const p of (await this.node()).store.pins.ls()) list.push({ cid: p.cid.toString(), type: p.type, created: p.created })
    return list
  }

  async repoStat (): Promise<RepoStatWire> { return (await this.node()).store.repoStat() }
  async gc (): Promise<GcWire> { return (await this.node()).store.gc() }
  async verify (): Promise<VerifyWire> { return (await this.node()).store.verify() }

  async peers (): Promise<PeerWire[]> { throw needsDaemon(this.repo, 'listing peers') }
  async connect (): Promise<{ peerId: string }> { throw needsDaemon(this.repo, 'connecting to a peer') }

  async * findProviders (): AsyncIterable<PeerWire> { throw needsDaemon(this.repo, 'the DHT') }

  async close (): Promise<void> {
    if (this.opened == null) return
    const node = await this.opened.catch(() => undefined)
    await node?.stop()
  }
}
