/**
 * `AgoraClient` over a running daemon's API: every method one route, answers typed by
 * `api/wire.ts`, error answers thrown as the named errors the daemon raised.
 */
import { ApiError } from '../api/index.ts'
import { UsageError } from './errors.ts'
import type { AgoraClient, ChainClient, IncentivesClient, MarketClient, OnBytes } from './agora-client.ts'
import type { ApiClient } from './client.ts'
import type { AddWire, FetchWire, GetWire, IdWire, LsEntryWire, PeerWire, PinWire, ReceivedWire, RepoStatWire, GcWire, SubmittedWire, VerifyWire } from '../api/index.ts'

type Params = Record<string, string | number | boolean | string[] | undefined>

const bodyOf = (bytes: Uint8Array): AsyncIterable<Uint8Array> => (async function * () { yield bytes })()

/** Read an NDJSON answer: progress lines to `onProgress`, the `done` line returned. */
async function done<T> (lines: AsyncIterable<Record<string, unknown>>, onProgress?: OnBytes): Promise<T | undefined> {
  let last: T | undefined
  for await (const line of lines) {
    if (line.type === 'progress') onProgress?.(Number(line.bytes), line.total == null ? undefined : Number(line.total))
    if (line.type === 'done') {
      const { type: _type, ...rest } = line
      last = rest as T
    }
  }
  return last
}

/** A service the daemon does not run answers 404 RouteNotFoundError: said plainly instead. */
async function service<T> (what: string, hint: string, p: Promise<T>): Promise<T> {
  try {
    return await p
  } catch (err) {
    if ((err as Error).name === 'RouteNotFoundError') throw new UsageError(`the daemon runs no ${what} (${hint})`, { cause: err })
    throw err
  }
}

/** The daemon of a repo, through its API. */
export class HttpClient implements AgoraClient {
  readonly kind = 'daemon' as const
  readonly chain: ChainClient
  readonly market: MarketClient
  readonly incentives: IncentivesClient

  readonly repo: string
  private readonly api: ApiClient

  constructor (repo: string, api: ApiClient) {
    this.repo = repo
    this.api = api
    const chain = <T>(p: Promise<T>): Promise<T> => service('chain', 'start it with --dev, or --genesis <file>', p)
    const postJson = async <T>(path: string, params: Params, body: unknown): Promise<T> =>
      await (await api.request('POST', path, params, bodyOf(new TextEncoder().encode(JSON.stringify(body))))).json() as T
    this.chain = {
      status: async () => chain(api.json('GET', '/api/v0/chain/status')),
      account: async (address) => chain(api.json('GET', '/api/v0/chain/account', { address })),
      block: async (height) => chain(api.json('GET', `/api/v0/chain/block/${height}`)),
      subnets: async () => chain(api.json('GET', '/api/v0/chain/subnets')),
      subnet: async (netuid) => chain(api.json('GET', '/api/v0/chain/subnet', { netuid })),
      submit: async (stx, wait) => chain(api.request('POST', '/api/v0/chain/submit', { wait }, bodyOf(stx)).then(async res => await res.json() as SubmittedWire)),
      weights: async (req, wait) => chain(postJson('/api/v0/chain/weights', { wait }, req))
    }
    const market = <T>(p: Promise<T>): Promise<T> => service('market', 'start it with --market', p)
    this.market = {
      status: async () => market(api.json('GET', '/api/v0/market/status')),
      publish: async (path, kind, name, fields) => market(api.json('POST', '/api/v0/market/publish', { path, kind, name, ...fields })),
      update: async (id, path, fields) => market(api.json('POST', '/api/v0/market/update', { arg: id, path, ...fields })),
      revoke: async (id) => market(api.json('POST', '/api/v0/market/revoke', { arg: id })),
      search: async (q) => market(api.json('GET', '/api/v0/market/search', {
        q: q.q, kind: q.kind, tag: q.tag, license: q.license, task: q.task, 'max-price': q.maxPrice, publisher: q.publisher, limit: q.limit
      })),
      show: async (id) => market(api.json('GET', '/api/v0/market/show', { arg: id })),
      mine: async () => market(api.json('GET', '/api/v0/market/mine')),
      purchases: async (buyer) => market(api.json('GET', '/api/v0/market/purchases', { buyer })),
      quote: async (id) => market(api.json('GET', '/api/v0/market/quote', { arg: id })),
      receive: async (r) => {
        const got = await market(done<ReceivedWire>(api.lines('POST', '/api/v0/market/receive', { arg: r.id, escrow: r.escrow, out: r.out, into: r.into, force: r.force }), r.onProgress))
        if (got == null) throw new ApiError('PurchaseError', 'the daemon ended the purchase without an answer', 500)
        return got
      }
    }
    const roles = <T>(p: Promise<T>): Promise<T> => service('miner or validator role', 'start it with --role miner|validator and --dev or --genesis <file>', p)
    this.incentives = {
      status: async () => roles(api.json('GET', '/api/v0/incentives/status')),
      report: async () => roles(api.json('GET', '/api/v0/incentives/report'))
    }
  }

