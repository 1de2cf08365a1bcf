/**
 * Listings: create (validate and sign), encode, decode and verify. A listing is a
 * {@link ListingRecord} sealed in an envelope under the `agora-listing` domain with the
 * publisher's hotkey; its id is the CID of the envelope bytes.
 */
import type { CID } from 'multiformats'
import { DEFAULT_VALIDITY_MS, LISTING_DOMAIN, LISTING_SCHEMA, MAX_LISTING_BYTES } from './constants.ts'
import { decodeEnvelopeUnsafe, envelopeCid, equalBytes, seal, verifyEnvelope } from './envelope.ts'
import { InvalidListingError, InvalidSignatureError, RecordExpiredError, RecordTooLargeError } from './errors.ts'
import { assertBytes, signerOf } from './keys.ts'
import type { Signer } from './keys.ts'
import { normalizeLicense } from './licenses.ts'
import { isCurrent, parseListingRecord } from './listing-schema.ts'
import type { ListingAccess, ListingEncryption, ListingFile, ListingKind, ListingRecord, ListingState, PriceUnit } from './listing-schema.ts'

/** A signed listing. */
export interface Listing {
  /** The listing id: CIDv1 dag-cbor of `bytes`. */
  id: CID
  /** The signed content. */
  record: ListingRecord
  /** The envelope bytes as signed and spread. */
  bytes: Uint8Array
  /** The publisher's signature. */
  signature: Uint8Array
}

/** What a publisher states; everything but kind, name, licence and root has a default. */
export interface CreateListingParameters {
  kind: ListingKind
  name: string
  /** SPDX id in any case, or `unspecified`. */
  license: string
  root: CID
  /** @default '1' */
  version?: string
  /** @default null */
  parent?: CID | null
  /** @default '' */
  description?: string
  /** @default null */
  card?: CID | null
  /** Lower-case tags. @default [] */
  tags?: string[]
  /** @default null */
  task?: string | null
  /** @default [] */
  files?: Array<Omit<ListingFile, 'sha256'> & { sha256?: Uint8Array | null }>
  /** @default 'open', or 'paid' when a price above 0 is given */
  access?: ListingAccess
  /** Price in rao. @default 0n */
  price?: bigint
  /** @default 'download' */
  unit?: PriceUnit
  /** Milliseconds since the epoch. @default Date.now() */
  created?: number
  /** Milliseconds since the epoch. @default created + 30 days */
  expires?: number
  /** @default 0 */
  seq?: number
  /** @default 'active' */
  state?: ListingState
  /** Required for paid listings (see `commitContentKey`). @default null */
  keyCommitment?: Uint8Array | null
  /** Required for paid listings. @default null */
  encryption?: ListingEncryption | null
}

/** Options of {@link verifyListing}. */
export interface VerifyListingOptions {
  /** The time to check expiry against, in ms since the epoch. @default Date.now() */
  now?: number
  /** Refuse envelopes above this size before decoding. @default MAX_LISTING_BYTES */
  maxSize?: number
}

/**
 * Validates `params`, signs the listing with the publisher's hotkey (a 32-byte secret seed or a
 * {@link Signer}) and returns it.
 * Throws `InvalidListingError` or `UnknownLicenseError` for bad fields, `RecordTooLargeError` if
 * the signed listing would exceed {@link MAX_LISTING_BYTES}.
 */
export function createListing (params: CreateListingParameters, key: Uint8Array | Signer): Listing {
  const signer = signerOf(key)
  const created = params.created ?? Date.now()
  const price = params.price ?? 0n
  const draft: ListingRecord = {
    schema: LISTING_SCHEMA,
    kind: params.kind,
    name: params.name,
    version: params.version ?? '1',
    parent: params.parent ?? null,
    description: params.description ?? '',
    card: params.card ?? null,
    license: normalizeLicense(params.license),
    tags: params.tags ?? [],
    task: params.task ?? null,
    files: (params.files ?? []).map(f => ({ path: f.path, size: f.size, cid: f.cid, sha256: f.sha256 ?? null })),
    root: params.root,
    access: params.access ?? (price > 0n ? 'paid' : 'open'),
    price,
    unit: params.unit ?? 'download',
    publisher: signer.publicKey,
    created,
    expires: params.expires ?? created + DEFAULT_VALIDITY_MS,
    seq: params.seq ?? 0,
    state: params.state ?? 'active',
    keyCommitment: params.keyCommitment ?? null,
    encryption: params.encryption ?? null
  }
  const record = parseListingRecord(draft)
  const bytes = seal(record, signer, LISTING_DOMAIN)
  if (bytes.length > MAX_LISTING_BYTES) {
    throw new RecordTooLargeError(`listing is ${bytes.length} bytes, the limit is ${MAX_LISTING_BYTES}`)
  }
  // just encoded canonically here: no need to re-check the form
  return decodeListingUnsafe(bytes, { trusted: true })
}

