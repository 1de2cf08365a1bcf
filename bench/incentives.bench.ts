/**
 * Incentives benchmark (issue 6).
 *
 * 1. Time from a miner turning bad to its weight falling below half of its previous value, for
 *    the default scoring policy, simulated over the pure scoring pipeline (scoreRound →
 *    weightRow) with realistic rounds: 120 blocks of 12 s = 24 min, 3 rounds per 360-block
 *    tempo, 8 honest miners plus the one that turns bad, 4 probes per miner per round, after
 *    3 days (180 rounds) and after 12 hours (30 rounds) of honest history. Reported in rounds,
 *    in simulated time for the row the validator computes, and in simulated time until that
 *    row is on chain (set at the next tempo, or revealed one tempo later with commit-reveal).
 *    Median and worst over 20 seeds. (After 3 days of history the offline-half miner's first
 *    12-hour window after the switch is an online one, so its figure includes those 30 rounds.)
 * 2. Scoring throughput: probe results folded into miner states per second, and signed reports
 *    opened (size check, decode, ed25519 verify) per second, and recorded + closed through the
 *    Scoreboard over an in-memory datastore per second.
 *
 * The network figure (probes per second a validator sustains against miner daemons over libp2p)
 * is in bench/probe.bench.ts.
 *
 * Reproduce: npm run bench -- incentives   (or: node bench/incentives.bench.ts)
 */
import * as ed from '@noble/ed25519'
import { MemoryDatastore } from 'datastore-core'
import { openProbeReport, signProbeReport } from '../src/incentives/probe-report.ts'
import { Scoreboard } from '../src/incentives/scoreboard.ts'
import { initialMinerState, scoreRound } from '../src/incentives/score.ts'
import { weightRow } from '../src/incentives/weights.ts'
import { key, prng, ROUND_MS, simulateRound } from '../test/fixtures/incentives/simulate.ts'
import type { SignedProbeReport } from '../src/incentives/probe-report.ts'
import type { MinerState } from '../src/incentives/score.ts'
import type { Behaviour } from '../test/fixtures/incentives/simulate.ts'

const CMD = 'npm run bench -- incentives'
const HONEST = 8
const PER_ROUND = 4
const WARMUPS = [180, 30]
const ROUNDS_PER_TEMPO = 3
const SEEDS = 20
const minutes = (rounds: number): string => `${(rounds * ROUND_MS / 60_000).toFixed(0)} min`

/** Rounds after turning bad until the miner's weight is below half its last honest weight (Infinity if never within the horizon). */
function roundsToHalf (bad: Behaviour, badShare: number, seed: number, WARMUP: number, horizon = 300): number {
  const rand = prng(seed)
  const states: MinerState[] = Array.from({ length: HONEST + 1 }, () => initialMinerState())
  const target = HONEST
  let before = 0
  for (let r = 0; r < WARMUP + horizon; r++) {
    for (let m = 0; m <= HONEST; m++) {
      const behaviour = m === target && r >= WARMUP ? bad : 'honest'
      states[m] = scoreRound(states[m], r, simulateRound(behaviour, r, PER_ROUND, rand, badShare)).state
    }
    const row = weightRow({ scores: states.map((s, uid) => ({ uid, score: s.smoothed })), subnetN: HONEST + 1 })
    const w = row.values[target]
    if (r === WARMUP - 1) before = w
    if (r >= WARMUP && w < before / 2) return r - WARMUP + 1
  }
  return Infinity
}

function percentile (xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]
}

