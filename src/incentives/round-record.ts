/**
 * Round records and their audit.
 *
 * Before probing, a validator publishes a signed round record: the round, the seed (the hash of
 * the round's first block), k, and `nonceCommitment(nonce)` for its secret nonce; the record
 * also reveals the nonce of an earlier round. The signature covers
 * `varint(len(D)) ‖ D ‖ dag-cbor(record)` with `D = 'agora-probe-round'`, and the signed record
 * is the dag-cbor map `{ p: payload, s: signature }`.
 *
 * With the record, the revealed nonce and the report batch, anyone can check that every report
 * asked for exactly the range the nonce draws, that its task was one of this validator's k
 * XOR-closest (given the eligible set), and that the nonce matches the commitment made before
 * probing (see {@link auditRound}).
 */
import * as dagCbor from '@ipld/dag-cbor'
import * as ed from '@noble/ed25519'
import { sign, verify } from '../signing.ts'
import { equalBytes, toHex } from './bytes.ts'
import { HOTKEY_LENGTH, MAX_ROUND_RECORD_BYTES, NONCE_LENGTH, ROUND_RECORD_DOMAIN, SIGNATURE_LENGTH } from './constants.ts'
import { InvalidProbeReportError, InvalidReportSignatureError, ProbeReportTooLargeError } from './errors.ts'
import { drawRange, eligibleTasks, selectTasks, taskKey, verifyNonceReveal } from './tasks.ts'
import type { ProbeResult } from './probe-result.ts'
import type { EligibleEntry } from './tasks.ts'

/** A validator's record of one round, published before it probes. */
export interface RoundRecord {
  round: number
  validatorHotkey: Uint8Array
  /** Hash of the block at round start. */
  seed: Uint8Array
  /** Tasks taken this round. */
  k: number
  /** Range length asked for. */
  rangeLength: number
  /** `nonceCommitment(nonce)` of this round's secret nonce. */
  nonceCommitment: Uint8Array
  /** The nonce of an earlier round, revealed now for audit (`null` if none). */
  revealed: { round: number, nonce: Uint8Array } | null
}

const FIELDS = ['round', 'validatorHotkey', 'seed', 'k', 'rangeLength', 'nonceCommitment', 'revealed'] as const

function fail (msg: string): never {
  throw new InvalidProbeReportError(msg)
}

function assertRecord (r: RoundRecord): void {
  for (const f of ['round', 'k', 'rangeLength'] as const) {
    if (!Number.isSafeInteger(r[f]) || r[f] < 0) fail(`${f} must be a non-negative integer`)
  }
  if (!(r.validatorHotkey instanceof Uint8Array) || r.validatorHotkey.length !== HOTKEY_LENGTH) fail(`validatorHotkey must be ${HOTKEY_LENGTH} bytes`)
  if (!(r.seed instanceof Uint8Array) || r.seed.length < 16 || r.seed.length > 64) fail('seed must be 16 to 64 bytes')
  if (!(r.nonceCommitment instanceof Uint8Array) || r.nonceCommitment.length !== 32) fail('nonceCommitment must be 32 bytes')
  if (r.revealed !== null) {
    if (typeof r.revealed !== 'object' || !Number.isSafeInteger(r.revealed.round) || r.revealed.round < 0 || r.revealed.round >= r.round) fail('revealed.round must be an earlier round')
    if (!(r.revealed.nonce instanceof Uint8Array) || r.revealed.nonce.length !== NONCE_LENGTH) fail(`revealed.nonce must be ${NONCE_LENGTH} bytes`)
    if (Object.keys(r.revealed).length !== 2) fail('revealed has unknown fields')
  }
}

function encodeRecord (r: RoundRecord): Uint8Array {
  assertRecord(r)
  const obj: Record<string, unknown> = {}
  for (const f of FIELDS) obj[f] = r[f]
  return dagCbor.encode(obj)
}

/** Signs a round record with the validator's secret key (32-byte seed); returns the wire bytes. */
export async function signRoundRecord (record: RoundRecord, secretKey: Uint8Array): Promise<Uint8Array> {
  if (!(secretKey instanceof Uint8Array) || secretKey.length !== 32) throw new RangeError('secretKey must be 32 bytes')
  const payload = encodeRecord(record)
  if (!equalBytes(await ed.getPublicKeyAsync(secretKey), record.validatorHotkey)) fail('the signing key is not the record\'s validatorHotkey')
  const s = sign(ROUND_RECORD_DOMAIN, payload, secretKey)
  return dagCbor.encode({ p: payload, s })
}

