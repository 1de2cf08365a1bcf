/**
 * Stake-weighted κ-median per column (consensus), as subtensor's
 * `weighted_median` / `weighted_median_col_sparse` compute it: a deterministic mid-pivot
 * partition search whose inequalities, pivot choice, partition order and iteration limit are the
 * chain's, so ties and knife edges resolve the same way.
 */
import { mul } from './fixed.ts'
import { scratchF64 } from './scratch.ts'
import { normalizeInPlace, sum } from './vector.ts'
import type { FixedMatrix } from './matrix.ts'

/**
 * `weighted_median(stake, score, partition, minority, lo, hi)`: the median score of the indices in
 * `partition` (order preserved between steps, as the chain's `lower`/`upper` vectors are).
 */
function weightedMedian (
  stake: Float64Array, score: Float64Array, partition: Int32Array, minority: number, lo: number, hi: number,
  scratch: Scratch = newScratch(partition.length)
): number {
  let cur: Int32Array = partition
  let n = cur.length
  const limit = partition.length
  let lower: Int32Array = scratch.a
  let upper: Int32Array = scratch.b
  let spare: Int32Array = scratch.c
  let iteration = 0
  while (true) {
    if (n === 0) return 0
    if (n === 1) return score[cur[0]]
    const pivot = score[cur[n >>> 1]]
    let loStake = 0
    let hiStake = 0
    let nl = 0
    let nu = 0
    // branch-free partition: every index is written to both sides, and only the matching side's
    // count advances (random scores make the branchy form mispredict half of the time)
    for (let k = 0; k < n; k++) {
      const idx = cur[k]
      const s = score[idx]
      const st = stake[idx]
      const isLo = s < pivot ? 1 : 0
      const isHi = s > pivot ? 1 : 0
      lower[nl] = idx
      upper[nu] = idx
      nl += isLo
      nu += isHi
      loStake += isLo * st
      hiStake += isHi * st
    }
    if (minority < lo + loStake && nl > 0) {
      hi = lo + loStake
      const t = cur === partition ? spare : cur
      if (cur === partition) spare = partition
      cur = lower
      lower = t
      n = nl
    } else if (hi - hiStake <= minority && nu > 0) {
      lo = hi - hiStake
      const t = cur === partition ? spare : cur
      if (cur === partition) spare = partition
      cur = upper
      upper = t
      n = nu
    } else {
      return pivot
    }
    iteration++
    if (iteration > limit) return 0
  }
}

/** Three index buffers reused across calls. */
interface Scratch { a: Int32Array, b: Int32Array, c: Int32Array }

/** Scratch buffers for partitions of up to `m` indices. */
function newScratch (m: number): Scratch {
  return { a: new Int32Array(m), b: new Int32Array(m), c: new Int32Array(m) }
}

/**
 * `weighted_median_col_sparse`: participants are the rows with positive stake, their stake
 * renormalized; `minority = Σstake − κ`; each of `columns` columns gets its weighted median
 * (absent entries score 0). With `prerank` (n zeros, `columns` = n), r_j = Σ_i stake_i·W_ij
 * (`matmul_sparse`) is added to it in the same pass over W.
 */
export function weightedMedianColSparse (
  stake: Float64Array, weights: FixedMatrix, columns: number, kappa: number, prerank?: Float64Array
): Float64Array {
  const rows: number[] = []
  for (let i = 0; i < stake.length; i++) if (stake[i] > 0) rows.push(i)
  const m = rows.length
  const useStake = new Float64Array(m)
  for (let k = 0; k < m; k++) useStake[k] = stake[rows[k]]
  normalizeInPlace(useStake)
  const stakeSum = sum(useStake)
  const minority = stakeSum - kappa
  const scores = scratchF64('median.scores', columns * m)
  scores.fill(0) // absent entries score 0
  for (let k = 0; k < m; k++) {
    const i = rows[k]
    if (i >= weights.rows) continue
    if (prerank === undefined) {
      for (let e = weights.ptr[i]; e < weights.ptr[i + 1]; e++) {
        const c = weights.col[e]
        if (c < columns) scores[c * m + k] = weights.val[e]
      }
      continue
    }
    // the same pass adds row i's part of `matmul_sparse(W, stake)`: the rows with stake > 0 are
    // exactly the rows that product reads (stake is never negative), and its sums are of exact
    // integers, so the order of the additions does not change them
    const s = stake[i]
    for (let e = weights.ptr[i]; e < weights.ptr[i + 1]; e++) {
      const c = weights.col[e]
      if (c >= columns) continue
      const w = weights.val[e]
      scores[c * m + k] = w
      prerank[c] += mul(s, w)
    }
  }
  const idx = Int32Array.from({ length: m }, (_, k) => k)
  const median = new Float64Array(columns)
  const scratch = newScratch(m)
  for (let c = 0; c < columns; c++) {
    median[c] = weightedMedian(useStake, scores.subarray(c * m, (c + 1) * m), idx, minority, 0, stakeSum, scratch)
  }
  return median
}
