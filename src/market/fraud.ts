/**
 * Fraud reports: a listing whose committed content key does not decrypt its ciphertext.
 *
 * The chain judges a delivery by the listing's key commitment only (src/ledger/tx/escrow.ts): a
 * seller who committed to a key that does not open what it listed is paid, because one chunk is
 * too large for a transaction. The buyer who finds such a chunk signs a report (domain
 * `agora-fraud-report`): the listing, its publisher, the content key (which opens nothing of
 * value: it fails on what was listed), and where it fails (file index, chunk index). Any peer
 * checks a report with what the listing signed: the key must match the commitment, then the
 * named file's ciphertext header is read (it must parse and agree with the listing's sizes) and
 * the named chunk is read and authenticated. The file's bytes are fixed by its CID, so every peer
 * reading them reaches the same verdict; a report whose chunk authenticates is false.
 *
 * Policy: what a report does is mark, not delete: the listing and its publisher are flagged in
 * the index and search results, a flagged listing is not bought, and validators draw no tasks
 * from it. Making a report costs a purchase (only a holder of the committed key can sign one
 * that checks out, and a false one is refuted by the same check).
 */
import { Key } from 'interface-datastore'
import { CID } from 'multiformats'
import { logger } from '@libp2p/logger'
import { chunkCount, chunkOffset, chunkPlainLength, decryptChunk, HEADER_SIZE, parseHeader, TAG_SIZE } from './chunk-cipher.ts'
import { DOMAINS } from '../signing.ts'
import { equalBytes, open, seal } from './envelope.ts'
import { FraudReportError } from './errors.ts'
import { publicKeyOf } from './keys.ts'
import { checkContentKey } from '../seal.ts'
import type { Listing } from './listing.ts'
import type { AbortOptions } from '@libp2p/interface'
import type { Datastore } from 'interface-datastore'

const log = logger('agora:market:fraud')

/** The signature domain of fraud reports. */
export const FRAUD_DOMAIN = DOMAINS.fraudReport.domain
/** Policy: a report is a few hundred bytes; anything larger is refused before decoding. */
export const MAX_FRAUD_REPORT_BYTES = 1024

/** The signed content of a fraud report. */
export interface FraudRecord {
  schema: 'agora/fraud@1'
  /** The listing reported (its id). */
  listing: CID
  /** Its publisher's hotkey (the accused). */
  publisher: Uint8Array
  /** The content key the listing committed to. */
  key: Uint8Array
  /** Index of the failing file in the listing's files. */
  file: number
  /** The failing chunk of that file (0 also for a bad header). */
  chunk: number
  /** The reporter's hotkey, which signs the report. */
  reporter: Uint8Array
  /** When the report was made, ms since the epoch. */
  created: number
}

/** A signed fraud report. */
export interface FraudReport {
  /** CID of the report envelope. */
  id: CID
  record: FraudRecord
  bytes: Uint8Array
}

/** Creates a report, signed with the reporter's 32-byte secret seed. */
export function createFraudReport (params: { listing: Listing, key: Uint8Array, file: number, chunk: number, created?: number }, reporterSecret: Uint8Array): FraudReport {
  const record = parseRecord({
    schema: 'agora/fraud@1',
    listing: params.listing.id,
    publisher: params.listing.record.publisher,
    key: params.key,
    file: params.file,
    chunk: params.chunk,
    reporter: publicKeyOf(reporterSecret),
    created: params.created ?? Date.now()
  })
  const bytes = seal(record, reporterSecret, FRAUD_DOMAIN)
  return { id: open(bytes, FRAUD_DOMAIN, { maxSize: MAX_FRAUD_REPORT_BYTES }).cid, record, bytes }
}

/**
 * Decodes and verifies report bytes: size, canonical envelope, schema, the reporter's signature.
 * Says nothing about whether the claim is true (see {@link checkFraudClaim}). Throws
 * `RecordTooLargeError`, `MalformedRecordError`, `InvalidSignatureError` or `FraudReportError`.
 */
