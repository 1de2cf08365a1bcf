import { generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import * as ed from '@noble/ed25519'
import * as raw from 'multiformats/codecs/raw'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import { beforeAll, describe, expect, it } from 'vitest'
import { ResultCode } from '../../src/incentives/probe-result.ts'
import { auditRound, openRoundRecord, signRoundRecord } from '../../src/incentives/round-record.ts'
import { eligibleTasks, nonceCommitment, selectTasks } from '../../src/incentives/tasks.ts'
import { probe } from '../fixtures/incentives/simulate.ts'
import type { ProbeResult } from '../../src/incentives/probe-result.ts'
import type { RoundRecord } from '../../src/incentives/round-record.ts'
import type { EligibleEntry, ProbeTask } from '../../src/incentives/tasks.ts'

const MiB = 1024 * 1024
const secret = new Uint8Array(32).fill(61)
const nonce = new Uint8Array(32).fill(5)
const seed = new Uint8Array(32).fill(6)
let validator: Uint8Array
let record: RoundRecord
const eligible: EligibleEntry[] = []

function resultFor (t: ProbeTask): ProbeResult {
  return { ...probe(ResultCode.OK, { round: 240, startedAt: 1, rangeLen: t.rangeLen, fileCid: t.fileCid, minerHotkey: t.minerHotkey, validatorHotkey: validator }), listingCid: t.listingCid, minerPeerId: t.minerPeerId, rangeStart: t.rangeStart }
}

beforeAll(async () => {
  validator = await ed.getPublicKeyAsync(secret)
  const listing = CID.createV1(raw.code, await sha256.digest(new Uint8Array([1]))).toString()
  for (let m = 0; m < 4; m++) {
    const sk = await generateKeyPairFromSeed('Ed25519', new Uint8Array(32).fill(150 + m))
    for (let f = 0; f < 5; f++) {
      const fileCid = CID.createV1(raw.code, await sha256.digest(new Uint8Array([2, f]))).toString()
      eligible.push({ listingCid: listing, fileCid, fileSize: (f + 2) * MiB, minerPeerId: peerIdFromPrivateKey(sk).toString(), minerHotkey: sk.publicKey.raw })
    }
  }
  record = { round: 240, validatorHotkey: validator, seed, k: 6, rangeLength: MiB, nonceCommitment: nonceCommitment(nonce), revealed: { round: 120, nonce: new Uint8Array(32).fill(4) } }
})

describe('round records', () => {
  it('default: sign then open gives back the record', async () => {
    const bytes = await signRoundRecord(record, secret)
    expect(await openRoundRecord(bytes)).toEqual(record)
    const none = { ...record, revealed: null }
    expect(await openRoundRecord(await signRoundRecord(none, secret))).toEqual(none)
  })

  it('behavior: any flipped bit, a foreign key or an oversized record is refused', async () => {
    const bytes = await signRoundRecord(record, secret)
    for (let i = 0; i < bytes.length; i++) {
      const t = Uint8Array.from(bytes)
      t[i] ^= 0x02
      await expect(openRoundRecord(t)).rejects.toSatisfy((e: Error) => ['InvalidReportSignatureError', 'InvalidProbeReportError'].includes(e.name))
    }
    await expect(signRoundRecord(record, new Uint8Array(32).fill(62))).rejects.toHaveProperty('name', 'InvalidProbeReportError')
    await expect(openRoundRecord(new Uint8Array(2000))).rejects.toHaveProperty('name', 'ProbeReportTooLargeError')
    await expect(signRoundRecord({ ...record, revealed: { round: 300, nonce } }, secret)).rejects.toHaveProperty('name', 'InvalidProbeReportError')
  })

  it('behavior: an honest round passes the audit', () => {
    const tasks = selectTasks({ eligible, seed, validatorHotkey: validator, nonce, k: 6 })
    expect(auditRound({ record, nonce, results: tasks.map(resultFor), eligible })).toEqual({ ok: true, problems: [] })
  })

  it('behavior: the audit catches a wrong nonce, a shifted range and a task outside the k closest', () => {
    const tasks = selectTasks({ eligible, seed, validatorHotkey: validator, nonce, k: 6 })
    expect(auditRound({ record, nonce: new Uint8Array(32).fill(9), results: [], eligible }).problems).toEqual(['the revealed nonce does not match the commitment'])
    const shifted = { ...resultFor(tasks[0]), rangeStart: tasks[0].rangeStart + 1 }
    const chosen = new Set(tasks.map(t => t.fileCid + t.minerPeerId))
    const outside = eligibleTasks(eligible, seed).find(t => !chosen.has(t.fileCid + t.minerPeerId))
    expect(outside).toBeDefined()
    const stray = resultFor({ ...(outside as EligibleEntry & { taskKey: Uint8Array }), rangeStart: 0, rangeLen: MiB })
    const audit = auditRound({ record, nonce, results: [shifted, stray, { ...resultFor(tasks[1]), round: 241 }], eligible })
    expect(audit.ok).toBe(false)
    expect(audit.problems).toHaveLength(3)
    expect(audit.problems[0]).toContain('range differs')
    expect(audit.problems[1]).toContain('not one of the validator\'s tasks')
    expect(audit.problems[2]).toContain('not of this round and validator')
  })
})
