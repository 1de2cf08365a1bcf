/**
 * The outcome of one retrieval probe: the closed list of result codes,
 * the recorded fields, which codes count against the miner, and the probe's hard time limits.
 */
import { HOTKEY_LENGTH, MiB, second } from './constants.ts'
import { InvalidProbeReportError } from './errors.ts'

/** The closed list of probe result codes, modelled on Spark's. */
export const ResultCode = {
  /** Every byte of the range arrived in time and matched the manifest. */
  OK: 'OK',
  /** The miner stopped sending for longer than the no-progress limit. */
  TIMEOUT_NO_PROGRESS: 'TIMEOUT_NO_PROGRESS',
  /** The transfer did not finish within the maximum duration for its size (slow-drip). */
  TIMEOUT_MAX_DURATION: 'TIMEOUT_MAX_DURATION',
  /** The miner's peer could not be dialled. */
  DIAL_FAILED: 'DIAL_FAILED',
  /** The miner was not in the DHT provider set of the file it claims to store. */
  NOT_ADVERTISED: 'NOT_ADVERTISED',
  /** The miner does not speak the buyers' transfer protocol. */
  PROTOCOL_UNSUPPORTED: 'PROTOCOL_UNSUPPORTED',
  /** The miner refused the request. */
  REFUSED: 'REFUSED',
  /** The returned bytes do not match the manifest's hash or CID. */
  CONTENT_VERIFICATION_FAILED: 'CONTENT_VERIFICATION_FAILED',
  /** The nonce-range proof returned by the miner does not match. */
  PROOF_MISMATCH: 'PROOF_MISMATCH',
  /** The miner says it cannot serve a range inside the file it claims to store. */
  RANGE_UNSATISFIABLE: 'RANGE_UNSATISFIABLE',
  /** The probe failed on the validator's own side (its DHT, its network, its disk). */
  VALIDATOR_SIDE_ERROR: 'VALIDATOR_SIDE_ERROR'
} as const

/** One of {@link ResultCode}. */
export type ProbeResultCode = typeof ResultCode[keyof typeof ResultCode]

const RESULT_CODES: ReadonlySet<string> = new Set(Object.values(ResultCode))

/** True if `x` is one of the closed list of result codes. */
export function isResultCode (x: unknown): x is ProbeResultCode {
  return typeof x === 'string' && RESULT_CODES.has(x)
}

/** How a result code counts in scoring. */
export const Outcome = {
  /** Counts as a success (request success rate, integrity reputation). */
  SUCCESS: 'SUCCESS',
  /** Counts against the request success rate only: the miner was unavailable, slow or unwilling. */
  AVAILABILITY_FAILURE: 'AVAILABILITY_FAILURE',
  /** Counts against the request success rate AND the integrity reputation: wrong bytes. */
  INTEGRITY_FAILURE: 'INTEGRITY_FAILURE',
  /** Does not count at all. */
  EXCLUDED: 'EXCLUDED'
} as const

/** One of {@link Outcome}. */
export type ProbeOutcome = typeof Outcome[keyof typeof Outcome]

/**
 * How each result code counts against a miner.
 *
 * Policy: failures on the validator's own side never count (Spark excludes its RPC failures
 * and IPNI_NOT_QUERIED the same way). Wrong bytes and failed proofs are integrity failures,
 * which the beta reputation weighs far more heavily than an availability failure: serving
 * corrupt data is a lie, timing out is a fault. A miner missing from the provider set of a file
 * it claims, or unable to serve a range of it, failed the buyer and counts as unavailable.
 */
export const OUTCOME_OF: Readonly<Record<ProbeResultCode, ProbeOutcome>> = {
  OK: Outcome.SUCCESS,
  TIMEOUT_NO_PROGRESS: Outcome.AVAILABILITY_FAILURE,
  TIMEOUT_MAX_DURATION: Outcome.AVAILABILITY_FAILURE,
  DIAL_FAILED: Outcome.AVAILABILITY_FAILURE,
  NOT_ADVERTISED: Outcome.AVAILABILITY_FAILURE,
  PROTOCOL_UNSUPPORTED: Outcome.AVAILABILITY_FAILURE,
  REFUSED: Outcome.AVAILABILITY_FAILURE,
  RANGE_UNSATISFIABLE: Outcome.AVAILABILITY_FAILURE,
  CONTENT_VERIFICATION_FAILED: Outcome.INTEGRITY_FAILURE,
  PROOF_MISMATCH: Outcome.INTEGRITY_FAILURE,
  VALIDATOR_SIDE_ERROR: Outcome.EXCLUDED
}

