import * as ed from '@noble/ed25519'
import { MemoryDatastore } from 'datastore-core'
import { Key } from 'interface-datastore'
import { beforeAll, describe, expect, it } from 'vitest'
import { signProbeReport } from '../../src/incentives/probe-report.ts'
import { ResultCode } from '../../src/incentives/probe-result.ts'
import { Scoreboard } from '../../src/incentives/scoreboard.ts'
import { key, prng, probe, simulateRound } from '../fixtures/incentives/simulate.ts'
import type { Behaviour } from '../fixtures/incentives/simulate.ts'
import type { SignedProbeReport } from '../../src/incentives/probe-report.ts'

const secret = new Uint8Array(32).fill(77)
let validator: Uint8Array
const miners: Array<{ hotkey: Uint8Array, behaviour: Behaviour }> = [
  { hotkey: key(1), behaviour: 'honest' },
  { hotkey: key(2), behaviour: 'corrupt' },
  { hotkey: key(3), behaviour: 'slow-drip' }
]
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

beforeAll(async () => {
  validator = await ed.getPublicKeyAsync(secret)
})

/** Signed reports of one round for every miner, 4 probes each; round ids are block numbers. */
async function roundReports (round: number, rand: () => number): Promise<SignedProbeReport[]> {
  const out: SignedProbeReport[] = []
  for (const m of miners) {
    for (const r of simulateRound(m.behaviour, round / 120, 4, rand, 0.25)) {
      out.push(await signProbeReport({ ...r, round, minerHotkey: m.hotkey, validatorHotkey: validator }, secret))
    }
  }
  return out
}

async function runRounds (board: Scoreboard, from: number, count: number, seed: number): Promise<void> {
  const rand = prng(seed)
  for (let i = from; i < from + count; i++) {
    for (const r of await roundReports(i * 120, rand)) await board.record(r)
    await board.closeRound(i * 120)
  }
}