export function decodeFraudReport (bytes: Uint8Array): FraudReport {
  const opened = open(bytes, FRAUD_DOMAIN, { maxSize: MAX_FRAUD_REPORT_BYTES })
  const record = parseRecord(opened.payload)
  if (!equalBytes(opened.publicKey, record.reporter)) throw new FraudReportError('report is not signed by its reporter')
  return { id: opened.cid, record, bytes }
}

/** Reads `length` bytes at `offset` of the file `cid` (of the listing whose root is `root`). */
export type FileRangeReader = (cid: CID, offset: number, length: number, options?: AbortOptions) => Promise<Uint8Array>

/**
 * Checks a report's claim against the listing it names: resolves if the committed key fails on
 * the named file (its header does not parse or disagrees with the listing, or the named chunk is
 * short or does not authenticate). Throws `FraudReportError` for a report about another listing
 * or publisher, a key that is not the committed one, a file or chunk that does not exist, or a
 * chunk that decrypts (a false report). Errors of `read` (the bytes could not be fetched) pass
 * through: the claim is then undecided, not false.
 */
export async function checkFraudClaim (report: FraudReport, listing: Listing, read: FileRangeReader, options: AbortOptions = {}): Promise<void> {
  const r = report.record
  const l = listing.record
  if (!listing.id.equals(r.listing)) throw new FraudReportError('report is about another listing')
  if (!equalBytes(l.publisher, r.publisher)) throw new FraudReportError('report names another publisher')
  if (l.access !== 'paid' || l.keyCommitment == null || l.encryption == null) throw new FraudReportError('the listing is not encrypted: nothing to report')
  try {
    checkContentKey(r.key, l.keyCommitment)
  } catch (err) {
    throw new FraudReportError('the report\'s key is not the one the listing committed to', { cause: err })
  }
  const f = l.files[r.file]
  if (f == null) throw new FraudReportError(`the listing has no file ${r.file}`)
  const head = await read(f.cid, 0, HEADER_SIZE, options)
  let header
  try {
    header = parseHeader(head)
  } catch (err) {
    log('%s: file %d has no valid header - %e', listing.id, r.file, err)
    return
  }
  // the sizes the listing signed are the ones the ciphertext must have
  if (header.plaintextLength !== f.size || header.chunkSize !== l.encryption.chunkSize) return
  if (r.chunk >= chunkCount(header.plaintextLength, header.chunkSize)) throw new FraudReportError(`file ${r.file} has no chunk ${r.chunk}`)
  const want = chunkPlainLength(header, r.chunk) + TAG_SIZE
  const ct = await read(f.cid, chunkOffset(header, r.chunk), want, options)
  if (ct.length !== want) return // the file ends inside the chunk
  try {
    decryptChunk(r.key, header, r.chunk, ct)
  } catch (err) {
    if ((err as Error).name === 'DecryptionError' || (err as Error).name === 'CiphertextFormatError') return
    throw err
  }
  throw new FraudReportError(`chunk ${r.chunk} of file ${r.file} decrypts with the committed key: the report is false`)
}

/** How a listing stands with respect to verified reports. */
export interface FraudMarks {
  /** A verified report names this listing. */
  listing: boolean
  /** A verified report names another (or this) listing of its publisher. */
  publisher: boolean
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

/**
 * The verified reports this peer holds, one per listing, in the datastore (they survive
 * restarts) and in memory as marks. Policy: at most `max` reports are kept, the oldest dropped
 * first.
 */
export class FraudBook {
  readonly #datastore: Datastore
  readonly #max: number
  /** listing id → report (insertion order: oldest first). */
  readonly #reports = new Map<string, FraudReport>()
  /** publisher hex → listings reported. */
  readonly #publishers = new Map<string, number>()

  constructor (components: { datastore: Datastore }, init: { max?: number } = {}) {
    this.#datastore = components.datastore
    this.#max = init.max ?? 10_000
  }

