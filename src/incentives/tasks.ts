/**
 * Task selection, pure and deterministic.
 *
 * Exact derivation:
 * 1. The eligible set is the (listing, file, miner) tuples whose miner advertises the file.
 *    Each tuple has a task key
 *    `taskKey = SHA256(fileCID.bytes ‖ minerPeerId.multihash.bytes ‖ seed)`
 *    where `seed` is the hash of the block at round start. Both prefixes are self-delimiting
 *    (a binary CID and a multihash each carry their own lengths), so the concatenation is
 *    unambiguous. Tuples with the same task key (one file in several listings) collapse to the
 *    one with the lexicographically smallest listing CID string.
 * 2. The validator's point is `SHA256(varint(len(P)) ‖ P ‖ validatorHotkey ‖ nonce)` with
 *    `P = 'agora-probe-point'` and the round's secret nonce (step 3). It takes the `k` tasks whose
 *    keys are XOR-closest to that point (Spark's scheme in our Kademlia keyspace), ordered by
 *    distance; distances of distinct keys never tie. Policy: the point takes the nonce as well
 *    as the hotkey because the seed and the eligible set are public: from the hotkey alone
 *    anyone, the miner included, could work out before the round which (file, miner) pairs a
 *    validator will ask, and a miner could fetch just those. With the nonce, which stays secret
 *    until the reveal, the pairs are known to the validator alone; the commitment in the round
 *    record (made before the round) keeps the validator from choosing a nonce that favours a
 *    miner after seeing the seed, since the seed is the hash of a block made after the commit.
 * 3. Each selected task gets a byte range drawn from the validator's secret per-round nonce:
 *    `len = min(rangeLength, fileSize)`,
 *    `start = uint256be(SHA256(varint(len(D)) ‖ D ‖ nonce ‖ taskKey)) mod (fileSize − len + 1)`
 *    with `D = 'agora-probe-range'`. The modulo bias is below 2⁻²⁰⁰ for any real file size.
 *    The validator publishes `nonceCommitment(nonce) = SHA256(varint(len(N)) ‖ N ‖ nonce)`,
 *    `N = 'agora-probe-nonce'`, in its round record and reveals the nonce after the round, so
 *    anyone can recompute the tasks and ranges from the reports; before the reveal nobody, the
 *    miner included, can tell which tasks or ranges will be asked.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { sha256 } from '@noble/hashes/sha2.js'
import { CID } from 'multiformats'
import { HOTKEY_LENGTH, MiB, NONCE_COMMITMENT_DOMAIN, NONCE_LENGTH, TASK_POINT_DOMAIN, TASK_RANGE_DOMAIN } from './constants.ts'
import { InvalidTaskInputError } from './errors.ts'
import { domainPrefixed } from '../signing.ts'
import { equalBytes, toHex } from './bytes.ts'

/** One eligible (listing, file, miner) tuple. */
export interface EligibleEntry {
  /** CID of the listing (string form). */
  listingCid: string
  /** CID of the file (string form). */
  fileCid: string
  /** Size of the file in bytes, from the listing manifest. */
  fileSize: number
  /** The miner's libp2p peer id (string form). */
  minerPeerId: string
  /** The miner's hotkey bound to that peer id (32 bytes). */
  minerHotkey: Uint8Array
}

/** A selected probe task. */
export interface ProbeTask extends EligibleEntry {
  /** `SHA256(fileCID ‖ minerPeerId ‖ seed)`. */
  taskKey: Uint8Array
  /** First byte of the range to ask for. */
  rangeStart: number
  /** Length of the range to ask for. */
  rangeLen: number
}

/** Inputs of {@link selectTasks}. */
export interface SelectTasksInput {
  eligible: readonly EligibleEntry[]
  /** Hash of the block at round start (any length ≥ 16 bytes). */
  seed: Uint8Array
  /** The validator's hotkey (32 bytes). */
  validatorHotkey: Uint8Array
  /** The validator's secret nonce for this round (32 bytes). */
  nonce: Uint8Array
  /** How many tasks to take (see {@link tuneK}). */
  k: number
  /**
   * Length of the range asked for in each file (shorter files are asked whole).
   * Policy: 1 MiB, the smallest range the throughput factor counts.
   * @default 1_048_576
   */
  rangeLength?: number
}