/**
 * Opens a signed round record: size limit, decode, field checks, canonical form, signature.
 *
 * @throws ProbeReportTooLargeError, InvalidProbeReportError, InvalidReportSignatureError
 */
export async function openRoundRecord (bytes: Uint8Array): Promise<RoundRecord> {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('a round record must be a Uint8Array')
  if (bytes.length > MAX_ROUND_RECORD_BYTES) throw new ProbeReportTooLargeError(`round record is ${bytes.length} bytes, the limit is ${MAX_ROUND_RECORD_BYTES}`)
  let outer: unknown
  let inner: unknown
  try {
    outer = dagCbor.decode(bytes)
    const p = (outer as Record<string, unknown> | null)?.p
    inner = p instanceof Uint8Array ? dagCbor.decode(p) : null
  } catch (err) {
    throw new InvalidProbeReportError('round record is not valid dag-cbor', { cause: err })
  }
  const { p, s, ...rest } = (outer ?? {}) as Record<string, unknown>
  if (Object.keys(rest).length > 0 || !(p instanceof Uint8Array) || !(s instanceof Uint8Array) || s.length !== SIGNATURE_LENGTH) fail('signed round record is malformed')
  if (inner == null || typeof inner !== 'object' || Object.keys(inner).length !== FIELDS.length) fail('round record has missing or unknown fields')
  const record = inner as RoundRecord
  if (!equalBytes(encodeRecord(record), p)) fail('round record is not canonical')
  let ok = false
  try {
    ok = verify(ROUND_RECORD_DOMAIN, p, s, record.validatorHotkey)
  } catch {}
  if (!ok) throw new InvalidReportSignatureError('round record signature does not verify under its validatorHotkey')
  return record
}

/** Inputs of {@link auditRound}. */
export interface AuditRoundInput {
  record: RoundRecord
  /** The nonce revealed later for this round. */
  nonce: Uint8Array
  /** The round's probe results (from the validator's opened report batch). */
  results: readonly ProbeResult[]
  /** The eligible set as the auditor sees it: gives file sizes and lets it check selection. */
  eligible: readonly EligibleEntry[]
}

/** What an audit found. */
export interface AuditResult {
  ok: boolean
  problems: string[]
}

/**
 * Audits one validator's round: the nonce matches its commitment, and every result is of this
 * round and validator, for one of the validator's k XOR-closest tasks, at exactly the range the
 * nonce draws.
 */
export function auditRound (input: AuditRoundInput): AuditResult {
  const { record, nonce, results } = input
  const problems: string[] = []
  if (!verifyNonceReveal(record.nonceCommitment, nonce)) problems.push('the revealed nonce does not match the commitment')
  const chosen = new Set(selectTasks({ eligible: input.eligible, seed: record.seed, validatorHotkey: record.validatorHotkey, nonce, k: record.k, rangeLength: record.rangeLength }).map(t => toHex(t.taskKey)))
  const sizes = new Map(eligibleTasks(input.eligible, record.seed).map(t => [toHex(t.taskKey), t.fileSize]))
  for (const r of results) {
    const where = `${r.fileCid} @ ${r.minerPeerId} [${r.rangeStart}+${r.rangeLen}]`
    if (r.round !== record.round || !equalBytes(r.validatorHotkey, record.validatorHotkey)) {
      problems.push(`${where}: not of this round and validator`)
      continue
    }
    const key = toHex(taskKey({ listingCid: r.listingCid, fileCid: r.fileCid, fileSize: 1, minerPeerId: r.minerPeerId, minerHotkey: r.minerHotkey }, record.seed))
    const size = sizes.get(key)
    if (size == null || !chosen.has(key)) {
      problems.push(`${where}: not one of the validator's tasks`)
      continue
    }
    const want = drawRange(Buffer.from(key, 'hex'), size, nonce, record.rangeLength)
    if (want.rangeStart !== r.rangeStart || want.rangeLen !== r.rangeLen) problems.push(`${where}: range differs from the one the nonce draws (${want.rangeStart}+${want.rangeLen})`)
  }
  return { ok: problems.length === 0, problems }
}
