import { createHash } from 'node:crypto'
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import * as raw from 'multiformats/codecs/raw'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import { beforeAll, describe, expect, it } from 'vitest'
import { drawRange, eligibleTasks, nonceCommitment, selectTasks, taskKey, tuneK, verifyNonceReveal } from '../../src/incentives/tasks.ts'
import type { EligibleEntry } from '../../src/incentives/tasks.ts'

const MiB = 1024 * 1024
const nodeSha = (...parts: Uint8Array[]): Buffer => createHash('sha256').update(Buffer.concat(parts)).digest()

async function cidOf (text: string): Promise<string> {
  return CID.createV1(raw.code, await sha256.digest(new TextEncoder().encode(text))).toString()
}

let eligible: EligibleEntry[] = []
const seed = new Uint8Array(32).fill(7)
const nonceA = new Uint8Array(32).fill(1)
const nonceB = new Uint8Array(32).fill(2)
const validator = new Uint8Array(32).fill(9)

beforeAll(async () => {
  const miners = []
  for (let m = 0; m < 5; m++) {
    const sk = await generateKeyPairFromSeed('Ed25519', new Uint8Array(32).fill(100 + m))
    miners.push({ peer: peerIdFromPrivateKey(sk).toString(), hotkey: sk.publicKey.raw })
  }
  const listing = await cidOf('listing')
  for (let f = 0; f < 8; f++) {
    const fileCid = await cidOf(`file ${f}`)
    for (const m of miners) eligible.push({ listingCid: listing, fileCid, fileSize: (f + 1) * 3 * MiB + 17, minerPeerId: m.peer, minerHotkey: m.hotkey })
  }
  eligible = eligible.slice(0, 37)
})

