/**
 * The JSON the API speaks: one type per answer, shared by the routes (which build them) and the
 * CLI's HTTP client (which reads them). Amounts are decimal strings of rao (bigints do not fit
 * JSON numbers); byte counts and heights are numbers.
 */
import type { IncentivesStatus, MinerFigures } from '../incentives/index.ts'
import type { PublishedBatch } from '../incentives/index.ts'
import type { ListingView, Purchase } from '../market/index.ts'

/** A record with every bigint field as its decimal string. */
export type Json<T> = { [K in keyof T]: T[K] extends bigint ? string : T[K] }

/** `GET /api/v0/id`. */
export interface IdWire { peerId: string, publicKey: string, addresses: string[], online: boolean }

/** The last line of `POST /api/v0/add`. */
export interface AddWire { cid: string, size: number, name: string, profile: string, pinned: boolean, providedTo: number }

/** The last line of `POST /api/v0/fetch`: the target and what the fetch took from whom. */
export interface FetchWire { cid: string, size: number, dagSize: number, [figure: string]: unknown }

/** `POST /api/v0/get`. */
export interface GetWire { path: string, files: number, bytes: number }

/** One entry of `GET /api/v0/ls`. */
export interface LsEntryWire { name: string, cid: string, size: number, type: string }

/** One pin of `GET /api/v0/pin/ls`. */
export interface PinWire { cid: string, type: string, created?: number }

/** `GET /api/v0/repo/stat`. */
export interface RepoStatWire { path: string, blocks: number, size: number, pins: number }

/** `POST /api/v0/repo/gc`. */
export interface GcWire { removed: number, freed: number, kept: number, tempRemoved: number }

/** `POST /api/v0/repo/verify`. */
export interface VerifyWire { checked: number, corrupt: Array<{ cid: string, file: string, reason: string }> }

/** A peer of `GET /api/v0/swarm/peers`, or a provider line of `/api/v0/dht/findprovs`. */
export interface PeerWire { peerId: string, addrs: string[] }

/** `GET /api/v0/chain/status`. */
export interface ChainStatusWire {
  chainId: string
  height: number
  hash: string
  stateRoot: string
  authority: string
  isAuthority: boolean
  hotkey: string
  genesisHash: string
  pending: number
  timestamp: number
  blockTimeMs: number
  globals: { issuance: string, blockEmission: string, netuids: number[] }
}

/** `GET /api/v0/chain/account`. */
export interface AccountWire { height: number, address: string, balance: string, nonce: number, nextNonce: number, stakes: Array<{ hotkey: string, stake: string }> }

/** `GET /api/v0/chain/block/<n>`. */
export interface BlockWire {
  height: number
  hash: string
  header: { parent: string, stateRoot: string, txRoot: string, timestamp: number, txCount: number }
  txs: Array<{ hash: string, signer: string, nonce: number, body: { kind: string } }>
}

/** A subnet as `/api/v0/chain/subnets` and `/subnet` show it. */
export interface SubnetWire { netuid: number, owner: string | null, lock: string, registeredAt: number, n: number, burn: string, emissionValue: string, pending: string, params: { tempo: number, maxAllowedUids: number } }

/** A metagraph row of `/api/v0/chain/subnet`. */
export interface NeuronWire { uid: number, hotkey: string, coldkey: string | null, stake: string, permit: boolean, active: boolean, trust: number, consensus: number, incentive: number, dividends: number, emission: string, validatorTrust?: number }

/** `GET /api/v0/chain/subnets`. */
export interface SubnetsWire { subnets: SubnetWire[], lockCost: string }

/** `GET /api/v0/chain/subnet`. */
export interface SubnetDetailWire { height: number, subnet: SubnetWire, metagraph: NeuronWire[] }

/** `POST /api/v0/chain/submit`: the hash, and the block when it was waited for. */
export interface SubmittedWire { hash: string, block?: number }

/** `POST /api/v0/chain/weights`: the daemon signs with its hotkey. */
export interface WeightsRequestWire { action: 'set' | 'commit' | 'reveal', netuid: number, uids: number[], values: number[], versionKey: number, salt?: string }

/** The answer of `POST /api/v0/chain/weights`. */
export interface WeightsWire { hash: string, block?: number, hotkey: string, salt?: string, commit?: string }

/** `GET /api/v0/market/status`. */
export interface MarketStatusWire {
  state: string
  listings: number | null
  /** Stored listings and envelope bytes, in all and of publishers without stake (config `market`). */
  usage: { total: { listings: number, bytes: number }, unstaked: { listings: number, bytes: number } } | null
  catalogue: Record<string, number>
  hotkey: string
}

/** `POST /api/v0/market/{publish,update,revoke}`. */
export interface PublishedWire { listing: ListingView, gossip: number, dht: number, providedTo: number }

/** `GET /api/v0/market/search`. */
export interface SearchWire { state: string, hits: Array<{ score: number, listing: ListingView }> }

/** `GET /api/v0/market/show`. */
export interface ShowWire {
  listing: ListingView
  providers: number
  /** The id asked for, when it names an earlier version: `listing` is the current one. */
  superseded?: string
  /** Ids of earlier versions of the item this peer saw replaced, newest first. */
  formerIds: string[]
}

/** `GET /api/v0/market/quote`. */
export interface QuoteWire { listing: ListingView, superseded: boolean, ownedEarlier: string[], owned: boolean, pending?: string, seller: string, agent: string, recipient: string, commitment: string, chainId: string, amount: string }

/** `GET /api/v0/market/purchases` (amounts in rao). */
export interface PurchasesWire { purchases: Array<Omit<Purchase, 'amount'> & { amount: string }> }

/** The `done` line of `POST /api/v0/market/receive`. */
export interface ReceivedWire { source: 'delivery' | 'receipt', escrow: string, files: Array<{ path: string, size: number, sha256: string }> }

/** `GET /api/v0/incentives/status`. */
export type IncentivesStatusWire = Json<IncentivesStatus>

/** `GET /api/v0/incentives/report`. */
export interface IncentivesReportWire { netuid: number, miners: MinerFigures[], batches: PublishedBatch[] }
