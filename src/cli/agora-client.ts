/**
 * The one interface every command talks to. Two implementations:
 *
 * - `client-http.ts`: the running daemon of the repo, over its API (`<repo>/api.json`);
 * - `client-local.ts`: the repo opened directly, offline, when no daemon runs.
 *
 * A command calls `withClient` (`connect.ts`) and never asks which one it got, so it behaves the same with and
 * without the daemon where both make sense. What only a running peer can do (fetch from other
 * peers, the swarm, the DHT, the chain, the market, the incentives roles) fails on the local
 * client with `DaemonNotRunningError`, before anything is opened.
 */
import type {
  AccountWire, AddWire, BlockWire, ChainStatusWire, FetchWire, GcWire, GetWire, IdWire, IncentivesReportWire,
  IncentivesStatusWire, LsEntryWire, MarketStatusWire, PeerWire, PinWire, PublishedWire, PurchasesWire, QuoteWire, ReceivedWire,
  RepoStatWire, SearchWire, ShowWire, SubmittedWire, SubnetDetailWire, SubnetsWire, VerifyWire, WeightsRequestWire, WeightsWire
} from '../api/index.ts'

/** Progress of a transfer: bytes so far, and the total when known. */
export type OnBytes = (bytes: number, total?: number) => void

/** Options of the commands that may fetch from peers. */
export interface FetchOptions {
  /** Fail when no provider delivers a block for this long. */
  timeoutMs?: number
  /** Also fetch from these peers (multiaddrs with /p2p/). */
  providers?: string[]
  onProgress?: OnBytes
}

/** `add`. */
export interface AddOptions { profile?: string, pin: boolean, onProgress?: OnBytes }

/** `get`. */
export interface GetOptions extends FetchOptions { force: boolean }

/** `cat`. */
export interface CatOptions extends FetchOptions { offset?: number, length?: number }

/** Listing fields of `market publish` and `update`, as the API takes them (amounts in rao). */
export type ListingFields = Record<string, string | string[] | undefined>

/** `market search`. */
export interface SearchQuery { q: string, kind?: string, tag?: string, license?: string, task?: string, maxPrice?: string, publisher?: string, limit?: number | string }

/** `market receive` (a purchase after its escrow, or a download again with a receipt). */
export interface ReceiveRequest { id: string, escrow?: string, out: string, into: boolean, force: boolean, onProgress?: OnBytes }

/** The chain, as the daemon follows it. */
export interface ChainClient {
  status: () => Promise<ChainStatusWire>
  account: (address: string) => Promise<AccountWire>
  block: (height: number) => Promise<BlockWire>
  subnets: () => Promise<SubnetsWire>
  subnet: (netuid: number) => Promise<SubnetDetailWire>
  /** Submit a signed transaction; with `wait`, resolves once it is in a block. */
  submit: (stx: Uint8Array, wait: boolean) => Promise<SubmittedWire>
  /** Weights signed by the daemon's hotkey. */
  weights: (req: WeightsRequestWire, wait: boolean) => Promise<WeightsWire>
}

/** The market service of the daemon. */
export interface MarketClient {
  status: () => Promise<MarketStatusWire>
  publish: (path: string, kind: string, name: string, fields: ListingFields) => Promise<PublishedWire>
  update: (id: string, path: string | undefined, fields: ListingFields) => Promise<PublishedWire>
  revoke: (id: string) => Promise<PublishedWire>
  search: (q: SearchQuery) => Promise<SearchWire>
  show: (id: string) => Promise<ShowWire>
  mine: () => Promise<{ listings: PublishedWire['listing'][] }>
  quote: (id: string) => Promise<QuoteWire>
  receive: (req: ReceiveRequest) => Promise<ReceivedWire>
  /** Purchases made through the daemon, of one coldkey when `buyer` is given. */
  purchases: (buyer?: string) => Promise<PurchasesWire>
}

/** The miner/validator roles of the daemon. */
export interface IncentivesClient {
  status: () => Promise<IncentivesStatusWire>
  report: () => Promise<IncentivesReportWire>
}

/** What a command can ask of a peer. */
export interface AgoraClient {
  /** Which implementation answers: the daemon (online) or the repo opened offline. */
  readonly kind: 'daemon' | 'local'
  readonly repo: string
  id: () => Promise<IdWire>
  add: (path: string, o: AddOptions) => Promise<AddWire>
  /** Bring `arg` (CID[/path]) into the repo from peers; undefined when offline (the repo must hold it). */
  fetch: (arg: string, o: FetchOptions) => Promise<FetchWire | undefined>
  /** The bytes of the file `arg`, after fetching it when online. */
  cat: (arg: string, o: CatOptions & { signal?: AbortSignal }) => AsyncIterable<Uint8Array>
  /** Write `arg` to `output`, after fetching it (with the fetch's figures) when online. */
  get: (arg: string, output: string, o: GetOptions) => Promise<GetWire & { fetch?: FetchWire }>
  ls: (arg: string, o: FetchOptions) => Promise<LsEntryWire[]>
  pin: (cid: string, o: FetchOptions) => Promise<void>
  unpin: (cid: string) => Promise<void>
  pins: () => Promise<PinWire[]>
  repoStat: () => Promise<RepoStatWire>
  gc: () => Promise<GcWire>
  verify: () => Promise<VerifyWire>
  peers: () => Promise<PeerWire[]>
  connect: (multiaddr: string) => Promise<{ peerId: string }>
  findProviders: (cid: string, o: { timeoutMs?: number }) => AsyncIterable<PeerWire>
  readonly chain: ChainClient
  readonly market: MarketClient
  readonly incentives: IncentivesClient
  /** Release what the client opened (the offline node). */
  close: () => Promise<void>
}

/** The command needs a running daemon and there is none. */
export class DaemonNotRunningError extends Error {
  static override name = 'DaemonNotRunningError'
  override name = 'DaemonNotRunningError'
}
