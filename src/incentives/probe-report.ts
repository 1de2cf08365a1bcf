/**
 * Signed probe reports and report batches.
 *
 * A report is the {@link ProbeResult} encoded as canonical dag-cbor (field `v` holds the
 * encoding version). The validator signs, with its hotkey (ed25519),
 * `varint(len(domain)) ‖ domain ‖ payload` with the domain `agora-probe-report` (src/signing.ts
 * `DOMAINS`), so a report signature can never be replayed as any other record. The signed report
 * travels as the dag-cbor map `{ p: payload, s: signature }`. A batch is the dag-cbor map
 * `{ v, round, validator, reports: [signed report bytes…] }`; its CID (dag-cbor, sha2-256) is
 * what a validator publishes for audit.
 */
import * as dagCbor from '@ipld/dag-cbor'
import * as ed from '@noble/ed25519'
import { CID } from 'multiformats'
import { sha256 } from 'multiformats/hashes/sha2'
import { sign, signingBytes, verify } from '../signing.ts'
import { equalBytes } from './bytes.ts'
import { HOTKEY_LENGTH, MAX_REPORT_BATCH_BYTES, MAX_SIGNED_REPORT_BYTES, PROBE_REPORT_DOMAIN, PROBE_REPORT_VERSION, SIGNATURE_LENGTH } from './constants.ts'
import { InvalidProbeReportError, InvalidReportSignatureError, ProbeReportTooLargeError } from './errors.ts'
import { assertProbeResult } from './probe-result.ts'
import type { ProbeResult } from './probe-result.ts'

const FIELDS = [
  'round', 'validatorHotkey', 'minerHotkey', 'minerPeerId', 'listingCid', 'fileCid', 'rangeStart',
  'rangeLen', 'protocol', 'clientVersion', 'startedAt', 'dhtLookupMs', 'minerInProviderSet', 'dialMs',
  'relayed', 'ttfbMs', 'ttlbMs', 'bytes', 'throughputBps', 'resultCode', 'verify', 'proof'
] as const

/** A probe result with its validator's signature, as stored and published. */
export interface SignedProbeReport {
  /** The decoded, checked result. */
  result: ProbeResult
  /** The canonical dag-cbor payload that was signed. */
  payload: Uint8Array
  /** ed25519 signature by `result.validatorHotkey` over the domain-separated payload. */
  signature: Uint8Array
  /** The signed report's wire bytes (`{ p, s }` in dag-cbor). */
  bytes: Uint8Array
}

/** The canonical dag-cbor bytes of a probe result (checked first). */
export function encodeProbeResult (result: ProbeResult): Uint8Array {
  assertProbeResult(result)
  const obj: Record<string, unknown> = { v: PROBE_REPORT_VERSION }
  for (const f of FIELDS) obj[f] = result[f]
  return dagCbor.encode(obj)
}

/** The bytes a report signature covers: `varint(len(domain)) ‖ domain ‖ payload` (src/signing.ts). */
export function reportSigningBytes (payload: Uint8Array): Uint8Array {
  return signingBytes(PROBE_REPORT_DOMAIN, payload)
}

/**
 * Signs a probe result with the validator's ed25519 secret key (32-byte seed). The key must
 * belong to `result.validatorHotkey`.
 *
 * @throws InvalidProbeReportError if the result is malformed or the key is not the result's validator
 */
export async function signProbeReport (result: ProbeResult, secretKey: Uint8Array): Promise<SignedProbeReport> {
  if (!(secretKey instanceof Uint8Array) || secretKey.length !== 32) throw new RangeError('secretKey must be 32 bytes')
  const payload = encodeProbeResult(result)
  const pub = await ed.getPublicKeyAsync(secretKey)
  if (!equalBytes(pub, result.validatorHotkey)) throw new InvalidProbeReportError('the signing key is not the report\'s validatorHotkey')
  const signature = sign(PROBE_REPORT_DOMAIN, payload, secretKey)
  return { result, payload, signature, bytes: dagCbor.encode({ p: payload, s: signature }) }
}

function decodeCbor (bytes: Uint8Array, what: string): unknown {
  try {
    return dagCbor.decode(bytes)
  } catch (err) {
    throw new InvalidProbeReportError(`${what} is not valid dag-cbor`, { cause: err })
  }
}

/** Decodes and checks a report payload, which must be in canonical form. */
function decodePayload (payload: Uint8Array): ProbeResult {
  const obj = decodeCbor(payload, 'report payload')
  if (obj == null || typeof obj !== 'object' || Array.isArray(obj)) throw new InvalidProbeReportError('report payload must be a map')
  const rec = obj as Record<string, unknown>
  if (rec.v !== PROBE_REPORT_VERSION) throw new InvalidProbeReportError(`unsupported report version ${String(rec.v)}`)
  const keys = Object.keys(rec)
  if (keys.length !== FIELDS.length + 1) throw new InvalidProbeReportError('report payload has missing or unknown fields')
  const result: Record<string, unknown> = {}
  for (const f of FIELDS) {
    if (!(f in rec)) throw new InvalidProbeReportError(`report payload lacks ${f}`)
    result[f] = rec[f]
  }
  assertProbeResult(result)
  // dag-cbor decoding is strict about map order and minimal integers, but re-encoding is the
  // simplest proof that these bytes are the one canonical form the signature must cover.
  if (!equalBytes(encodeProbeResult(result), payload)) throw new InvalidProbeReportError('report payload is not canonical')
  return result
}