/**
 * Whether a probe is evidence that the miner was online: `true` if the miner's peer answered
 * at all, `false` if it could not be dialled, `null` if the probe says nothing about it.
 */
export function onlineEvidence (code: ProbeResultCode): boolean | null {
  if (code === ResultCode.DIAL_FAILED) return false
  if (code === ResultCode.VALIDATOR_SIDE_ERROR || code === ResultCode.NOT_ADVERTISED) return null
  return true
}

/**
 * Everything a validator records about one retrieval probe. Times are
 * whole milliseconds; `null` marks a phase the probe never reached.
 */
export interface ProbeResult {
  /** Round number (the block number at which the round started). */
  round: number
  /** The validator's hotkey (ed25519 public key, 32 bytes), which signs the report. */
  validatorHotkey: Uint8Array
  /** The probed miner's hotkey (32 bytes). */
  minerHotkey: Uint8Array
  /** The miner's libp2p peer id (string form) bound to its hotkey. */
  minerPeerId: string
  /** CID of the listing the file belongs to (string form). */
  listingCid: string
  /** CID of the probed file (string form). */
  fileCid: string
  /** First byte of the probed range. */
  rangeStart: number
  /** Length of the probed range in bytes. */
  rangeLen: number
  /** Transfer protocol id used, the same one buyers use. */
  protocol: string
  /** The validator's software version. */
  clientVersion: string
  /** Unix time in ms when the probe started (places it in an online window). */
  startedAt: number
  /** Time to look up the file's providers in the DHT. */
  dhtLookupMs: number | null
  /** Whether the miner was in the DHT provider set for the file (`null`: lookup not made). */
  minerInProviderSet: boolean | null
  /** Time to dial the miner (0 if a connection was open). */
  dialMs: number | null
  /** Whether the connection went through a relay (`null`: never connected). */
  relayed: boolean | null
  /** Time from sending the request to the first byte of the answer. */
  ttfbMs: number | null
  /** Time from sending the request to the last byte of the answer. */
  ttlbMs: number | null
  /** Bytes received. */
  bytes: number
  /** Transfer-phase throughput, `floor(bytes·1000 / max(1, ttlb − ttfb))` bytes/s (`null` if no bytes). */
  throughputBps: number | null
  /** The outcome. */
  resultCode: ProbeResultCode
  /** Whether the bytes matched the manifest's hash or CID (`null`: no bytes to check). */
  verify: boolean | null
  /** Whether the nonce-range proof matched (`null`: the protocol carried none). */
  proof: boolean | null
}

/** Transfer-phase throughput in bytes per second as recorded in {@link ProbeResult.throughputBps}. */
export function transferThroughput (bytes: number, ttfbMs: number | null, ttlbMs: number | null): number | null {
  if (bytes <= 0 || ttfbMs == null || ttlbMs == null) return null
  return Math.floor(bytes * 1000 / Math.max(1, ttlbMs - ttfbMs))
}

/** Hard time limits of one probe. */
export interface ProbeLimits {
  /**
   * Longest time without receiving a byte before the probe ends as TIMEOUT_NO_PROGRESS.
   * @default 20_000 (policy: 10–30 s; Spark uses 60 s)
   */
  noProgressMs: number
  /** Time allowed on top of the size-proportional part of the maximum duration. @default 10_000 */
  baseMaxDurationMs: number
  /**
   * Throughput floor in bytes/s: the maximum duration is `base + rangeLen / floor`.
   * @default 262_144 (256 KiB/s)
   */
  minThroughputBps: number
}

/**
 * Default probe limits.
 * Policy: a 1 MiB range gets 10 s + 4 s; a miner that drips slower than 256 KiB/s on average
 * (ghost mode, spark#99) fails with TIMEOUT_MAX_DURATION instead of holding the probe open.
 */