function concat (...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let off = 0
  for (const p of parts) { out.set(p, off); off += p.length }
  return out
}

function bytesToBigint (b: Uint8Array): bigint {
  let x = 0n
  for (const v of b) x = (x << 8n) | BigInt(v)
  return x
}

function assertEntry (e: EligibleEntry): { cid: Uint8Array, peer: Uint8Array } {
  if (!Number.isSafeInteger(e.fileSize) || e.fileSize < 1) throw new InvalidTaskInputError(`fileSize of ${e.fileCid} must be a positive integer`)
  if (!(e.minerHotkey instanceof Uint8Array) || e.minerHotkey.length !== HOTKEY_LENGTH) throw new InvalidTaskInputError(`minerHotkey must be ${HOTKEY_LENGTH} bytes`)
  let cid: Uint8Array
  let peer: Uint8Array
  try {
    cid = CID.parse(e.fileCid).bytes
    CID.parse(e.listingCid)
  } catch (err) {
    throw new InvalidTaskInputError(`not a CID: ${e.fileCid} / ${e.listingCid}`, { cause: err })
  }
  try {
    peer = peerIdFromString(e.minerPeerId).toMultihash().bytes
  } catch (err) {
    throw new InvalidTaskInputError(`not a peer id: ${e.minerPeerId}`, { cause: err })
  }
  return { cid, peer }
}

/** `SHA256(fileCID.bytes ‖ minerPeerId.multihash.bytes ‖ seed)` for one eligible entry. */
export function taskKey (entry: EligibleEntry, seed: Uint8Array): Uint8Array {
  const { cid, peer } = assertEntry(entry)
  return sha256(concat(cid, peer, seed))
}

/** The distinct tasks of an eligible set with their keys, duplicates collapsed (step 1 above). */
export function eligibleTasks (eligible: readonly EligibleEntry[], seed: Uint8Array): Array<EligibleEntry & { taskKey: Uint8Array }> {
  if (!(seed instanceof Uint8Array) || seed.length < 16) throw new InvalidTaskInputError('seed must be at least 16 bytes')
  const byKey = new Map<string, EligibleEntry & { taskKey: Uint8Array }>()
  for (const e of eligible) {
    const key = taskKey(e, seed)
    const hex = toHex(key)
    const prev = byKey.get(hex)
    if (prev == null || e.listingCid < prev.listingCid) byKey.set(hex, { ...e, taskKey: key })
  }
  return [...byKey.values()]
}

/** XOR distance of two 32-byte keys as a big-endian bigint. */
function xorDistance (a: Uint8Array, b: Uint8Array): bigint {
  const d = new Uint8Array(a.length)
  for (let i = 0; i < a.length; i++) d[i] = a[i] ^ b[i]
  return bytesToBigint(d)
}

/** Draws the byte range of one task from the secret nonce (step 3 above). */
export function drawRange (key: Uint8Array, fileSize: number, nonce: Uint8Array, rangeLength: number = MiB): { rangeStart: number, rangeLen: number } {
  if (!Number.isSafeInteger(rangeLength) || rangeLength < 1) throw new InvalidTaskInputError('rangeLength must be a positive integer')
  if (!(nonce instanceof Uint8Array) || nonce.length !== NONCE_LENGTH) throw new InvalidTaskInputError(`nonce must be ${NONCE_LENGTH} bytes`)
  const rangeLen = Math.min(rangeLength, fileSize)
  const span = BigInt(fileSize - rangeLen + 1)
  const h = bytesToBigint(sha256(domainPrefixed(TASK_RANGE_DOMAIN, nonce, key)))
  return { rangeStart: Number(h % span), rangeLen }
}

/** A validator's point in the task keyspace for one round (step 2 above). */
export function taskPoint (validatorHotkey: Uint8Array, nonce: Uint8Array): Uint8Array {
  if (!(validatorHotkey instanceof Uint8Array) || validatorHotkey.length !== HOTKEY_LENGTH) throw new InvalidTaskInputError(`validatorHotkey must be ${HOTKEY_LENGTH} bytes`)
  if (!(nonce instanceof Uint8Array) || nonce.length !== NONCE_LENGTH) throw new InvalidTaskInputError(`nonce must be ${NONCE_LENGTH} bytes`)
  return sha256(domainPrefixed(TASK_POINT_DOMAIN, validatorHotkey, nonce))
}

