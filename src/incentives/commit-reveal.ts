/**
 * Commit-reveal of weight rows, and the decision of when to set, commit or reveal.
 *
 * The commitment the ledger verifies at reveal is
 *
 *   commitHash = SHA256( varint(len(D)) ‖ D
 *                      ‖ hotkey (32 bytes)
 *                      ‖ netuid (u16 LE)
 *                      ‖ n (u32 LE) ‖ uids[0..n) (u16 LE each)
 *                      ‖ n (u32 LE) ‖ values[0..n) (u16 LE each)
 *                      ‖ len(salt) (u32 LE) ‖ salt
 *                      ‖ versionKey (u64 LE) )
 *
 * with `D = 'agora-weights-commit'`. It follows subtensor's `get_commit_hash(who, netuid, uids,
 * values, salt, version_key)` field for field, with SHA-256 over fixed-width little-endian
 * fields (SCALE's byte order) instead of BlakeTwo256 over SCALE, and a domain prefix like every
 * other hash in agora. The salt is 8 to 64 random bytes chosen by the validator per commit.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { varint } from 'multiformats'
import { HOTKEY_LENGTH, WEIGHTS_COMMIT_DOMAIN } from './constants.ts'
import { InvalidPolicyError } from './errors.ts'

/** Inputs of {@link commitHash}. */
export interface CommitHashInput {
  /** The validator's hotkey (32 bytes). */
  hotkey: Uint8Array
  netuid: number
  /** Uids of the row, as they will be revealed. */
  uids: readonly number[]
  /** u16 values of the row, as they will be revealed. */
  values: readonly number[]
  /** 8 to 64 random bytes. */
  salt: Uint8Array
  /** The weights version key (u64). */
  versionKey: bigint
}

function assertU16 (x: number, what: string): void {
  if (!Number.isInteger(x) || x < 0 || x > 65535) throw new RangeError(`${what} must be a u16, got ${x}`)
}

/** The exact bytes hashed by {@link commitHash}. */
export function commitPreimage (input: CommitHashInput): Uint8Array {
  const { hotkey, netuid, uids, values, salt, versionKey } = input
  if (!(hotkey instanceof Uint8Array) || hotkey.length !== HOTKEY_LENGTH) throw new RangeError(`hotkey must be ${HOTKEY_LENGTH} bytes`)
  assertU16(netuid, 'netuid')
  if (uids.length !== values.length) throw new RangeError('uids and values must have the same length')
  uids.forEach(u => { assertU16(u, 'uid') })
  values.forEach(v => { assertU16(v, 'weight') })
  if (!(salt instanceof Uint8Array) || salt.length < 8 || salt.length > 64) throw new RangeError('salt must be 8 to 64 bytes')
  if (typeof versionKey !== 'bigint' || versionKey < 0n || versionKey >= 1n << 64n) throw new RangeError('versionKey must be a u64 bigint')
  const domain = new TextEncoder().encode(WEIGHTS_COMMIT_DOMAIN)
  const dl = varint.encodingLength(domain.length)
  const n = uids.length
  const size = dl + domain.length + HOTKEY_LENGTH + 2 + 4 + 2 * n + 4 + 2 * n + 4 + salt.length + 8
  const out = new Uint8Array(size)
  const view = new DataView(out.buffer)
  varint.encodeTo(domain.length, out, 0)
  out.set(domain, dl)
  let o = dl + domain.length
  out.set(hotkey, o); o += HOTKEY_LENGTH
  view.setUint16(o, netuid, true); o += 2
  view.setUint32(o, n, true); o += 4
  for (const u of uids) { view.setUint16(o, u, true); o += 2 }
  view.setUint32(o, n, true); o += 4
  for (const v of values) { view.setUint16(o, v, true); o += 2 }
  view.setUint32(o, salt.length, true); o += 4
  out.set(salt, o); o += salt.length
  view.setBigUint64(o, versionKey, true)
  return out
}

/** The 32-byte commitment to a weight row (see the module comment for the exact layout). */
export function commitHash (input: CommitHashInput): Uint8Array {
  return sha256(commitPreimage(input))
}

