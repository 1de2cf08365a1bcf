/**
 * Consensus at full subnet size: the same stake-weighted κ-median per column as
 * the chain's `weighted_median_col_sparse` (weighted-median.ts), computed from the sparse rows in
 * a few sequential passes instead of a transposed score table and a partition search per column.
 *
 * What the chain's search returns. `weighted_median` keeps a candidate set with `lo` = the stake
 * of the participants scoring below it and `hi = lo +` its stake. For a pivot p it descends to the
 * scores below p when P<(p) = lo + stake(< p) > minority, ascends when P≤(p) = hi − stake(> p) ≤
 * minority, and otherwise returns p. Every step keeps the answer inside the candidate set, so
 * whatever the pivots it returns, by induction:
 *
 *   C = min { v : P≤(v) > minority } over the column's scores (absent entries score 0),
 *       or the largest score when no v qualifies (minority ≥ Σstake), or 0 with no participants.
 *
 * Stakes are I32F32 bits (integers below 2³³), so every P≤ below is an exact integer sum and the
 * order of the additions does not matter. This file finds that v: positive scores are bucketed by
 * a monotone map of their value within the column's [min, max], the bucket where the cumulative
 * stake first exceeds the minority is found from per-column histograms, and only that bucket's
 * few scores are sorted.
 */
import { scratchF64, scratchI32, scratchU8 } from './scratch.ts'
import { forRows } from './threads.ts'
import { normalizeInPlace, sum } from './vector.ts'
import type { FixedMatrix } from './matrix.ts'

/** Buckets per column (a histogram of n·K values stays within the L2 cache at n = 4096). */
const K = 16
/**
 * A histogram cell holds Σ stake + count·2³³: participant stakes are normalized, so any sum of
 * them is at most 2³², and with at most 4096 participants the cell stays below 2⁴⁶ (exact).
 */
const COUNT = 8589934592
const INV_COUNT = 1 / COUNT
/** The bucket of an entry that is not counted (column decided, score 0, or beyond n). */
const SKIP = 255

/** The participants of the median: rows with positive stake, their stake renormalized. */
export interface Participants {
  /** Per uid: 1 for a participant. */
  is: Uint8Array
  /** Per uid: the renormalized stake (0 for others; a participant's may round to 0 too). */
  stake: Float64Array
  m: number
  stakeSum: number
  minority: number
}

/** The participants for active stake `a` and κ (`weighted_median_col_sparse`'s preamble). */
export function participants (a: Float64Array, kappa: number): Participants {
  const is = new Uint8Array(a.length)
  let m = 0
  for (let i = 0; i < a.length; i++) if (a[i] > 0) { is[i] = 1; m++ }
  const compact = new Float64Array(m)
  for (let i = 0, k = 0; i < a.length; i++) if (is[i] === 1) compact[k++] = a[i]
  normalizeInPlace(compact)
  const stake = new Float64Array(a.length)
  for (let i = 0, k = 0; i < a.length; i++) if (is[i] === 1) stake[i] = compact[k++]
  const stakeSum = sum(compact)
  return { is, stake, m, stakeSum, minority: stakeSum - kappa }
}

/** Per-column statistics of the participants' positive scores, and each column's search state. */
export interface Columns {
  /** Stake of the participants scoring > 0, their count, min and max score. */
  posStake: Float64Array
  posCount: Int32Array
  min: Float64Array
  max: Float64Array
  /** K / (max − min + 1) for a column still searched, −1 for a column already decided. */
  scale: Float64Array
}

/** Empty statistics for n columns. */
export function newColumns (n: number): Columns {
  return { posStake: new Float64Array(n), posCount: new Int32Array(n), min: new Float64Array(n).fill(Infinity), max: new Float64Array(n), scale: new Float64Array(n) }
}

/**
 * The bucket of a positive score v in a column with minimum `mn` and scale `sc`: monotone in v
 * (a product with a non-negative constant rounds monotonically, floor and min are monotone), so
 * every score of a lower bucket is below every score of a higher one.
 */
function bucket (v: number, mn: number, sc: number): number {
  const b = Math.floor((v - mn) * sc)
  return b < K - 1 ? b : K - 1
}

/**
 * `weighted_median_col_sparse(A, W, n, κ)` (the same result as weighted-median.ts) given the
 * column statistics of W's participant rows (filled by the pass that row-normalizes W).
 */