/**
 * Opens a signed probe report: checks the size before decoding, decodes, checks every field,
 * then verifies the signature under the validator hotkey the report names.
 *
 * @throws ProbeReportTooLargeError, InvalidProbeReportError, InvalidReportSignatureError
 */
export async function openProbeReport (bytes: Uint8Array): Promise<SignedProbeReport> {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('a signed report must be a Uint8Array')
  if (bytes.length > MAX_SIGNED_REPORT_BYTES) throw new ProbeReportTooLargeError(`signed report is ${bytes.length} bytes, the limit is ${MAX_SIGNED_REPORT_BYTES}`)
  const outer = decodeCbor(bytes, 'signed report')
  if (outer == null || typeof outer !== 'object' || Array.isArray(outer)) throw new InvalidProbeReportError('signed report must be a map')
  const { p, s, ...rest } = outer as Record<string, unknown>
  if (Object.keys(rest).length > 0) throw new InvalidProbeReportError('signed report has unknown fields')
  if (!(p instanceof Uint8Array)) throw new InvalidProbeReportError('signed report payload must be bytes')
  if (!(s instanceof Uint8Array) || s.length !== SIGNATURE_LENGTH) throw new InvalidProbeReportError(`signature must be ${SIGNATURE_LENGTH} bytes`)
  const result = decodePayload(p)
  let ok = false
  try {
    ok = verify(PROBE_REPORT_DOMAIN, p, s, result.validatorHotkey)
  } catch (err) {
    throw new InvalidReportSignatureError('report signature could not be checked', { cause: err })
  }
  if (!ok) throw new InvalidReportSignatureError('report signature does not verify under its validatorHotkey')
  return { result, payload: p, signature: s, bytes }
}

/** A batch of signed reports from one validator for one round, with its CID. */
export interface ReportBatch {
  round: number
  validatorHotkey: Uint8Array
  reports: SignedProbeReport[]
  bytes: Uint8Array
  cid: CID
}

/** Version of the batch encoding. */
const BATCH_VERSION = 1

/**
 * Bundles one validator's signed reports of one round into a batch with a CID for audit.
 *
 * @throws InvalidProbeReportError if a report is from another round or another validator
 */
export async function createReportBatch (round: number, validatorHotkey: Uint8Array, reports: readonly SignedProbeReport[]): Promise<ReportBatch> {
  if (!Number.isSafeInteger(round) || round < 0) throw new RangeError('round must be a non-negative integer')
  if (!(validatorHotkey instanceof Uint8Array) || validatorHotkey.length !== HOTKEY_LENGTH) throw new RangeError(`validatorHotkey must be ${HOTKEY_LENGTH} bytes`)
  for (const r of reports) {
    if (r.result.round !== round || !equalBytes(r.result.validatorHotkey, validatorHotkey)) throw new InvalidProbeReportError('a batch holds reports of one round and one validator only')
  }
  const bytes = dagCbor.encode({ v: BATCH_VERSION, round, validator: validatorHotkey, reports: reports.map(r => r.bytes) })
  if (bytes.length > MAX_REPORT_BATCH_BYTES) throw new ProbeReportTooLargeError(`batch is ${bytes.length} bytes, the limit is ${MAX_REPORT_BATCH_BYTES}`)
  const cid = CID.createV1(dagCbor.code, await sha256.digest(bytes))
  return { round, validatorHotkey, reports: [...reports], bytes, cid }
}

/**
 * Opens a report batch: size limit, decode, then every report opened and checked to belong to
 * the batch's round and validator.
 *
 * @throws ProbeReportTooLargeError, InvalidProbeReportError, InvalidReportSignatureError
 */
export async function openReportBatch (bytes: Uint8Array): Promise<ReportBatch> {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('a batch must be a Uint8Array')
  if (bytes.length > MAX_REPORT_BATCH_BYTES) throw new ProbeReportTooLargeError(`batch is ${bytes.length} bytes, the limit is ${MAX_REPORT_BATCH_BYTES}`)
  const obj = decodeCbor(bytes, 'report batch')
  if (obj == null || typeof obj !== 'object' || Array.isArray(obj)) throw new InvalidProbeReportError('report batch must be a map')
  const { v, round, validator, reports } = obj as Record<string, unknown>
  if (v !== BATCH_VERSION) throw new InvalidProbeReportError(`unsupported batch version ${String(v)}`)
  // Policy: the decoded fields are checked here, by name, before `createReportBatch` sees them
  // (its own argument checks throw RangeError, which is for callers, not for peers' bytes).
  if (typeof round !== 'number' || !Number.isSafeInteger(round) || round < 0 || !(validator instanceof Uint8Array) ||
    validator.length !== HOTKEY_LENGTH || !Array.isArray(reports)) throw new InvalidProbeReportError('report batch fields are malformed')
  const opened: SignedProbeReport[] = []
  for (const r of reports) {
    if (!(r instanceof Uint8Array)) throw new InvalidProbeReportError('a batch entry must be bytes')
    opened.push(await openProbeReport(r))
  }
  const batch = await createReportBatch(round, validator, opened)
  if (!equalBytes(batch.bytes, bytes)) throw new InvalidProbeReportError('report batch is not canonical')
  return batch
}
