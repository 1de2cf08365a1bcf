/**
 * Commit-reveal of weight rows, and the decision of when to set, commit or reveal.
 *
 * The chain judges commits, so both definitions here are the ledger's (`src/ledger`
 * tx/weights.ts): `epochIndex` is re-exported as it is, and `commitHash` below only checks its
 * arguments and turns the 32-byte hotkey into the SS58 address the ledger hashes:
 *
 *   commitHash = BLAKE2b-256( canonical([ 'agora-weights-commit', hotkeySS58, netuid, uids,
 *                                          values, salt, versionKey ]) )
 *
 * where `canonical` is the ledger's value codec (codec.ts: 0x07 array + varint count,
 * 0x05 string + varint length + UTF-8, 0x03 unsigned varint, 0x06 bytes + varint length) and
 * `hotkeySS58` is the SS58 address (prefix 42) of the 32-byte hotkey. It follows subtensor's
 * `get_commit_hash(who, netuid, uids, values, salt, version_key)` field for field.
 * `test/fixtures/incentives/commit-hash.json` holds a vector computed outside this code.
 */
import { commitHash as ledgerCommitHash, epochIndex, toAddress } from '../ledger/index.ts'
import { HOTKEY_LENGTH } from './constants.ts'
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
  /**
   * 16 to 64 random bytes, new for every commit.
   * Policy: at least 16, so nobody can recover a row from its commitment by guessing the salt
   * (that would reopen weight copying, which commit-reveal exists to stop).
   */
  salt: Uint8Array
  /** The weights version key. */
  versionKey: number
}

function assertU16 (x: number, what: string): void {
  if (!Number.isInteger(x) || x < 0 || x > 65535) throw new RangeError(`${what} must be a u16, got ${x}`)
}

/** The 32-byte commitment to a weight row, exactly as the ledger checks it at reveal. */
export function commitHash (input: CommitHashInput): Uint8Array {
  const { hotkey, netuid, uids, values, salt, versionKey } = input
  if (!(hotkey instanceof Uint8Array) || hotkey.length !== HOTKEY_LENGTH) throw new RangeError(`hotkey must be ${HOTKEY_LENGTH} bytes`)
  assertU16(netuid, 'netuid')
  if (uids.length !== values.length) throw new RangeError('uids and values must have the same length')
  uids.forEach(u => { assertU16(u, 'uid') })
  values.forEach(v => { assertU16(v, 'weight') })
  if (!(salt instanceof Uint8Array) || salt.length < 16 || salt.length > 64) throw new RangeError('salt must be 16 to 64 bytes')
  if (!Number.isSafeInteger(versionKey) || versionKey < 0) throw new RangeError('versionKey must be a non-negative safe integer')
  return ledgerCommitHash(toAddress(hotkey), netuid, [...uids], [...values], salt, versionKey)
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

/** The epoch index of a block, `floor((b + netuid + 1) / (tempo + 1))`: the ledger's (src/ledger/tx/weights.ts). */
export { epochIndex }

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
 * made; one commit is pending at a time (the ledger allows up to 10), and the rate limit is
 * honoured for commits too, as the ledger enforces it there. A commit whose reveal epoch has
 * passed is expired: the next commit replaces it.
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