  /** Loads the stored reports (each checked again for signature and schema). */
  async start (options: AbortOptions = {}): Promise<void> {
    const loaded: FraudReport[] = []
    for await (const { value } of this.#datastore.query({ prefix: PREFIX }, options)) {
      try {
        loaded.push(decodeFraudReport(value))
      } catch (err) {
        log.error('a stored fraud report does not decode - %e', err)
      }
    }
    for (const r of loaded.sort((a, b) => a.record.created - b.record.created)) this.#remember(r)
  }

  /** The number of reports held. */
  get size (): number { return this.#reports.size }

  has (listing: CID | string): boolean { return this.#reports.has(listing.toString()) }

  get (listing: CID | string): FraudReport | undefined { return this.#reports.get(listing.toString()) }

  /** Every report held, oldest first. */
  all (): FraudReport[] { return [...this.#reports.values()] }

  /** The marks of a listing. */
  marks (listing: Listing): FraudMarks {
    return { listing: this.#reports.has(listing.id.toString()), publisher: (this.#publishers.get(hex(listing.record.publisher)) ?? 0) > 0 }
  }

  /** Keeps a verified report (the caller ran {@link checkFraudClaim}). Returns false if one for that listing is held. */
  async add (report: FraudReport, options: AbortOptions = {}): Promise<boolean> {
    const id = report.record.listing.toString()
    if (this.#reports.has(id)) return false
    await this.#datastore.put(keyOf(id), report.bytes, options)
    this.#remember(report)
    while (this.#reports.size > this.#max) {
      const [oldest, r] = this.#reports.entries().next().value as [string, FraudReport]
      this.#forget(oldest, r)
      await this.#datastore.delete(keyOf(oldest), options)
    }
    return true
  }

  #remember (r: FraudReport): void {
    const id = r.record.listing.toString()
    if (this.#reports.has(id)) return
    this.#reports.set(id, r)
    const p = hex(r.record.publisher)
    this.#publishers.set(p, (this.#publishers.get(p) ?? 0) + 1)
  }

  #forget (id: string, r: FraudReport): void {
    this.#reports.delete(id)
    const p = hex(r.record.publisher)
    const n = (this.#publishers.get(p) ?? 1) - 1
    if (n <= 0) this.#publishers.delete(p)
    else this.#publishers.set(p, n)
  }
}

const PREFIX = '/market/fraud/'

function keyOf (listing: string): Key {
  return new Key(`${PREFIX}${listing}`)
}

function parseRecord (v: unknown): FraudRecord {
  if (v == null || typeof v !== 'object' || Array.isArray(v)) throw new FraudReportError('report is not a map')
  const r = v as Record<string, unknown>
  if (Object.keys(r).sort().join(',') !== 'chunk,created,file,key,listing,publisher,reporter,schema') throw new FraudReportError('report must have exactly chunk, created, file, key, listing, publisher, reporter, schema')
  if (r.schema !== 'agora/fraud@1') throw new FraudReportError('unknown report schema')
  const listing = CID.asCID(r.listing)
  if (listing == null) throw new FraudReportError('report listing must be a CID')
  for (const k of ['publisher', 'key', 'reporter'] as const) {
    if (!(r[k] instanceof Uint8Array) || r[k].length !== 32) throw new FraudReportError(`report ${k} must be 32 bytes`)
  }
  // Policy: listings have at most a few thousand files and chunks are at least 4 KiB, so these
  // bounds only keep the numbers safe; the check reads the listing for the real ones.
  for (const k of ['file', 'chunk', 'created'] as const) {
    if (typeof r[k] !== 'number' || !Number.isSafeInteger(r[k]) || r[k] < 0) throw new FraudReportError(`report ${k} must be a non-negative integer`)
  }
  return { schema: 'agora/fraud@1', listing, publisher: r.publisher as Uint8Array, key: r.key as Uint8Array, file: r.file as number, chunk: r.chunk as number, reporter: r.reporter as Uint8Array, created: r.created as number }
}