describe('scoreboard', () => {
  it('default: records reports, closes rounds, ranks miners and produces the weight row', async () => {
    const board = new Scoreboard({ datastore: new MemoryDatastore() }, { validatorHotkey: validator })
    await board.start()
    await runRounds(board, 1, 6, 1)
    const scores = board.scores()
    expect(scores.get(hex(key(1)))).toBeGreaterThan(0.3)
    expect(scores.get(hex(key(2)))).toBe(0)
    expect(scores.get(hex(key(3)))).toBeLessThan(0.5 * (scores.get(hex(key(1))) ?? 0))
    // uid 3 is registered but never probed: an explicit zero. uid 0 is the validator itself.
    const uidOf = new Map([[hex(validator), 0], [hex(key(1)), 1], [hex(key(2)), 2], [hex(key(3)), 4], [hex(key(9)), 3]])
    const row = board.weightRow(uidOf, { subnetN: 5, selfUid: 0 })
    expect(row.uids).toEqual([1, 2, 3, 4])
    expect(row.values[0]).toBe(65535)
    expect(row.values[1]).toBe(0)
    expect(row.values[2]).toBe(0)
    expect(row.values[3]).toBeGreaterThan(0)
    expect(row.values[3]).toBeLessThan(32768)
    await board.stop()
  })

  it('behavior: scores, reputations and open rounds survive a restart', async () => {
    const ds = new MemoryDatastore()
    const reference = new Scoreboard({ datastore: new MemoryDatastore() }, { validatorHotkey: validator })
    await reference.start()
    await runRounds(reference, 1, 4, 2)

    const first = new Scoreboard({ datastore: ds }, { validatorHotkey: validator })
    await first.start()
    await runRounds(first, 1, 3, 2)
    // Round 4's reports are recorded, then the process "dies" before closing it.
    const rand = prng(2)
    for (let i = 1; i < 4; i++) await roundReports(i * 120, rand)
    for (const r of await roundReports(480, rand)) await first.record(r)
    await first.stop()

    const second = new Scoreboard({ datastore: ds }, { validatorHotkey: validator })
    await second.start()
    const closed = await second.closeRound(480)
    expect(closed.batches).toHaveLength(1)
    expect(closed.batches[0].reports).toHaveLength(12)
    expect(second.scores()).toEqual(reference.scores())
    expect(second.report(key(2))).toEqual(reference.report(key(2)))
  })

  it('behavior: report figures count result codes over the window', async () => {
    const board = new Scoreboard({ datastore: new MemoryDatastore() }, { validatorHotkey: validator })
    await board.start()
    const mk = async (code: Parameters<typeof probe>[0], round: number, at: number): Promise<SignedProbeReport> =>
      signProbeReport(probe(code, { round, startedAt: at, minerHotkey: key(5), validatorHotkey: validator }), secret)
    const codes = [ResultCode.OK, ResultCode.OK, ResultCode.TIMEOUT_NO_PROGRESS, ResultCode.VALIDATOR_SIDE_ERROR]
    for (const [i, c] of codes.entries()) await board.record(await mk(c, 10, 1000 + i))
    // The same signed report recorded twice counts once.
    await board.record(await mk(ResultCode.OK, 10, 1000))
    await board.closeRound(10)
    const rep = board.report(key(5))
    expect(rep?.codeCounts).toEqual({ OK: 2, TIMEOUT_NO_PROGRESS: 1, VALIDATOR_SIDE_ERROR: 1 })
    // 2 successes of 3 counted attempts; the validator-side error is not an attempt.
    expect(rep?.lastBreakdown?.attempts).toBe(3)
    expect(rep?.lastBreakdown?.successes).toBe(2)
    expect(rep?.integrityReputation).toBe(1)
    expect(board.report(key(6))).toBeUndefined()
    expect(board.reportAll().map(r => r.minerHotkey)).toEqual([hex(key(5))])
  })

  it('behavior: foreign, late and tampered reports are refused with named errors', async () => {
    const board = new Scoreboard({ datastore: new MemoryDatastore() }, { validatorHotkey: validator })
    await expect(board.record(new Uint8Array(10))).rejects.toHaveProperty('name', 'NotStartedError')
    await board.start()
    const otherSecret = new Uint8Array(32).fill(78)
    const otherPub = await ed.getPublicKeyAsync(otherSecret)
    const foreign = await signProbeReport(probe(ResultCode.OK, { round: 1, startedAt: 1, validatorHotkey: otherPub }), otherSecret)
    await expect(board.record(foreign)).rejects.toHaveProperty('name', 'InvalidProbeReportError')
    const own = await signProbeReport(probe(ResultCode.OK, { round: 1, startedAt: 1, validatorHotkey: validator }), secret)
    const tampered = Uint8Array.from(own.bytes)
    tampered[tampered.length - 1] ^= 1
    await expect(board.record(tampered)).rejects.toHaveProperty('name', 'InvalidReportSignatureError')
    await board.closeRound(1)
    await expect(board.record(own)).rejects.toHaveProperty('name', 'RoundClosedError')
    await expect(board.closeRound(1)).rejects.toHaveProperty('name', 'RoundClosedError')
  })

  it('behavior: reports older than the retained rounds are deleted', async () => {
    const ds = new MemoryDatastore()
    const board = new Scoreboard({ datastore: ds }, { validatorHotkey: validator, retainRounds: 2 })
    await board.start()
    await runRounds(board, 1, 3, 3)
    expect(await board.reportsOfRound(120)).toHaveLength(0)
    expect(await board.reportsOfRound(240)).toHaveLength(12)
    expect(await board.reportsOfRound(360)).toHaveLength(12)
  })

  it('behavior: data of another version is refused', async () => {
    const ds = new MemoryDatastore()
    await ds.put(new Key('/agora/incentives/version'), new TextEncoder().encode('99'))
    const board = new Scoreboard({ datastore: ds }, { validatorHotkey: validator })
    await expect(board.start()).rejects.toHaveProperty('name', 'ScoreboardVersionError')
  })
})