export const DEFAULT_PROBE_LIMITS: Readonly<ProbeLimits> = Object.freeze({
  noProgressMs: 20 * second,
  baseMaxDurationMs: 10 * second,
  minThroughputBps: MiB / 4
})

/** The deadlines for probing a range of `rangeLen` bytes. */
export function probeDeadlines (rangeLen: number, limits: ProbeLimits = DEFAULT_PROBE_LIMITS): { noProgressMs: number, maxDurationMs: number } {
  if (!Number.isSafeInteger(rangeLen) || rangeLen < 0) throw new RangeError(`rangeLen must be a non-negative integer, got ${rangeLen}`)
  if (!(limits.minThroughputBps > 0)) throw new RangeError('minThroughputBps must be positive')
  return {
    noProgressMs: limits.noProgressMs,
    maxDurationMs: limits.baseMaxDurationMs + Math.ceil(rangeLen * 1000 / limits.minThroughputBps)
  }
}

const MAX_STRING = 256

function fail (msg: string): never {
  throw new InvalidProbeReportError(msg)
}

function checkUint (r: Record<string, unknown>, key: string, nullable: boolean): void {
  const v = r[key]
  if (v === null && nullable) return
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) fail(`${key} must be a non-negative integer${nullable ? ' or null' : ''}`)
}

function checkBool (r: Record<string, unknown>, key: string): void {
  const v = r[key]
  if (v !== null && typeof v !== 'boolean') fail(`${key} must be a boolean or null`)
}

function checkString (r: Record<string, unknown>, key: string): void {
  const v = r[key]
  if (typeof v !== 'string' || v.length === 0 || v.length > MAX_STRING) fail(`${key} must be a string of 1..${MAX_STRING} characters`)
}

function checkKey (r: Record<string, unknown>, key: string): void {
  const v = r[key]
  if (!(v instanceof Uint8Array) || v.length !== HOTKEY_LENGTH) fail(`${key} must be ${HOTKEY_LENGTH} bytes`)
}

/**
 * Asserts that `x` is a well-formed, self-consistent {@link ProbeResult}: every field of the
 * right type and range, and the code agreeing with the evidence (an OK carries every byte of
 * the range, verified; a verification failure carries `verify: false`; a proof mismatch
 * carries `proof: false`).
 *
 * @throws InvalidProbeReportError naming the first bad field
 */
export function assertProbeResult (x: unknown): asserts x is ProbeResult {
  if (x == null || typeof x !== 'object') fail('a probe result must be an object')
  const r = x as Record<string, unknown>
  for (const k of ['round', 'rangeStart', 'rangeLen', 'startedAt', 'bytes']) checkUint(r, k, false)
  for (const k of ['dhtLookupMs', 'dialMs', 'ttfbMs', 'ttlbMs', 'throughputBps']) checkUint(r, k, true)
  for (const k of ['minerInProviderSet', 'relayed', 'verify', 'proof']) checkBool(r, k)
  for (const k of ['minerPeerId', 'listingCid', 'fileCid', 'protocol', 'clientVersion']) checkString(r, k)
  checkKey(r, 'validatorHotkey')
  checkKey(r, 'minerHotkey')
  if (!isResultCode(r.resultCode)) fail(`resultCode must be one of ${[...RESULT_CODES].join(', ')}`)
  const p = r as unknown as ProbeResult
  if (p.ttfbMs != null && p.ttlbMs != null && p.ttlbMs < p.ttfbMs) fail('ttlbMs must not be less than ttfbMs')
  if (p.bytes > p.rangeLen) fail('bytes must not exceed rangeLen')
  if (p.resultCode === ResultCode.OK) {
    if (p.verify !== true || p.proof === false) fail('an OK result must have verify true and no failed proof')
    if (p.bytes !== p.rangeLen || p.ttfbMs == null || p.ttlbMs == null) fail('an OK result must carry the whole range with its timings')
  }
  if (p.resultCode === ResultCode.CONTENT_VERIFICATION_FAILED && p.verify !== false) fail('CONTENT_VERIFICATION_FAILED must have verify false')
  if (p.resultCode === ResultCode.PROOF_MISMATCH && p.proof !== false) fail('PROOF_MISMATCH must have proof false')
}