/** The envelope bytes of a listing, as spread over gossip, the DHT and the catalogue. */
export function encodeListing (listing: Listing): Uint8Array {
  return listing.bytes
}

/**
 * Decodes and authenticates listing bytes without checking expiry (to show historic versions):
 * size limit before decoding, then the envelope, the schema, and the publisher's signature.
 * Throws `RecordTooLargeError`, `MalformedRecordError`, `InvalidListingError`,
 * `UnknownLicenseError` or `InvalidSignatureError`.
 */
export function decodeListing (bytes: Uint8Array, options: Pick<VerifyListingOptions, 'maxSize'> = {}): Listing {
  assertBytes(bytes, undefined, 'listing')
  const maxSize = options.maxSize ?? MAX_LISTING_BYTES
  if (bytes.length > maxSize) {
    throw new RecordTooLargeError(`listing is ${bytes.length} bytes, the limit is ${maxSize}`)
  }
  const env = decodeEnvelopeUnsafe(bytes)
  const record = parseListingRecord(env.payload)
  if (!equalBytes(env.publicKey, record.publisher)) {
    throw new InvalidSignatureError('listing is signed by a key other than its publisher')
  }
  verifyEnvelope(env, LISTING_DOMAIN)
  return { id: envelopeCid(bytes), record, bytes, signature: env.signature }
}

/**
 * Verifies listing bytes from anywhere: {@link decodeListing} and then expiry. Throws
 * `RecordExpiredError` for a listing past its expiry or created in the future.
 */
export function verifyListing (bytes: Uint8Array, options: VerifyListingOptions = {}): Listing {
  const listing = decodeListing(bytes, options)
  assertCurrent(listing.record, options.now ?? Date.now())
  return listing
}

/** Throws `RecordExpiredError` unless the record is within its validity window at `now`. */
export function assertCurrent (record: ListingRecord, now: number): void {
  if (!isCurrent(record, now)) {
    throw new RecordExpiredError(now >= record.expires
      ? `listing expired at ${new Date(record.expires).toISOString()}`
      : `listing is created in the future (${new Date(record.created).toISOString()})`)
  }
}

/**
 * Decodes listing bytes that were verified before (read back from our own index) without
 * checking the signature. Shape and schema are still checked. `trusted` also skips the
 * canonical-form check, and a known `id` skips hashing; both only for our own store's bytes.
 */
export function decodeListingUnsafe (bytes: Uint8Array, options: { id?: CID, trusted?: boolean } = {}): Listing {
  const env = decodeEnvelopeUnsafe(bytes, { canonical: options.trusted !== true })
  return { id: options.id ?? envelopeCid(bytes), record: parseListingRecord(env.payload), bytes, signature: env.signature }
}

/**
 * The next version of `previous`: the given changes, `seq + 1`, `parent` = the previous id, a new
 * creation time and validity. Throws `InvalidListingError` if the key is not the publisher's.
 */
export function updateListing (previous: Listing, changes: Partial<Omit<CreateListingParameters, 'kind' | 'name' | 'seq' | 'parent'>>, key: Uint8Array | Signer): Listing {
  const prev = previous.record
  const signer = signerOf(key)
  if (!equalBytes(signer.publicKey, prev.publisher)) throw new InvalidListingError('only the publisher can update a listing')
  const created = changes.created ?? Math.max(Date.now(), prev.created + 1)
  return createListing({
    ...prev,
    ...changes,
    created,
    expires: changes.expires ?? created + DEFAULT_VALIDITY_MS,
    seq: prev.seq + 1,
    parent: previous.id
  }, signer)
}

/**
 * A revocation of `previous`: the same item with state `revoked` and `seq + 1`. Policy: its
 * expiry is at least the previous one's, so the revocation outlives every version it withdraws
 * and an old copy replayed later is still recognised as superseded.
 */
export function revokeListing (previous: Listing, key: Uint8Array | Signer, options: { now?: number } = {}): Listing {
  const created = Math.max(options.now ?? Date.now(), previous.record.created + 1)
  const expires = Math.max(previous.record.expires, created + DEFAULT_VALIDITY_MS)
  return updateListing(previous, { state: 'revoked', created, expires }, key)
}