export function consensusFromStats (p: Participants, w: FixedMatrix, n: number, cols: Columns, shared = false): Float64Array {
  const median = new Float64Array(n)
  if (p.m === 0) return median
  let pending = 0
  for (let j = 0; j < n; j++) {
    const c = decide(cols, j, p)
    if (c >= 0) median[j] = c
    else pending++
  }
  if (pending > 0) searchBuckets(p, w, n, cols, median, shared)
  return median
}

/** {@link consensusFromStats} computing the statistics itself (for a W not built by the epoch). */
export function consensusColumns (a: Float64Array, w: FixedMatrix, n: number, kappa: number): Float64Array {
  const p = participants(a, kappa)
  const cols = newColumns(n)
  for (let i = 0; i < w.rows && i < a.length; i++) {
    if (p.is[i] === 0) continue
    for (let e = w.ptr[i]; e < w.ptr[i + 1]; e++) {
      const j = w.col[e]
      const v = w.val[e]
      if (j < n && v > 0) addScore(cols, j, v, p.stake[i])
    }
  }
  return consensusFromStats(p, w, n, cols)
}

/** Count a positive score v of a participant with stake s in column j. */
function addScore (cols: Columns, j: number, v: number, s: number): void {
  cols.posStake[j] += s
  cols.posCount[j]++
  if (v < cols.min[j]) cols.min[j] = v
  if (v > cols.max[j]) cols.max[j] = v
}

/**
 * The consensus of column j when it follows from the statistics alone (≥ 0), or −1 when the
 * bucket search must find it (its scale is then set).
 */
function decide (cols: Columns, j: number, p: Participants): number {
  const { m, stakeSum, minority } = p
  const zeroStake = stakeSum - cols.posStake[j] // P≤(0): absent and zero scores
  cols.scale[j] = -1
  if (m - cols.posCount[j] > 0 && zeroStake > minority) return 0
  if (cols.posCount[j] === 0) return 0 // only zero scores, none exceeding the minority: the largest, 0
  if (stakeSum <= minority) return cols.max[j] // no score qualifies: the largest
  if (cols.min[j] === cols.max[j]) return cols.min[j] // P≤(0) ≤ minority < P≤(min)
  cols.scale[j] = K / (cols.max[j] - cols.min[j] + 1)
  return -1
}

/** Passes 2 and 3: the stake histogram of each searched column, then its deciding bucket sorted. */
function searchBuckets (p: Participants, w: FixedMatrix, n: number, cols: Columns, median: Float64Array, shared: boolean): void {
  const rows = Math.min(w.rows, p.is.length)
  // each entry's bucket, kept for pass 3 (SKIP: not counted); only participant rows are read back
  const args: BucketArgs = {
    n,
    w,
    is: p.is,
    stake: p.stake,
    min: cols.min,
    scale: cols.scale,
    hist: scratchF64('consensus.hist', 2 * n * K).fill(0),
    bk: scratchU8('consensus.bucket', w.ptr[rows]),
    target: scratchI32('consensus.target', n).fill(-1),
    fill: scratchI32('consensus.fill', n),
    vals: scratchF64('consensus.vals', 0),
    stakes: scratchF64('consensus.stakes', 0)
  }
  forRows('buckets', bucketRows, args, w.ptr, rows, shared)
  const { hist, target, fill } = args
  const half = n * K
  // per column: the first bucket where P≤ exceeds the minority, the stake below it, its slots
  const below = new Float64Array(n)
  const start = new Int32Array(n + 1)
  for (let j = 0; j < n; j++) {
    let size = 0
    if (cols.scale[j] >= 0) {
      let run = p.stakeSum - cols.posStake[j]
      let b = j * K
      // P≤(max) = stakeSum > minority, so some bucket crosses
      while (true) {
        const cell = hist[b] + hist[half + b]
        const count = Math.floor(cell * INV_COUNT)
        const st = cell - count * COUNT
        if (run + st > p.minority) { size = count; break }
        run += st
        b++
      }
      target[j] = b - j * K
      below[j] = run
    }
    start[j + 1] = start[j] + size
  }
  fill.set(start.subarray(0, n))
  args.vals = scratchF64('consensus.vals', start[n])
  args.stakes = scratchF64('consensus.stakes', start[n])
  // on this thread: with runs of equal rows it costs a byte compare per entry, less than handing
  // column ranges to the helper did (measured at full size: 3.3 ms here, 4.1 ms split)
  gather(args)
  const { vals, stakes } = args
  for (let j = 0; j < n; j++) if (target[j] >= 0) median[j] = firstAbove(vals, stakes, start[j], start[j + 1], below[j], p.minority)
}