/** Inputs of {@link weightAction}. */
export interface WeightScheduleInput {
  /** The current block. */
  block: number
  netuid: number
  /** The subnet's tempo (an epoch every `tempo + 1` blocks). */
  tempo: number
  /** The chain's `LastUpdate` of this validator's uid (its registration block if it never set weights; 0 passes at once). */
  lastUpdate: number
  /** `WeightsSetRateLimit` in blocks. */
  rateLimit: number
  /** Whether the subnet has commit-reveal on. */
  commitReveal: boolean
  /** Epochs between a commit and its reveal (the reveal is allowed only in that epoch). @default 1 */
  revealPeriodEpochs?: number
  /** The block of this validator's unrevealed commit, if any. */
  pendingCommitBlock?: number | null
}

/** What to do about weights now. */
export type WeightAction =
  | { action: 'set' }
  | { action: 'commit', expiredCommitBlock: number | null }
  | { action: 'reveal', commitBlock: number }
  | { action: 'wait', until: number, reason: 'already-set-this-epoch' | 'rate-limit' | 'reveal-not-yet-open' }

/** The epoch index of a block, `floor((b + netuid + 1) / (tempo + 1))` (tokenomics.md §3.2). */
export function epochIndex (block: number, netuid: number, tempo: number): number {
  return Math.floor((block + netuid + 1) / (tempo + 1))
}

/** The first block whose epoch index is `e`. */
export function firstBlockOfEpoch (e: number, netuid: number, tempo: number): number {
  return Math.max(0, e * (tempo + 1) - netuid - 1)
}

function assertSchedule (s: WeightScheduleInput): void {
  for (const k of ['block', 'netuid', 'tempo', 'lastUpdate', 'rateLimit'] as const) {
    if (!Number.isSafeInteger(s[k]) || s[k] < 0) throw new InvalidPolicyError(`${k} must be a non-negative integer`)
  }
  if (s.tempo < 1) throw new InvalidPolicyError('tempo must be at least 1: with tempo 0 epochs never run')
  const rp = s.revealPeriodEpochs ?? 1
  if (!Number.isSafeInteger(rp) || rp < 1) throw new InvalidPolicyError('revealPeriodEpochs must be a positive integer')
}

/**
 * Decides what a validator does about weights at the current block.
 *
 * Policy: one weight row per epoch. Without commit-reveal the row is set as soon as this epoch
 * has none and the rate limit allows. With commit-reveal a commit of epoch `e` is revealed in
 * epoch `e + revealPeriodEpochs` (the only epoch the chain accepts it), then a new commit is
 * made; one commit is pending at a time, and the rate limit is honoured for commits too (the
 * chain may not demand it; obeying it costs nothing at one commit per epoch). A commit whose
 * reveal epoch has passed is expired: the next commit replaces it.
 */
export function weightAction (s: WeightScheduleInput): WeightAction {
  assertSchedule(s)
  const { block, netuid, tempo, lastUpdate, rateLimit } = s
  const now = epochIndex(block, netuid, tempo)
  const nextEpoch = firstBlockOfEpoch(now + 1, netuid, tempo)
  let expiredCommitBlock: number | null = null
  if (s.commitReveal && s.pendingCommitBlock != null) {
    const revealEpoch = epochIndex(s.pendingCommitBlock, netuid, tempo) + (s.revealPeriodEpochs ?? 1)
    if (now === revealEpoch) return { action: 'reveal', commitBlock: s.pendingCommitBlock }
    if (now < revealEpoch) return { action: 'wait', until: firstBlockOfEpoch(revealEpoch, netuid, tempo), reason: 'reveal-not-yet-open' }
    expiredCommitBlock = s.pendingCommitBlock
  }
  if (lastUpdate > 0 && epochIndex(lastUpdate, netuid, tempo) >= now) {
    return { action: 'wait', until: Math.max(nextEpoch, lastUpdate + rateLimit), reason: 'already-set-this-epoch' }
  }
  if (lastUpdate > 0 && block - lastUpdate < rateLimit) {
    return { action: 'wait', until: lastUpdate + rateLimit, reason: 'rate-limit' }
  }
  return s.commitReveal ? { action: 'commit', expiredCommitBlock } : { action: 'set' }
}
