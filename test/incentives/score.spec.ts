import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { log2, sqrt } from '../../src/incentives/det-math.ts'
import { ResultCode } from '../../src/incentives/probe-result.ts'
import { initialIntegrity, integrityFactor, integrityReputation, onlineFactor, recordOnline, updateIntegrity } from '../../src/incentives/reputation.ts'
import { DEFAULT_SCORE_POLICY, initialMinerState, latencyFactor, scoreRound, smooth, throughputFactor, wilsonLowerBound } from '../../src/incentives/score.ts'
import { prng, probe, ROUND_MS, simulateRound } from '../fixtures/incentives/simulate.ts'
import type { Behaviour } from '../fixtures/incentives/simulate.ts'
import type { MinerState } from '../../src/incentives/score.ts'

const MiB = 1024 * 1024

/** Runs `rounds` rounds of one behaviour from `state`, 8 probes per round. */
function run (behaviour: Behaviour, rounds: number, from = 0, state: MinerState = initialMinerState(), seed = 1): MinerState {
  const rand = prng(seed)
  let s = state
  for (let r = from; r < from + rounds; r++) s = scoreRound(s, r, simulateRound(behaviour, r, 8, rand)).state
  return s
}

describe('deterministic math', () => {
  it('default: log2 and sqrt agree with the platform to ~1 ulp on sample points', () => {
    for (const x of [0.001, 0.3, 1, 1.5, 2, 3, 20, 1000, 123456.789]) {
      expect(log2(x)).toBeCloseTo(Math.log2(x), 12)
      expect(sqrt(x)).toBeCloseTo(Math.sqrt(x), 12)
    }
    expect(log2(1024)).toBe(10)
    expect(sqrt(0.25)).toBe(0.5)
  })

  it('behavior: scoring code uses no implementation-approximated math, clock or randomness', () => {
    const dir = fileURLToPath(new URL('../../src/incentives/', import.meta.url))
    const pure = ['det-math.ts', 'score.ts', 'reputation.ts', 'weights.ts', 'tasks.ts', 'commit-reveal.ts', 'probe-result.ts', 'round-record.ts', 'bytes.ts']
    for (const f of readdirSync(dir).filter(f => pure.includes(f))) {
      // Comments may name the forbidden functions; code may not.
      const src = readFileSync(dir + f, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '')
      expect(src, f).not.toMatch(/Math\.(exp|log|log2|log10|pow|sqrt|random|cbrt|hypot)\b|Date\.now|performance\.now|\*\*\s*[a-z(]/)
    }
  })
})

describe('score factors', () => {
  it('default: Wilson lower bound at z = 1.96 matches known values', () => {
    // p̂ = 1: spread = z·√(z²/4n²) = z²/2n, so the bound is 1/(1 + z²/n) = n/(n + z²) = 10/13.8416.
    expect(wilsonLowerBound(10, 10)).toBeCloseTo(10 / 13.8416, 12)
    // 50/100: (0.5 + 0.019208 − 1.96·√(0.0025 + 0.00009604)) / 1.038416 = 0.40383, the
    // textbook 95 % Wilson interval [0.4038, 0.5962] for 50 of 100.
    expect(wilsonLowerBound(50, 100)).toBeCloseTo(0.40383, 5)
    // 0 successes: centre and spread are both z²/2n, the bound is 0.
    expect(wilsonLowerBound(0, 10)).toBeCloseTo(0, 12)
    expect(wilsonLowerBound(0, 0)).toBe(0)
    // More evidence at the same rate raises the lower bound.
    expect(wilsonLowerBound(95, 100)).toBeGreaterThan(wilsonLowerBound(19, 20))
    expect(() => wilsonLowerBound(3, 2)).toThrow(RangeError)
  })

  it('behavior: latency is 1 at 100 ms, 0 at 2 s, 0.5 at the geometric middle √(100·2000) ms', () => {
    expect(latencyFactor(50)).toBe(1)
    expect(latencyFactor(100)).toBe(1)
    expect(latencyFactor(2000)).toBe(0)
    expect(latencyFactor(447.213595499958)).toBeCloseTo(0.5, 9)
  })

  it('behavior: throughput is 0 at 128 KiB/s, 1 at 32 MiB/s, 0.5 at 2 MiB/s (16× the floor of 256×)', () => {
    expect(throughputFactor(100 * 1024)).toBe(0)
    expect(throughputFactor(64 * MiB)).toBe(1)
    expect(throughputFactor(2 * MiB)).toBeCloseTo(0.5, 12)
  })

  it('behavior: one corrupt answer costs far more than a timeout; two disqualify', () => {
    const fresh = initialIntegrity()
    // α = 0.999·1000 = 999, β = 25: reputation 999/1024.
    const one = updateIntegrity(fresh, false)
    expect(integrityReputation(one)).toBeCloseTo(999 / 1024, 12)
    expect(integrityFactor(one)).toBeCloseTo((999 / 1024 - 0.96) / 0.04, 9)
    // α = 998.001, β = 24.975 + 25 = 49.975: 998.001/1047.976 ≈ 0.9523 < 0.96.
    expect(integrityFactor(updateIntegrity(one, false))).toBe(0)
    // Recovery needs β·0.999ⁿ ≤ α/24: n ≈ ln(49.975·24/1000)/−ln(0.999) ≈ 181 verified answers.
    let s = updateIntegrity(one, false)
    let n = 0
    while (integrityFactor(s) === 0) { s = updateIntegrity(s, true); n++ }
    expect(n).toBeGreaterThan(150)
    expect(n).toBeLessThan(200)
  })

  it('behavior: online below 0.6 over 12-hour windows suspends, history kept', () => {
    let w = recordOnline([], 0, true)
    w = recordOnline(w, 13 * 3600_000, false)
    expect(w).toHaveLength(2)
    // windows 1.0 and 0.0: mean 0.5 < 0.6.
    expect(onlineFactor(w)).toBe(0)
    w = recordOnline(w, 25 * 3600_000, true)
    // (1 + 0 + 1)/3 = 0.667.
    expect(onlineFactor(w)).toBeCloseTo(2 / 3, 12)
    // A window older than 30 days drops out.
    expect(recordOnline(w, 31 * 24 * 3600_000, true).map(x => x.start)).not.toContain(0)
  })

  it('behavior: smoothing moves by α of the gap, at most 0.1 per round', () => {
    expect(smooth(0.5, 0.6)).toBeCloseTo(0.52, 12)
    expect(smooth(0.9, 0)).toBeCloseTo(0.8, 12)
    expect(smooth(0, 1)).toBeCloseTo(0.1, 12)
  })
})

describe('miner scores over simulated rounds', () => {
  const ROUNDS = 12 // four 3-round tempos

  it('default: an honest miner climbs to a stable high score', () => {
    const s = run('honest', ROUNDS)
    const last = scoreRound(s, ROUNDS, simulateRound('honest', ROUNDS, 8, prng(9))).breakdown
    expect(last.integrity).toBe(1)
    expect(last.online).toBe(1)
    expect(last.rsrWilson).toBeGreaterThan(0.85)
    expect(last.smoothed).toBeGreaterThan(0.6)
  })

  it('behavior: a corrupt-answer miner loses far more than a timing-out one with the same failure rate', () => {
    const honest = run('honest', ROUNDS)
    const corrupt = run('corrupt', 3, ROUNDS, honest, 5)
    const timeout = run('timeout', 3, ROUNDS, honest, 5)
    const dropCorrupt = honest.smoothed - corrupt.smoothed
    const dropTimeout = honest.smoothed - timeout.smoothed
    expect(corrupt.smoothed).toBe(0)
    expect(dropCorrupt).toBeGreaterThan(3 * dropTimeout)
    expect(timeout.smoothed).toBeGreaterThan(0.5 * honest.smoothed)
  })

  it('behavior: slow-drip and offline-half-the-time miners score clearly below honest ones', () => {
    const honest = run('honest', ROUNDS).smoothed
    const slow = run('slow-drip', ROUNDS).smoothed
    const offline = run('offline-half', ROUNDS * 4).smoothed
    expect(slow).toBeLessThan(0.5 * honest)
    expect(offline).toBeLessThan(0.5 * honest)
  })

  it('behavior: validator-side errors change nothing about a miner', () => {
    const rand = prng(3)
    const errs = prng(4)
    let clean = initialMinerState()
    let mixed = initialMinerState()
    for (let r = 0; r < ROUNDS; r++) {
      const results = simulateRound('honest', r, 8, rand)
      clean = scoreRound(clean, r, results).state
      mixed = scoreRound(mixed, r, [...results, ...simulateRound('validator-error', r, 5, errs)]).state
    }
    expect(mixed).toEqual(clean)
    // A round of nothing but validator-side errors leaves the score where it was.
    const after = scoreRound(clean, ROUNDS, simulateRound('validator-error', ROUNDS, 8, errs))
    expect(after.state.smoothed).toBe(clean.smoothed)
    expect(after.state.integrity).toEqual(clean.integrity)
    expect(after.state.online).toEqual(clean.online)
  })

  it('behavior: a dead miner is suspended at once once its online score falls below 0.6', () => {
    const honest = run('honest', 3)
    const r = scoreRound(honest, 3, [probe(ResultCode.DIAL_FAILED, { round: 3, startedAt: 3 * ROUND_MS + 1 })])
    // Same 12-hour window: 24 ok + 1 failed, still online; the failure lowers the Wilson bound.
    expect(r.breakdown.online).toBeCloseTo(24 / 25, 12)
    const dead = run('dead', 60, 4, r.state)
    expect(dead.smoothed).toBe(0)
    expect(DEFAULT_SCORE_POLICY.online.suspendBelow).toBe(0.6)
  })
})
