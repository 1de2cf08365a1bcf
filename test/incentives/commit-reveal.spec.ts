import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { commitHash, epochIndex, firstBlockOfEpoch, weightAction } from '../../src/incentives/commit-reveal.ts'

const vector = JSON.parse(readFileSync(new URL('../fixtures/incentives/commit-hash.json', import.meta.url), 'utf8'))
const input = {
  hotkey: Buffer.from(vector.input.hotkeyHex, 'hex'),
  netuid: vector.input.netuid,
  uids: vector.input.uids,
  values: vector.input.values,
  salt: Buffer.from(vector.input.saltHex, 'hex'),
  versionKey: vector.input.versionKey
}

describe('commit hash', () => {
  it('default: matches the vector computed independently with Python hashlib', () => {
    expect(Buffer.from(commitHash(input)).toString('hex')).toBe(vector.blake2b256Hex)
  })

  it('behavior: every field changes the hash', () => {
    const base = Buffer.from(commitHash(input)).toString('hex')
    const variants = [
      { ...input, netuid: 2 },
      { ...input, uids: [0, 1, 3] },
      { ...input, values: [65535, 32769, 0] },
      { ...input, salt: Buffer.from('a0a1a2a3a4a5a6a7a8a9aaabacadaeb0', 'hex') },
      { ...input, versionKey: 8 },
      { ...input, hotkey: Buffer.alloc(32, 1) }
    ]
    for (const v of variants) expect(Buffer.from(commitHash(v)).toString('hex')).not.toBe(base)
  })

  it('behavior: malformed fields are range errors', () => {
    expect(() => commitHash({ ...input, uids: [0, 1] })).toThrow(RangeError)
    expect(() => commitHash({ ...input, values: [65536, 0, 0] })).toThrow(RangeError)
    expect(() => commitHash({ ...input, salt: new Uint8Array(8) })).toThrow(RangeError)
    expect(() => commitHash({ ...input, hotkey: new Uint8Array(31) })).toThrow(RangeError)
    expect(() => commitHash({ ...input, versionKey: -1 })).toThrow(RangeError)
  })
})

describe('weight schedule', () => {
  // netuid 1, tempo 360: epoch index floor((b + 2)/361), so epoch 1 starts at block 359 and
  // epoch 2 at 720: the blocks where the ledger runs netuid 1's epochs (epochDue in src/ledger/hooks.ts).
  const base = { netuid: 1, tempo: 360, rateLimit: 100 }

  it('default: epoch boundaries fall on the ledger\'s epoch blocks (359, 720 for netuid 1)', () => {
    expect(epochIndex(358, 1, 360)).toBe(0)
    expect(epochIndex(359, 1, 360)).toBe(1)
    expect(firstBlockOfEpoch(1, 1, 360)).toBe(359)
    expect(firstBlockOfEpoch(2, 1, 360)).toBe(720)
  })

  it('behavior: without commit-reveal, set once per epoch within the rate limit', () => {
    expect(weightAction({ ...base, block: 100, lastUpdate: 0, commitReveal: false })).toEqual({ action: 'set' })
    expect(weightAction({ ...base, block: 500, lastUpdate: 400, commitReveal: false })).toEqual({ action: 'wait', until: 720, reason: 'already-set-this-epoch' })
    expect(weightAction({ ...base, block: 730, lastUpdate: 700, commitReveal: false })).toEqual({ action: 'wait', until: 800, reason: 'rate-limit' })
    expect(weightAction({ ...base, block: 800, lastUpdate: 700, commitReveal: false })).toEqual({ action: 'set' })
  })

  it('behavior: with commit-reveal, reveal in the next epoch, then commit again', () => {
    const cr = { ...base, commitReveal: true }
    expect(weightAction({ ...cr, block: 400, lastUpdate: 0 })).toEqual({ action: 'commit', expiredCommitBlock: null })
    expect(weightAction({ ...cr, block: 500, lastUpdate: 400, pendingCommitBlock: 400 })).toEqual({ action: 'wait', until: 720, reason: 'reveal-not-yet-open' })
    expect(weightAction({ ...cr, block: 730, lastUpdate: 400, pendingCommitBlock: 400 })).toEqual({ action: 'reveal', commitBlock: 400 })
    expect(weightAction({ ...cr, block: 731, lastUpdate: 400, pendingCommitBlock: null })).toEqual({ action: 'commit', expiredCommitBlock: null })
    // Block 1100 is in epoch 3: the epoch-1 commit could only be revealed in epoch 2.
    expect(weightAction({ ...cr, block: 1100, lastUpdate: 400, pendingCommitBlock: 400 })).toEqual({ action: 'commit', expiredCommitBlock: 400 })
    expect(weightAction({ ...cr, block: 1100, lastUpdate: 400, pendingCommitBlock: 400, revealPeriodEpochs: 2 })).toEqual({ action: 'reveal', commitBlock: 400 })
  })

  it('behavior: a tempo of 0 is refused', () => {
    expect(() => weightAction({ ...base, tempo: 0, block: 1, lastUpdate: 0, commitReveal: false })).toThrow(expect.objectContaining({ name: 'InvalidPolicyError' }))
  })
})