/**
 * Selects this validator's tasks for a round: the `k` eligible tasks XOR-closest to its
 * {@link taskPoint} (hotkey and secret nonce), each with a byte range drawn from the nonce.
 * Deterministic given its inputs.
 *
 * @throws InvalidTaskInputError for a malformed entry, seed, key or nonce
 */
export function selectTasks (input: SelectTasksInput): ProbeTask[] {
  const { validatorHotkey, nonce, k } = input
  if (!Number.isSafeInteger(k) || k < 0) throw new InvalidTaskInputError('k must be a non-negative integer')
  const point = taskPoint(validatorHotkey, nonce)
  const ranked = eligibleTasks(input.eligible, input.seed)
    .map(t => ({ t, d: xorDistance(t.taskKey, point) }))
    .sort((a, b) => a.d < b.d ? -1 : a.d > b.d ? 1 : 0)
    .slice(0, k)
  return ranked.map(({ t }) => ({ ...t, ...drawRange(t.taskKey, t.fileSize, nonce, input.rangeLength) }))
}

/** Inputs of {@link tuneK}. */
export interface TuneKInput {
  /** The number of distinct eligible tasks this round. */
  taskCount: number
  /** The largest number of eligible tasks that any single miner has this round. */
  maxTasksPerMiner: number
  /** The number of validators probing this subnet. */
  validators: number
  /** Rounds per tempo (policy: about 3, 120-block rounds in a 360-block tempo). */
  roundsPerTempo: number
  /**
   * The bound on checks per miner per tempo, summed over all validators.
   * Policy: 60, so a miner with 3 rounds and 5 validators sees at most ~4 checks per validator
   * per round: light load, yet enough samples per tempo for the Wilson bound to separate a
   * 95 % miner from a 50 % one.
   * @default 60
   */
  maxChecksPerMinerPerTempo?: number
  /** Fewest tasks a validator takes per round. @default 1 */
  kMin?: number
  /** Most tasks a validator takes per round (its own probing budget). @default 64 */
  kMax?: number
}

/**
 * Re-tunes `k` for a round so that the expected number of checks on the busiest miner per
 * tempo stays within the bound: each validator's k tasks are a pseudo-random sample of the
 * `T` tasks, so a miner with `t` of them expects `V·R·k·t/T` checks per tempo, and
 * `k = floor(C·T / (V·R·t_max))`, clamped to `[kMin, min(kMax, T)]`.
 */
export function tuneK (input: TuneKInput): number {
  const C = input.maxChecksPerMinerPerTempo ?? 60
  const kMin = input.kMin ?? 1
  const kMax = input.kMax ?? 64
  const { taskCount: T, maxTasksPerMiner: t, validators: V, roundsPerTempo: R } = input
  for (const [n, v] of Object.entries({ T, t, V, R, C, kMin, kMax })) {
    if (!Number.isSafeInteger(v) || v < 0) throw new InvalidTaskInputError(`${n} must be a non-negative integer`)
  }
  if (T === 0) return 0
  const denom = Math.max(1, V) * Math.max(1, R) * Math.max(1, t)
  const k = Math.floor(C * T / denom)
  return Math.min(Math.max(k, kMin), kMax, T)
}

/** The commitment to a round's secret nonce, published in the round record before probing. */
export function nonceCommitment (nonce: Uint8Array): Uint8Array {
  if (!(nonce instanceof Uint8Array) || nonce.length !== NONCE_LENGTH) throw new InvalidTaskInputError(`nonce must be ${NONCE_LENGTH} bytes`)
  return sha256(domainPrefixed(NONCE_COMMITMENT_DOMAIN, nonce))
}

/** Whether a revealed nonce matches the commitment published for its round. */
export function verifyNonceReveal (commitment: Uint8Array, nonce: Uint8Array): boolean {
  if (!(nonce instanceof Uint8Array) || nonce.length !== NONCE_LENGTH) return false
  return equalBytes(nonceCommitment(nonce), commitment)
}
