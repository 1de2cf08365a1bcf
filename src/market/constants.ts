/**
 * Market constants: signature domains, DHT namespace, limits and defaults. Every signed record
 * type has its own domain string, so a signature made for one purpose can never be replayed as
 * another. The domains are entries of the one table, src/signing.ts `DOMAINS`.
 */
import { DOMAINS } from '../signing.ts'

const second = 1000
const minute = 60 * second
const hour = 60 * minute
const day = 24 * hour

/** Signature domain of a listing envelope. */
export const LISTING_DOMAIN = DOMAINS.listing.domain

/** Signature domain of a purchase receipt (signed by the seller). */
export const RECEIPT_DOMAIN = DOMAINS.receipt.domain

/** Signature domain of a buyer's request to have a content key sealed to it again. */
export const REISSUE_DOMAIN = DOMAINS.reissue.domain

/** First path segment of our DHT records: `/agora-market/<peer id>/<kind>/<name>`. */
export const DHT_NAMESPACE = 'agora-market'

/** The listing schema this code writes and reads. */
export const LISTING_SCHEMA = 'agora/listing@1'

/**
 * Largest encoded listing envelope accepted anywhere (DHT, gossip, catalogue, disk).
 * Policy: checked before any decoding, so a peer cannot make us parse megabytes. 64 KiB holds
 * the maximum of {@link MAX_FILES} entries with long paths; larger file sets are listed by their
 * root CID (a UnixFS directory).
 */
export const MAX_LISTING_BYTES = 64 * 1024

/** Largest receipt or reissue request accepted. */
export const MAX_RECEIPT_BYTES = 4 * 1024

/** Most file entries one listing may carry. */
export const MAX_FILES = 128

/** Most tags one listing may carry. */
export const MAX_TAGS = 32

/**
 * Longest validity a listing may claim (expires - created). Policy: bounded so that an old
 * version cannot outlive a newer one for years; publishers refresh with a higher sequence.
 */
export const MAX_VALIDITY_MS = 400 * day

/** Default validity of a new listing. */
export const DEFAULT_VALIDITY_MS = 30 * day

/**
 * How far in the future a `created` time may lie before the record is refused. Policy: a little
 * clock skew between peers is tolerated, records from the future are not.
 */
export const MAX_CLOCK_SKEW_MS = 5 * minute

/** Plaintext bytes per encrypted chunk (age uses the same 64 KiB). */
export const DEFAULT_CHUNK_SIZE = 64 * 1024

/** Smallest and largest chunk size the ciphertext format accepts. */
export const MIN_CHUNK_SIZE = 1024
export const MAX_CHUNK_SIZE = 16 * 1024 * 1024

/** Time constants for callers. */
export const TIME = { second, minute, hour, day } as const