/** What {@link bucketRows} and {@link gather} read and write. */
export interface BucketArgs {
  n: number
  w: FixedMatrix
  is: Uint8Array
  stake: Float64Array
  min: Float64Array
  scale: Float64Array
  /** Per thread (t at [t·n·K, (t + 1)·n·K)): Σ stake + count·2³³ per column and bucket. */
  hist: Float64Array
  /** Each entry's bucket, or SKIP. */
  bk: Uint8Array
  /** Per column: the deciding bucket (−1: decided without a search). */
  target: Int32Array
  /** Per column: the next free slot of its deciding bucket's scores. */
  fill: Int32Array
  vals: Float64Array
  stakes: Float64Array
}

/** Pass 2 over participant rows [from, to) by thread t: each entry's bucket, and the histograms. */
export function bucketRows (g: BucketArgs, from: number, to: number, t: number): void {
  const { n, w, is, min, scale, bk } = g
  const hist = g.hist.subarray(t * n * K, (t + 1) * n * K)
  const { ptr, col, val } = w
  for (let i = from; i < to; i++) {
    if (is[i] === 0) continue
    const cell = g.stake[i] + COUNT
    for (let e = ptr[i]; e < ptr[i + 1]; e++) {
      const j = col[e]
      const v = val[e]
      const sc = j < n ? scale[j] : -1
      if (!(v > 0) || sc < 0) { bk[e] = SKIP; continue }
      const b = bucket(v, min[j], sc)
      bk[e] = b
      hist[j * K + b] += cell
    }
  }
}

/**
 * Pass 3: the scores of each column's deciding bucket, with their stakes, into the column's slots
 * (in row order; firstAbove sorts them). For a run of rows listing the same columns (W's `same`),
 * the deciding bucket of each entry's column is looked up once for the run: an entry is gathered
 * when its bucket equals that one (a decided column's is 254, no bucket's).
 */
function gather (g: BucketArgs): void {
  const { is, bk, target, fill, vals, stakes } = g
  const { ptr, col, val, same } = g.w
  const rows = Math.min(g.w.rows, is.length)
  // the deciding buckets of the columns of row `runRow`, entry by entry
  let wanted = new Uint8Array(0)
  let runRow = -1
  for (let i = 0; i < rows; i++) {
    if (is[i] === 0) continue
    const us = g.stake[i]
    const e = ptr[i]
    const length = ptr[i + 1] - e
    if (runRow !== i - 1 || same?.[i] !== 1) {
      if (wanted.length < length) wanted = new Uint8Array(length)
      for (let q = 0; q < length; q++) {
        const t = target[col[e + q]]
        wanted[q] = t < 0 ? 254 : t
      }
    }
    runRow = i
    for (let q = 0; q < length; q++) {
      if (bk[e + q] !== wanted[q]) continue
      const j = col[e + q]
      const slot = fill[j]++
      vals[slot] = val[e + q]
      stakes[slot] = us
    }
  }
}

/**
 * The smallest score v in slots [a, e) with `below + P≤(v) > minority`. The scores are sorted
 * here (insertion: a bucket holds a few); where the running sum first exceeds the minority, the
 * score is the answer even amid equal scores, since P≤ of it counts them all.
 */
function firstAbove (vals: Float64Array, stakes: Float64Array, a: number, e: number, below: number, minority: number): number {
  for (let k = a + 1; k < e; k++) {
    const v = vals[k]
    const s = stakes[k]
    let p = k - 1
    while (p >= a && vals[p] > v) { vals[p + 1] = vals[p]; stakes[p + 1] = stakes[p]; p-- }
    vals[p + 1] = v
    stakes[p + 1] = s
  }
  let run = below
  for (let k = a; k < e; k++) {
    run += stakes[k]
    if (run > minority) return vals[k]
  }
  return vals[e - 1] // unreachable: the bucket was chosen because its scores cross the minority
}
