/**
 * The listing record's schema: its types and a strict parser used both before signing and on
 * every read. The record is a dag-cbor map with every key present (`null` where absent), so a
 * listing has exactly one canonical encoding.
 */
import { CID } from 'multiformats'
import { LISTING_SCHEMA, MAX_CHUNK_SIZE, MAX_CLOCK_SKEW_MS, MAX_FILES, MAX_TAGS, MAX_VALIDITY_MS, MIN_CHUNK_SIZE } from './constants.ts'
import { InvalidListingError, UnknownLicenseError } from './errors.ts'
import { isKnownLicense } from './licenses.ts'

/** What is listed. */
export type ListingKind = 'model' | 'dataset'
/** `open`: anyone fetches by CID. `paid`: only ciphertext is published, the key is sold. */
export type ListingAccess = 'open' | 'paid'
/** What the price is for: one purchase of the whole listing, or each GiB fetched. */
export type PriceUnit = 'download' | 'gib'
/** `revoked` withdraws the item: a revoked version replaces every older one. */
export type ListingState = 'active' | 'revoked'

/** One file of a listing. For a paid listing `cid` names the ciphertext. */
export interface ListingFile {
  /** Relative path inside the item (`/`-separated, no `..`). */
  path: string
  /** Plaintext size in bytes. */
  size: number
  /** CID of the bytes that are published (ciphertext for paid listings). */
  cid: CID
  /** SHA-256 of the plaintext, or null. */
  sha256: Uint8Array | null
}

/** How paid content is encrypted (see `chunk-cipher.ts`). */
export interface ListingEncryption {
  /** The ciphertext format. */
  alg: 'xchacha20poly1305-chunked/1'
  /** Plaintext bytes per chunk. */
  chunkSize: number
}

/** The signed content of a listing. */
export interface ListingRecord {
  schema: typeof LISTING_SCHEMA
  kind: ListingKind
  /** `[A-Za-z0-9][A-Za-z0-9._-]{0,99}`: unique per publisher and kind. */
  name: string
  /** Free-form version label (semver recommended). */
  version: string
  /** Id (CID) of the previous version of this listing, or null. */
  parent: CID | null
  description: string
  /** CID of the card (README markdown), or null. */
  card: CID | null
  /** SPDX id in canonical case, or `unspecified`. */
  license: string
  tags: string[]
  /** Task in Hugging Face `pipeline_tag` style, or null. */
  task: string | null
  files: ListingFile[]
  /** Root CID of the whole item (a UnixFS directory or file). */
  root: CID
  access: ListingAccess
  /** Price in rao (0 for open listings). */
  price: bigint
  unit: PriceUnit
  /** The publisher's ed25519 hotkey (32 bytes), which signs the envelope. */
  publisher: Uint8Array
  /** Milliseconds since the Unix epoch. */
  created: number
  /** Milliseconds since the Unix epoch; after it the listing is refused. */
  expires: number
  /** Sequence number: a higher one replaces every lower one for the same item. */
  seq: number
  state: ListingState
  /** `sha256(domain ‖ contentKey)` for paid listings, else null. */
  keyCommitment: Uint8Array | null
  /** Encryption parameters for paid listings, else null. */
  encryption: ListingEncryption | null
}

const KEYS = ['schema', 'kind', 'name', 'version', 'parent', 'description', 'card', 'license', 'tags', 'task', 'files',
  'root', 'access', 'price', 'unit', 'publisher', 'created', 'expires', 'seq', 'state', 'keyCommitment', 'encryption']
const SORTED_KEYS = [...KEYS].sort().join(',')
const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/
const TAG_RE = /^[a-z0-9][a-z0-9._:+-]{0,63}$/
const VERSION_RE = /^[\x21-\x7e]{1,64}$/
const MAX_DESCRIPTION = 8192
const MAX_PATH = 512
const MAX_PRICE = (1n << 64n) - 1n

/** Parses and checks an untrusted decoded payload; throws `InvalidListingError`. */
export function parseListingRecord (value: unknown): ListingRecord {
  if (value == null || typeof value !== 'object' || Array.isArray(value)) fail('listing is not a map')
  const r = value as Record<string, unknown>
  const keys = Object.keys(r).sort().join(',')
  if (keys !== SORTED_KEYS) fail(`listing has fields [${keys}], expected [${SORTED_KEYS}]`)
  if (r.schema !== LISTING_SCHEMA) fail(`unknown schema ${String(r.schema)}`)
  const record: ListingRecord = {
    schema: LISTING_SCHEMA,
    kind: oneOf(r.kind, ['model', 'dataset'] as const, 'kind'),
    name: matching(r.name, NAME_RE, 'name'),
    version: matching(r.version, VERSION_RE, 'version'),
    parent: cidOrNull(r.parent, 'parent'),
    description: text(r.description, MAX_DESCRIPTION, 'description'),
    card: cidOrNull(r.card, 'card'),
    license: license(r.license),
    tags: tags(r.tags),
    task: r.task === null ? null : matching(r.task, TAG_RE, 'task'),
    files: files(r.files),
    root: cid(r.root, 'root'),
    access: oneOf(r.access, ['open', 'paid'] as const, 'access'),
    price: price(r.price),
    unit: oneOf(r.unit, ['download', 'gib'] as const, 'unit'),
    publisher: bytes(r.publisher, 32, 'publisher'),
    created: safeInt(r.created, 'created'),
    expires: safeInt(r.expires, 'expires'),
    seq: safeInt(r.seq, 'seq'),
    state: oneOf(r.state, ['active', 'revoked'] as const, 'state'),
    keyCommitment: r.keyCommitment === null ? null : bytes(r.keyCommitment, 32, 'keyCommitment'),
    encryption: encryption(r.encryption)
  }
  checkConsistency(record)
  return record
}