  async id (): Promise<IdWire> {
    return this.api.json('GET', '/api/v0/id')
  }

  async add (path: string, o: { profile?: string, pin: boolean, onProgress?: OnBytes }): Promise<AddWire> {
    const r = await done<AddWire>(this.api.lines('POST', '/api/v0/add', { path, profile: o.profile, pin: o.pin }), o.onProgress)
    if (r == null) throw new ApiError('AddError', 'the daemon ended the import without an answer', 500)
    return r
  }

  async fetch (arg: string, o: { timeoutMs?: number, providers?: string[], onProgress?: OnBytes }): Promise<FetchWire | undefined> {
    let total: number | undefined
    const r = await done<FetchWire>(this.api.lines('POST', '/api/v0/fetch', { arg, timeout: o.timeoutMs, provider: o.providers }), (bytes, t) => {
      total = t ?? total
      o.onProgress?.(bytes, total)
    })
    if (r != null) o.onProgress?.(r.dagSize, r.dagSize)
    return r
  }

  async * cat (arg: string, o: { offset?: number, length?: number, timeoutMs?: number, providers?: string[], onProgress?: OnBytes }): AsyncIterable<Uint8Array> {
    await this.fetch(arg, o)
    const res = await this.api.request('GET', '/api/v0/cat', { arg, offset: o.offset, length: o.length, timeout: o.timeoutMs, provider: o.providers })
    if (res.body != null) yield * res.body
  }

  async get (arg: string, output: string, o: { force: boolean, timeoutMs?: number, providers?: string[], onProgress?: OnBytes }): Promise<GetWire & { fetch?: FetchWire }> {
    const fetch = await this.fetch(arg, o)
    const written = await this.api.json<GetWire>('POST', '/api/v0/get', { arg, output, force: o.force, timeout: o.timeoutMs, provider: o.providers })
    return fetch == null ? written : { ...written, fetch }
  }

  async ls (arg: string, o: { timeoutMs?: number }): Promise<LsEntryWire[]> {
    return (await this.api.json<{ entries: LsEntryWire[] }>('GET', '/api/v0/ls', { arg, timeout: o.timeoutMs })).entries
  }

  async pin (cid: string, o: { timeoutMs?: number }): Promise<void> {
    await this.api.json('POST', '/api/v0/pin/add', { arg: cid, timeout: o.timeoutMs })
  }

  async unpin (cid: string): Promise<void> {
    await this.api.json('POST', '/api/v0/pin/rm', { arg: cid })
  }

  async pins (): Promise<PinWire[]> {
    return (await this.api.json<{ pins: PinWire[] }>('GET', '/api/v0/pin/ls')).pins
  }

  async repoStat (): Promise<RepoStatWire> { return this.api.json('GET', '/api/v0/repo/stat') }
  async gc (): Promise<GcWire> { return this.api.json('POST', '/api/v0/repo/gc') }
  async verify (): Promise<VerifyWire> { return this.api.json('POST', '/api/v0/repo/verify') }

  async peers (): Promise<PeerWire[]> {
    return (await this.api.json<{ peers: PeerWire[] }>('GET', '/api/v0/swarm/peers')).peers
  }

  async connect (multiaddr: string): Promise<{ peerId: string }> {
    return this.api.json('POST', '/api/v0/swarm/connect', { arg: multiaddr })
  }

  async * findProviders (cid: string, o: { timeoutMs?: number }): AsyncIterable<PeerWire> {
    for await (const line of this.api.lines('GET', '/api/v0/dht/findprovs', { arg: cid, timeout: o.timeoutMs })) {
      if (line.type === 'provider') yield { peerId: String(line.peerId), addrs: line.addrs as string[] }
    }
  }

  async close (): Promise<void> {}
}
