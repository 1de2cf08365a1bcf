/**
 * The straightforward float64 Yuma epoch the benchmark compares against: dense n×n matrices of
 * plain JS arrays, Math.exp for the liquid-alpha sigmoid, and the consensus as "sort the column
 * descending, first cumulative stake ≥ κ" (bactensor/yuma-simulation's reading of the κ-median). It
 * is what one writes first from a description of the epoch; it is not bit-exact with the chain and
 * not meant to be.
 */
import type { EpochInput, SparseRowInput } from '../src/yuma/index.ts'

type Mat = number[][]

const zeros = (n: number): Mat => Array.from({ length: n }, () => new Array<number>(n).fill(0))
const normalize = (x: number[]): number[] => { const s = x.reduce((a, b) => a + b, 0); return s === 0 ? x : x.map(v => v / s) }
function colNormalize (m: Mat): Mat {
  const n = m.length
  const s = new Array<number>(n).fill(0)
  for (const row of m) for (let j = 0; j < n; j++) s[j] += row[j]
  return m.map(row => row.map((v, j) => (s[j] === 0 ? v : v / s[j])))
}

function dense (rows: readonly SparseRowInput[], n: number): Mat {
  const m = zeros(n)
  rows.forEach((row, i) => {
    if ('uids' in row) row.uids.forEach((j, k) => { m[i][j] = row.values[k] })
    else for (const [j, v] of row) m[i][j] = v
  })
  return m
}

/** One epoch in float64; returns incentive, dividends and the new bonds (proportions). */
export function naiveEpoch (x: EpochInput): { incentive: number[], dividends: number[], bonds: Mat } {
  const n = x.stake.length
  const kappa = (x.kappa ?? 32767) / 65535
  const alpha = 1 - (x.bondsMovingAverage ?? 900_000) / 1e6
  const active = x.lastUpdate.map(u => u + (x.activityCutoff ?? 5000) >= x.currentBlock)
  const S = normalize(x.stake.map(Number))
  const A = normalize(S.map((s, i) => (active[i] && x.validatorPermits[i] ? s : 0)))
  // weights: permitted rows, no diagonal, not outdated; row-normalized
  const W = dense(x.weights, n).map((row, i) => {
    const r = row.map((w, j) => (x.validatorPermits[i] && i !== j && x.lastUpdate[i] > x.blockAtRegistration[j] ? w : 0))
    return normalize(r)
  })
  // consensus: per column, validators sorted by weight descending, first cumulative stake ≥ κ
  const C = new Array<number>(n).fill(0)
  for (let j = 0; j < n; j++) {
    const col = W.map((row, i) => ({ w: row[j], s: A[i] })).filter(e => e.s > 0).sort((a, b) => b.w - a.w)
    let cum = 0
    for (const e of col) { cum += e.s; if (cum >= kappa) { C[j] = e.w; break } }
  }
  const Wc = W.map(row => row.map((w, j) => Math.min(w, C[j])))
  const R = new Array<number>(n).fill(0)
  Wc.forEach((row, i) => row.forEach((w, j) => { R[j] += A[i] * w }))
  const I = normalize(R)
  const beta = (x.bondsPenalty ?? 65535) / 65535
  const Wb = W.map((row, i) => row.map((w, j) => w + beta * (Wc[i][j] - w)))
  const Bprev = dense(x.bonds ?? Array.from({ length: n }, () => []), n)
  let D: number[]
  let bonds: Mat
  if (x.yuma3 !== true) {
    const dB = colNormalize(Wb.map((row, i) => row.map(w => w * A[i])))
    bonds = colNormalize(colNormalize(Bprev).map((row, i) => row.map((b, j) => alpha * dB[i][j] + (1 - alpha) * b)))
    D = normalize(bonds.map(row => row.reduce((acc, b, j) => acc + b * I[j], 0)))
  } else {
    const B = Bprev.map(row => row.map(b => b / 65535))
    const lo = (x.alphaLow ?? 45875) / 65535
    const hi = (x.alphaHigh ?? 58982) / 65535
    const slope = (x.alphaSigmoidSteepness ?? 1000) / 100
    bonds = B.map((row, i) => row.map((b, j) => {
      const w = Wb[i][j]
      let a = alpha
      if (x.liquidAlpha === true) {
        const d = w >= b ? Math.min(Math.max(w - C[j], 0), 1) : Math.min(Math.max(b - w, 0), 1)
        a = lo + (hi - lo) / (1 + Math.exp(-slope * (d - 0.5)))
      }
      return Math.min(1, (1 - a) * b + a * w)
    }))
    const Bn = colNormalize(bonds)
    D = normalize(Bn.map((row, i) => row.reduce((acc, b, j) => acc + b * I[j], 0) * A[i]))
  }
  return { incentive: I, dividends: D, bonds }
}
