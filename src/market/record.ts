/**
 * The market's DHT records, in the shape `@libp2p/kad-dht` takes at construction:
 * `kadDHT({ validators: { [DHT_NAMESPACE]: listingValidator() }, selectors: { [DHT_NAMESPACE]: selectListingRecord } })`.
 *
 * Key: `/agora-market/<publisher peer id>/<kind>/<name>`. One key per item (publisher, kind,
 * name), not per version, so a new version or a revocation replaces the older ones at the same
 * DHT location, and anyone who knows the publisher and the name can look up the current
 * version. The value is the listing's envelope bytes.
 */
import { DHT_NAMESPACE, MAX_LISTING_BYTES } from './constants.ts'
import { decodeEnvelopeUnsafe } from './envelope.ts'
import { RecordKeyMismatchError, RecordTooLargeError, StaleListingError } from './errors.ts'
import { peerIdOf } from './keys.ts'
import { verifyListing } from './listing.ts'
import type { Listing } from './listing.ts'
import type { ListingKind, ListingRecord } from './listing-schema.ts'

const utf8 = new TextEncoder()
const utf8Decoder = new TextDecoder('utf-8', { fatal: true })

/** The DHT key, as a string, of an item. */
export function listingKeyString (publisher: Uint8Array, kind: ListingKind, name: string): string {
  return `/${DHT_NAMESPACE}/${peerIdOf(publisher)}/${kind}/${name}`
}

/** The DHT key (UTF-8 bytes) under which the current version of `record`'s item lives. */
export function listingKey (record: Pick<ListingRecord, 'publisher' | 'kind' | 'name'>): Uint8Array {
  return utf8.encode(listingKeyString(record.publisher, record.kind, record.name))
}

/** Options of the validator factory. */
export interface ListingValidatorInit {
  /** The clock, in ms since the epoch. @default Date.now */
  now?: () => number
  /**
   * The highest sequence this peer knows for an item key (e.g. `ListingIndex.knownSequence`).
   * Policy: kad-dht's PUT_VALUE handler overwrites a stored record with any valid one, so
   * without this a replayed older (still unexpired) version would roll servers back; with it,
   * a record below the known sequence is refused with `StaleListingError`.
   * @default () => undefined
   */
  knownSequence?: (key: string) => number | undefined
}

/**
 * A kad-dht validator for `/agora-market/…` keys: size before decoding, then envelope and schema,
 * the publisher's signature, expiry, and that the key is the record's own item key. Throws a
 * named error (`RecordTooLargeError`, `MalformedRecordError`, `InvalidListingError`,
 * `UnknownLicenseError`, `InvalidSignatureError`, `RecordExpiredError`, `RecordKeyMismatchError`).
 */
export function listingValidator (init: ListingValidatorInit = {}): (key: Uint8Array, value: Uint8Array) => Promise<void> {
  const now = init.now ?? Date.now
  const known = init.knownSequence
  return async (key, value) => {
    const listing = validateListingValue(key, value, now())
    const floor = known?.(new TextDecoder().decode(key))
    if (floor != null && listing.record.seq < floor) {
      throw new StaleListingError(`sequence ${listing.record.seq} is below the known ${floor}`)
    }
  }
}

/** Synchronous core of the validator; returns the verified listing. */
export function validateListingValue (key: Uint8Array, value: Uint8Array, now: number): Listing {
  if (!(key instanceof Uint8Array) || !(value instanceof Uint8Array)) throw new TypeError('key and value must be Uint8Arrays')
  if (value.length > MAX_LISTING_BYTES) {
    throw new RecordTooLargeError(`record is ${value.length} bytes, the limit is ${MAX_LISTING_BYTES}`)
  }
  const listing = verifyListing(value, { now })
  let keyString: string
  try {
    keyString = utf8Decoder.decode(key)
  } catch (err) {
    throw new RecordKeyMismatchError('record key is not UTF-8', { cause: err })
  }
  const { publisher, kind, name } = listing.record
  if (keyString !== listingKeyString(publisher, kind, name)) {
    throw new RecordKeyMismatchError(`record for ${kind}/${name} is stored under the wrong key ${keyString}`)
  }
  return listing
}

/**
 * A kad-dht selector: the index of the best record. Policy (ipns selector): highest sequence,
 * then the longest validity (latest expiry), then the lowest envelope bytes so every peer picks
 * the same one. Records that do not decode rank last; the validator has already refused them.
 */
export function selectListingRecord (_key: Uint8Array, values: Uint8Array[]): number {
  let best = -1
  let bestRank: Rank | null = null
  values.forEach((value, i) => {
    const rank = rankOf(value)
    if (rank != null && (bestRank == null || compareRank(rank, bestRank) > 0)) {
      best = i
      bestRank = rank
    }
  })
  return Math.max(best, 0)
}

/**
 * How a gossip topic validator should treat listing bytes that failed verification (gossipsub's
 * `TopicValidatorResult` values). Policy: bytes that no honest peer could produce (malformed,
 * forged, oversized, against the schema, under a wrong key) are `reject`ed and count against the
 * sender; expired or superseded versions are `ignore`d, since honest peers relay them through
 * clock skew or lag; anything else is `ignore`d too.
 */
export function listingErrorVerdict (err: unknown): 'reject' | 'ignore' {
  const name = (err as { name?: unknown } | null)?.name
  return typeof name === 'string' && REJECTED.has(name) ? 'reject' : 'ignore'
}

const REJECTED = new Set(['RecordTooLargeError', 'MalformedRecordError', 'InvalidSignatureError', 'InvalidListingError', 'UnknownLicenseError', 'RecordKeyMismatchError'])

interface Rank { seq: number, expires: number, bytes: Uint8Array }

function rankOf (value: Uint8Array): Rank | null {
  if (!(value instanceof Uint8Array) || value.length > MAX_LISTING_BYTES) return null
  try {
    const payload = decodeEnvelopeUnsafe(value).payload as Record<string, unknown>
    if (typeof payload.seq !== 'number' || typeof payload.expires !== 'number') return null
    return { seq: payload.seq, expires: payload.expires, bytes: value }
  } catch {
    return null
  }
}

/** Positive when `a` is better than `b`. */
function compareRank (a: Rank, b: Rank): number {
  if (a.seq !== b.seq) return a.seq - b.seq
  if (a.expires !== b.expires) return a.expires - b.expires
  return compareBytes(b.bytes, a.bytes)
}

function compareBytes (a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return a[i] - b[i]
  }
  return a.length - b.length
}