/**
 * Checks the time window at `now`. Policy: refuse expired records and records created more than
 * {@link MAX_CLOCK_SKEW_MS} in the future.
 */
export function isCurrent (record: Pick<ListingRecord, 'created' | 'expires'>, now: number): boolean {
  return now < record.expires && record.created <= now + MAX_CLOCK_SKEW_MS
}

function checkConsistency (r: ListingRecord): void {
  if (r.expires <= r.created) fail('expires must be after created')
  if (r.expires - r.created > MAX_VALIDITY_MS) fail(`validity exceeds ${MAX_VALIDITY_MS} ms`)
  // Policy: what a buyer pays for and what is encrypted must agree, so nobody sells open content
  // as paid or publishes plaintext of a paid item by mistake.
  if (r.access === 'open') {
    if (r.price !== 0n) fail('an open listing has price 0')
    if (r.keyCommitment !== null || r.encryption !== null) fail('an open listing has no key commitment or encryption')
  } else {
    if (r.price <= 0n) fail('a paid listing has a price above 0')
    if (r.keyCommitment === null || r.encryption === null) fail('a paid listing needs a key commitment and encryption')
  }
  const paths = new Set(r.files.map(f => f.path))
  if (paths.size !== r.files.length) fail('file paths must be unique')
}

function fail (message: string): never {
  throw new InvalidListingError(message)
}

function oneOf<T extends string> (v: unknown, allowed: readonly T[], what: string): T {
  if (typeof v !== 'string' || !allowed.includes(v as T)) fail(`${what} must be one of ${allowed.join(', ')}`)
  return v as T
}

function matching (v: unknown, re: RegExp, what: string): string {
  if (typeof v !== 'string' || !re.test(v)) fail(`${what} must match ${re.source}`)
  return v
}

function text (v: unknown, max: number, what: string): string {
  if (typeof v !== 'string' || v.length > max) fail(`${what} must be a string of at most ${max} characters`)
  return v
}

function safeInt (v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) fail(`${what} must be a non-negative safe integer`)
  return v
}

function bytes (v: unknown, length: number, what: string): Uint8Array {
  if (!(v instanceof Uint8Array) || v.length !== length) fail(`${what} must be ${length} bytes`)
  return v
}

function cid (v: unknown, what: string): CID {
  const c = CID.asCID(v)
  if (c == null) fail(`${what} must be a CID`)
  return c
}

function cidOrNull (v: unknown, what: string): CID | null {
  return v === null ? null : cid(v, what)
}

function license (v: unknown): string {
  if (typeof v !== 'string') fail('license must be a string')
  if (!isKnownLicense(v)) throw new UnknownLicenseError(`"${v}" is not a canonical SPDX licence identifier or "unspecified"`)
  return v
}

function tags (v: unknown): string[] {
  if (!Array.isArray(v) || v.length > MAX_TAGS) fail(`tags must be a list of at most ${MAX_TAGS}`)
  const out = v.map(t => matching(t, TAG_RE, 'tag'))
  if (new Set(out).size !== out.length) fail('tags must be unique')
  return out
}

function price (v: unknown): bigint {
  const p = typeof v === 'number' && Number.isSafeInteger(v) ? BigInt(v) : v
  if (typeof p !== 'bigint' || p < 0n || p > MAX_PRICE) fail('price must be an integer number of rao in [0, 2^64)')
  return p
}

function files (v: unknown): ListingFile[] {
  if (!Array.isArray(v) || v.length > MAX_FILES) fail(`files must be a list of at most ${MAX_FILES}`)
  return v.map((f: unknown) => {
    if (f == null || typeof f !== 'object') fail('file entry must be a map')
    const e = f as Record<string, unknown>
    if (Object.keys(e).sort().join(',') !== 'cid,path,sha256,size') fail('file entry must have exactly cid, path, sha256, size')
    return {
      path: filePath(e.path),
      size: safeInt(e.size, 'file size'),
      cid: cid(e.cid, 'file cid'),
      sha256: e.sha256 === null ? null : bytes(e.sha256, 32, 'file sha256')
    }
  })
}

function filePath (v: unknown): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > MAX_PATH) fail(`file path must be 1..${MAX_PATH} characters`)
  // Policy: paths are relative and cannot climb out of the download directory.
  const parts = v.split('/')
  if (parts.some(p => p === '' || p === '.' || p === '..') || v.includes('\\') || v.includes('\0')) fail(`file path "${v}" is not a clean relative path`)
  return v
}

function encryption (v: unknown): ListingEncryption | null {
  if (v === null) return null
  if (v == null || typeof v !== 'object') fail('encryption must be a map or null')
  const e = v as Record<string, unknown>
  if (Object.keys(e).sort().join(',') !== 'alg,chunkSize') fail('encryption must have exactly alg, chunkSize')
  const chunkSize = safeInt(e.chunkSize, 'chunk size')
  if (chunkSize < MIN_CHUNK_SIZE || chunkSize > MAX_CHUNK_SIZE) fail(`chunk size must be in [${MIN_CHUNK_SIZE}, ${MAX_CHUNK_SIZE}]`)
  return { alg: oneOf(e.alg, ['xchacha20poly1305-chunked/1'] as const, 'encryption alg'), chunkSize }
}
