/**
 * `npm run bench -- yuma`: one Yuma epoch at full subnet size (4096 uids, 256 validators each
 * weighting all 3840 miners: about a million weights), bit-exact `epoch()` against the
 * straightforward float64 implementation in yuma-naive.ts, measured in the same run, for Yuma 2
 * and for Yuma 3 with liquid alpha. The measured epoch carries the bonds of a previous epoch and
 * fresh random weights, so bonds and weights disagree everywhere (the costly case for liquid
 * alpha); a steady-state epoch (weights unchanged) is reported too. Wall time is the figure;
 * process CPU time and the load average are printed beside it because this machine is shared.
 * Each measurement starts from a collected heap, so neither implementation pays for the garbage
 * the other (or the previous variant) left behind. On two cores epoch() splits its row-wise stages
 * with a helper thread; its time on one thread is printed too.
 */
import { loadavg } from 'node:os'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { epoch } from '../src/yuma/index.ts'
import { setYumaThreads, startYumaHelper } from '../src/yuma/threads.ts'
import { N, VALIDATORS, benchInput } from './yuma-input.ts'
import { naiveEpoch } from './yuma-naive.ts'
import type { EpochInput } from '../src/yuma/index.ts'

const RUNS = 10
const NAIVE_RUNS = 4 // a warm-up and 3 measured runs (about 5 s each)
const COMMAND = 'npm run bench -- yuma'

interface Timing { wall: number, cpu: number }

function time (f: () => unknown): Timing {
  const c = process.cpuUsage()
  const w = performance.now()
  f()
  const wall = performance.now() - w
  const d = process.cpuUsage(c)
  return { wall, cpu: (d.user + d.system) / 1000 }
}

function median (xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[s.length >> 1]
}

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

function measure (f: () => unknown, runs: number): Timing {
  gc()
  f() // warm-up: compile the hot loops
  const ts = Array.from({ length: runs }, () => time(f))
  return { wall: median(ts.map(t => t.wall)), cpu: median(ts.map(t => t.cpu)) }
}

function variant (label: string, yuma3: boolean, liquidAlpha: boolean): void {
  const previous = epoch(benchInput(yuma3, liquidAlpha, 1))
  const fresh: EpochInput = { ...benchInput(yuma3, liquidAlpha, 2), bonds: previous.bondsU16, validatorPermits: previous.newValidatorPermits }
  const steady: EpochInput = { ...benchInput(yuma3, liquidAlpha, 1), bonds: previous.bondsU16, validatorPermits: previous.newValidatorPermits }
  const ours = measure(() => epoch(fresh), RUNS)
  const oursSteady = measure(() => epoch(steady), RUNS)
  setYumaThreads(1)
  const oneThread = measure(() => epoch(fresh), RUNS)
  setYumaThreads(threads)
  const naive = measure(() => naiveEpoch(fresh), NAIVE_RUNS - 1)
  // the two compute the same epoch: incentive agrees to float precision
  const exact = epoch(fresh)
  const approx = naiveEpoch(fresh)
  const diff = exact.incentive.reduce((m, v, j) => Math.max(m, Math.abs(v / 2 ** 32 - approx.incentive[j])), 0)
  const ratio = naive.wall / ours.wall
  console.log(`${label}: ${N} uids, ${VALIDATORS} validators × ${N - VALIDATORS} miners`)
  console.log(`  epoch() bit-exact     ${ours.wall.toFixed(1)} ms/epoch wall (${ours.cpu.toFixed(1)} ms CPU), median of ${RUNS}   target < 100 ms: ${ours.wall < 100 ? 'met' : 'NOT met'}`)
  if (threads === 2) console.log(`  epoch() one thread    ${oneThread.wall.toFixed(1)} ms/epoch wall (${oneThread.cpu.toFixed(1)} ms CPU), the same epoch without the helper thread`)
  console.log(`  epoch() steady state  ${oursSteady.wall.toFixed(1)} ms/epoch wall (${oursSteady.cpu.toFixed(1)} ms CPU), weights unchanged since the previous epoch`)
  console.log(`  straightforward f64   ${naive.wall.toFixed(1)} ms/epoch wall (${naive.cpu.toFixed(1)} ms CPU), dense arrays, median of ${Math.max(1, NAIVE_RUNS - 1)}`)
  console.log(`  ratio                 ${ratio.toFixed(1)}x faster (CPU ${(naive.cpu / ours.cpu).toFixed(1)}x)   target >= 50x: ${ratio >= 50 ? 'met' : 'NOT met'}`)
  console.log(`  agreement             max |incentive exact − float64| = ${diff.toExponential(2)}`)
  console.log(`  reproduce             ${COMMAND}`)
}

// the helper thread that takes half of the rows of each row-wise stage (src/yuma/threads.ts) is
// started first, as a peer that has run a full-size epoch before has it
const threads = await startYumaHelper() ? 2 : 1
console.log(`yuma epoch benchmark (load average ${loadavg().map(l => l.toFixed(1)).join(' ')} on ${(await import('node:os')).cpus().length} cores; epoch() on ${threads === 2 ? 'this thread and a helper thread' : 'one thread'}; CPU is of every thread)`)
variant('Yuma 2', false, false)
variant('Yuma 3 + liquid alpha', true, true)