describe('tasks', () => {
  it('default: selects k tasks, deterministically, each with a range inside its file', () => {
    const a = selectTasks({ eligible, seed, validatorHotkey: validator, nonce: nonceA, k: 10 })
    const b = selectTasks({ eligible, seed, validatorHotkey: validator, nonce: nonceA, k: 10 })
    expect(a).toHaveLength(10)
    expect(b).toEqual(a)
    for (const t of a) {
      expect(t.rangeLen).toBe(MiB)
      expect(t.rangeStart).toBeGreaterThanOrEqual(0)
      expect(t.rangeStart + t.rangeLen).toBeLessThanOrEqual(t.fileSize)
    }
  })

  it('behavior: the task key is SHA256(fileCID bytes ‖ peer id multihash bytes ‖ seed)', () => {
    const e = eligible[3]
    const expected = nodeSha(CID.parse(e.fileCid).bytes, peerIdFromString(e.minerPeerId).toMultihash().bytes, seed)
    expect(Buffer.from(taskKey(e, seed))).toEqual(expected)
  })

  it('behavior: the tasks taken are the k XOR-closest to SHA256(varint ‖ "agora-probe-point" ‖ hotkey ‖ nonce), checked by brute force', () => {
    // "agora-probe-point" is 17 ASCII bytes: the one-byte LEB128 length 0x11, then the bytes
    const point = nodeSha(Buffer.from([17]), Buffer.from('agora-probe-point'), validator, nonceA)
    const keyed = eligible.map(e => nodeSha(CID.parse(e.fileCid).bytes, peerIdFromString(e.minerPeerId).toMultihash().bytes, seed))
    const dist = keyed.map(k => Buffer.from(k.map((b, i) => b ^ point[i])))
    const order = dist.map((d, i) => ({ d, i })).sort((x, y) => Buffer.compare(x.d, y.d)).slice(0, 6).map(x => keyed[x.i].toString('hex'))
    const got = selectTasks({ eligible, seed, validatorHotkey: validator, nonce: nonceA, k: 6 }).map(t => Buffer.from(t.taskKey).toString('hex'))
    expect(got).toEqual(order)
  })

  it('behavior: another seed or another validator picks other tasks', () => {
    const base = selectTasks({ eligible, seed, validatorHotkey: validator, nonce: nonceA, k: 8 }).map(t => Buffer.from(t.taskKey).toString('hex'))
    const otherSeed = selectTasks({ eligible, seed: new Uint8Array(32).fill(8), validatorHotkey: validator, nonce: nonceA, k: 8 }).map(t => t.fileCid + t.minerPeerId)
    const otherValidator = selectTasks({ eligible, seed, validatorHotkey: new Uint8Array(32).fill(10), nonce: nonceA, k: 8 }).map(t => Buffer.from(t.taskKey).toString('hex'))
    expect(otherValidator).not.toEqual(base)
    const baseTuples = selectTasks({ eligible, seed, validatorHotkey: validator, nonce: nonceA, k: 8 }).map(t => t.fileCid + t.minerPeerId)
    expect(otherSeed).not.toEqual(baseTuples)
  })

  it('behavior: the secret nonce moves which tasks are taken, not only their ranges', () => {
    // The seed and the eligible set are public; a selection from them and the hotkey alone could
    // be worked out by the miner before the round. With the nonce in the point it cannot.
    const keysOf = (nonce: Uint8Array): string[] => selectTasks({ eligible, seed, validatorHotkey: validator, nonce, k: 6 }).map(t => Buffer.from(t.taskKey).toString('hex'))
    const a = keysOf(nonceA)
    const b = keysOf(nonceB)
    expect(a).toHaveLength(6)
    expect(b).toHaveLength(6)
    // 6 of the 37 tasks under two independent points: the same ordered six has odds
    // 1/(37·36·35·34·33·32), about 1e-9
    expect(b).not.toEqual(a)
    // over 200 nonces every one of the 37 tasks is taken by some nonce: the selection is not a
    // fixed set that a miner could learn (each task misses one draw with odds 31/37, so missing all
    // 200 has odds (31/37)^200 < 1e-15 per task)
    const seen = new Set<string>()
    for (let n = 0; n < 200; n++) for (const k of keysOf(new Uint8Array(32).fill(n))) seen.add(k)
    expect(seen.size).toBe(37)
  })

  it('behavior: the range is drawn as SHA256(varint ‖ "agora-probe-range" ‖ nonce ‖ taskKey) mod span', () => {
    const key = new Uint8Array(32).fill(3)
    const h = nodeSha(Buffer.from([17]), Buffer.from('agora-probe-range'), nonceA, key)
    const size = 5 * MiB
    const expected = Number(BigInt('0x' + h.toString('hex')) % BigInt(size - MiB + 1))
    expect(drawRange(key, size, nonceA)).toEqual({ rangeStart: expected, rangeLen: MiB })
    expect(drawRange(key, 1000, nonceA)).toEqual({ rangeStart: 0, rangeLen: 1000 })
  })

  it('behavior: the nonce commitment verifies the revealed nonce and no other', () => {
    const c = nonceCommitment(nonceA)
    expect(Buffer.from(c)).toEqual(nodeSha(Buffer.from([17]), Buffer.from('agora-probe-nonce'), nonceA))
    expect(verifyNonceReveal(c, nonceA)).toBe(true)
    expect(verifyNonceReveal(c, nonceB)).toBe(false)
    expect(verifyNonceReveal(c, new Uint8Array(31))).toBe(false)
  })

  it('behavior: the same file under two listings is one task, kept under the smaller listing CID', async () => {
    const other = await cidOf('another listing')
    const dup = { ...eligible[0], listingCid: other }
    const tasks = eligibleTasks([eligible[0], dup], seed)
    expect(tasks).toHaveLength(1)
    expect(tasks[0].listingCid).toBe([eligible[0].listingCid, other].sort()[0])
  })

  it('behavior: malformed input is an InvalidTaskInputError', () => {
    const bad = [
      () => selectTasks({ eligible: [{ ...eligible[0], fileCid: 'not-a-cid' }], seed, validatorHotkey: validator, nonce: nonceA, k: 1 }),
      () => selectTasks({ eligible: [{ ...eligible[0], minerPeerId: 'nope' }], seed, validatorHotkey: validator, nonce: nonceA, k: 1 }),
      () => selectTasks({ eligible: [{ ...eligible[0], fileSize: 0 }], seed, validatorHotkey: validator, nonce: nonceA, k: 1 }),
      () => selectTasks({ eligible, seed: new Uint8Array(4), validatorHotkey: validator, nonce: nonceA, k: 1 }),
      () => selectTasks({ eligible, seed, validatorHotkey: new Uint8Array(31), nonce: nonceA, k: 1 }),
      () => selectTasks({ eligible, seed, validatorHotkey: validator, nonce: new Uint8Array(16), k: 1 })
    ]
    for (const f of bad) expect(f).toThrow(expect.objectContaining({ name: 'InvalidTaskInputError' }))
  })

  it('behavior: k bounds the checks on the busiest miner per tempo', () => {
    // 1000 tasks, busiest miner holds 50, 5 validators, 3 rounds, 60 checks:
    // k = floor(60·1000 / (5·3·50)) = floor(80) = 80, then capped by kMax 64.
    expect(tuneK({ taskCount: 1000, maxTasksPerMiner: 50, validators: 5, roundsPerTempo: 3 })).toBe(64)
    // With kMax 100 the bound itself applies: 5·3·80·50/1000 = 60 checks per tempo.
    expect(tuneK({ taskCount: 1000, maxTasksPerMiner: 50, validators: 5, roundsPerTempo: 3, kMax: 100 })).toBe(80)
    // 10 tasks all on one miner, 3 validators: floor(60·10/(3·3·10)) = 6.
    expect(tuneK({ taskCount: 10, maxTasksPerMiner: 10, validators: 3, roundsPerTempo: 3 })).toBe(6)
    // Never more than the tasks there are, never fewer than kMin.
    expect(tuneK({ taskCount: 2, maxTasksPerMiner: 1, validators: 1, roundsPerTempo: 1 })).toBe(2)
    expect(tuneK({ taskCount: 100, maxTasksPerMiner: 100, validators: 100, roundsPerTempo: 3 })).toBe(1)
    expect(tuneK({ taskCount: 0, maxTasksPerMiner: 0, validators: 3, roundsPerTempo: 3 })).toBe(0)
  })
})