function timeToHalf (): void {
  const cases: Array<[string, Behaviour, number]> = [
    ['corrupt bytes on 10% of probes', 'corrupt', 0.1],
    ['corrupt bytes on every probe', 'corrupt', 1],
    ['offline (every dial fails)', 'dead', 0],
    ['times out on every probe', 'timeout', 1],
    ['times out on 50% of probes', 'timeout', 0.5],
    ['slow-drip (~100 KiB/s, 1.5 s TTFB)', 'slow-drip', 0],
    ['offline every other 12 h window', 'offline-half', 0]
  ]
  console.log(`time from a miner turning bad to its weight < 1/2 of before (default policy; ${HONEST} honest miners; ${PER_ROUND} probes/miner/round; round = 120 blocks = 24 min; tempo = 3 rounds; ${SEEDS} seeds)`)
  const onChain = (r: number): number => Math.ceil(r / ROUNDS_PER_TEMPO) * ROUNDS_PER_TEMPO
  const fmt = (r: number): string => Number.isFinite(r) ? `${r} rounds = ${minutes(r)}` : 'not within 300 rounds'
  for (const warmup of WARMUPS) {
    console.log(` after ${minutes(warmup)} (${warmup} rounds) of honest history:`)
    for (const [name, b, share] of cases) {
      const rounds = Array.from({ length: SEEDS }, (_, i) => roundsToHalf(b, share, 1000 + i, warmup))
      const med = percentile(rounds, 0.5)
      const worst = Math.max(...rounds)
      const chain = Number.isFinite(med) ? `on chain (set at next tempo) ${minutes(onChain(med))}, with commit-reveal ${minutes(onChain(med) + ROUNDS_PER_TEMPO)}` : ''
      console.log(`  ${name.padEnd(36)} median ${fmt(med)}; worst ${fmt(worst)}; ${chain}`)
    }
  }
  console.log(`  reproduce: ${CMD}`)
}

function scoringThroughput (): void {
  const miners = 1000
  const rounds = 12
  const perRound = 24
  const rand = prng(7)
  const data = Array.from({ length: rounds }, (_, r) => Array.from({ length: miners }, (_, m) => simulateRound((['honest', 'corrupt', 'timeout', 'slow-drip', 'offline-half'] as const)[m % 5], r, perRound, rand, 0.2)))
  const states: MinerState[] = Array.from({ length: miners }, () => initialMinerState())
  const t0 = process.hrtime.bigint()
  for (let r = 0; r < rounds; r++) {
    for (let m = 0; m < miners; m++) states[m] = scoreRound(states[m], r, data[r][m]).state
  }
  const t1 = process.hrtime.bigint()
  weightRow({ scores: states.map((s, uid) => ({ uid, score: s.smoothed })), subnetN: miners })
  const t2 = process.hrtime.bigint()
  const n = miners * rounds * perRound
  const secs = Number(t1 - t0) / 1e9
  console.log(`scoring throughput: ${n} probe results (${miners} miners × ${rounds} rounds × ${perRound}) in ${secs.toFixed(3)} s = ${Math.round(n / secs)} results/s; weight row of ${miners} uids in ${(Number(t2 - t1) / 1e6).toFixed(2)} ms`)
  console.log(`  reproduce: ${CMD}`)
}

async function reportThroughput (): Promise<void> {
  const secret = new Uint8Array(32).fill(5)
  const validator = await ed.getPublicKeyAsync(secret)
  const rand = prng(11)
  const count = 2000
  const signed: SignedProbeReport[] = []
  for (let i = 0; i < count; i++) {
    const [r] = simulateRound('honest', 1, 1, rand)
    signed.push(await signProbeReport({ ...r, round: 120, startedAt: r.startedAt + i, minerHotkey: key(1 + (i % 50)), validatorHotkey: validator }, secret))
  }
  let t0 = process.hrtime.bigint()
  for (const s of signed) await openProbeReport(s.bytes)
  let secs = Number(process.hrtime.bigint() - t0) / 1e9
  console.log(`signed reports opened and verified: ${count} in ${secs.toFixed(3)} s = ${Math.round(count / secs)} reports/s`)
  const board = new Scoreboard({ datastore: new MemoryDatastore() }, { validatorHotkey: validator })
  await board.start()
  t0 = process.hrtime.bigint()
  for (const s of signed) await board.record(s)
  await board.closeRound(120)
  secs = Number(process.hrtime.bigint() - t0) / 1e9
  console.log(`scoreboard record + close (in-memory datastore): ${count} reports in ${secs.toFixed(3)} s = ${Math.round(count / secs)} reports/s`)
  await board.stop()
  console.log(`  reproduce: ${CMD}`)
}

timeToHalf()
scoringThroughput()
await reportThroughput()
console.log('probes per second a validator sustains against miner daemons over libp2p: npm run bench -- probe')
