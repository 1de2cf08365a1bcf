/**
 * Public types of the listing index.
 */
import type { AdmissionLimits } from './admission.ts'
import type { AbortOptions, ComponentLogger } from '@libp2p/interface'
import type { Datastore } from 'interface-datastore'
import type { Listing } from './listing.ts'
import type { ListingKind } from './listing-schema.ts'

/** What the index needs from its host. */
export interface ListingIndexComponents {
  datastore: Datastore
  logger?: ComponentLogger
}

/** Options of the index. */
export interface ListingIndexInit {
  /** Datastore key prefix. @default '/market/listings' */
  prefix?: string
  /** The clock, ms since the epoch. @default Date.now */
  now?: () => number
  /** Admission control's limits (admission.ts). @default DEFAULT_ADMISSION_LIMITS */
  admission?: Partial<AdmissionLimits>
  /**
   * Whether a publisher key (32 bytes) has stake or a registered neuron: its listings are kept
   * first and never evicted for others. Without it every publisher counts as unstaked.
   */
  isStaked?: (publisher: Uint8Array) => boolean
  /**
   * Called with an item's key string (its DHT key, `listingKeyString`) when the item is deleted
   * from the index (evicted for room, or pruned), so what else holds it can drop it too.
   */
  onDrop?: (item: string) => void
  /** How often expired and superseded items are pruned, ms; 0 = never. @default 600_000 */
  pruneIntervalMs?: number
}

/** Options of {@link ListingIndex.add}. */
export interface AddOptions extends AbortOptions {
  /** The peer that handed us the listing (its peer id string), for admission control. */
  from?: string
  /** {@link ListingIndex.charge} took this listing from its source's rate already. */
  charged?: boolean
}

/** Filters and paging of {@link ListingIndex.search}. */
export interface SearchOptions extends AbortOptions {
  kind?: ListingKind
  tag?: string
  /** SPDX id, compared case-insensitively. */
  license?: string
  task?: string
  /** Highest price in rao. */
  maxPrice?: bigint
  /** Publisher hotkey (32 bytes) or peer id string. */
  publisher?: Uint8Array | string
  /** @default 20 */
  limit?: number
  /** @default 0 */
  offset?: number
}

/** One search result. */
export interface SearchHit {
  listing: Listing
  /** BM25 score (0 for a query without words). */
  score: number
}

/** What {@link ListingIndex.add} did. */
export interface AddResult {
  listing: Listing
  /** `added`: a new item; `updated`: a newer version; `revoked`: a withdrawal; `unchanged`: known already. */
  status: 'added' | 'updated' | 'revoked' | 'unchanged'
}
