/**
 * The weights of an epoch: the stored rows masked and row-normalized, in one pass
 * that also gathers what consensus needs from every participant row: the pre-ranks and
 * the per-column statistics of the positive scores (consensus.ts).
 */
import { newColumns } from './consensus.ts'
import { EPS, INV32, ONE, correct, divP } from './fixed.ts'
import type { CheckedInput } from './input.ts'
import { FRESH, scratchF64, scratchI32 } from './scratch.ts'
import { forRows } from './threads.ts'
import type { Alloc } from './scratch.ts'
import type { Columns, Participants } from './consensus.ts'
import type { FixedMatrix } from './matrix.ts'

/**
 * W = the stored weights masked (rows without permit dropped, the diagonal except the owner's,
 * outdated and commit-masked entries), each row with a positive sum divided by it
 * (`inplace_row_normalize_sparse`). Row by row: the kept u16 entries are copied out with
 * their sum, then normalized in place while the row is still in cache. The entries are u16
 * integers, so trunc(w·2³²·2³² / (Σw·2³²)) = trunc(w·2³² / Σw) = div(w, Σw), with w ≤ Σw < 2²⁸.
 *
 * For the participants of consensus the same pass adds their pre-ranks r_j += A_i·W_ij
 * (`matmul_sparse(W, A)`, sums of exact integers in any order) and the column statistics of their
 * positive scores (`cols`). W's entries go into arrays from `alloc`.
 */
export function weightsAndStats (x: CheckedInput, permits: boolean[], a: Float64Array, p: Participants, prerank: Float64Array, alloc: Alloc = FRESH): { weights: FixedMatrix, cols: Columns } {
  const { n, lastUpdate, ownerUid, commitBlocks, weights: w } = x
  const nnz = w.ptr[w.rows]
  const rows = w.rows
  // per row: kept (1) or not, and the mask limit: outdated (lastUpdate ≤ reg_j: set before j was
  // (re)registered) or committed before j was (re)registered (cb < reg_j) are both reg_j ≥ limit
  const keep = new Uint8Array(rows)
  const limit = new Float64Array(rows)
  for (let i = 0; i < rows; i++) {
    keep[i] = permits[i] ? 1 : 0
    const cb = commitBlocks?.[i] ?? null
    limit[i] = cb === null ? lastUpdate[i] : Math.min(lastUpdate[i], cb + 1)
  }
  const is = new Uint8Array(rows)
  is.set(p.is.subarray(0, rows))
  // per-thread partial sums (thread t uses [t·n, (t + 1)·n)), merged below
  const stats: ThreadStats = {
    prerank: scratchF64('weights.prerank', 2 * n).fill(0),
    posStake: scratchF64('weights.posStake', 2 * n).fill(0),
    posCount: scratchI32('weights.posCount', 2 * n).fill(0),
    min: scratchF64('weights.min', 2 * n).fill(Infinity),
    max: scratchF64('weights.max', 2 * n).fill(0)
  }
  const args: WeightsArgs = {
    n,
    ptr: w.ptr,
    wc: w.col,
    wv: w.val,
    reg: Float64Array.from(x.blockAtRegistration),
    keep,
    limit,
    owner: ownerUid ?? -1,
    is,
    a,
    us: p.stake,
    col: alloc.i32('weights.col', nnz),
    val: alloc.f64('weights.val', nnz),
    len: scratchI32('weights.len', rows),
    ...stats
  }
  forRows('weights', weightRows, args, w.ptr, rows, alloc.shared)
  // each row's kept entries start where its input entries did: close the gaps of dropped ones.
  // A row keeping all of an input row that repeats the row before (which kept all of its own)
  // lists the same columns as that row of W
  const { col, val, len } = args
  const ptr = new Int32Array(rows + 1)
  const same = new Uint8Array(rows)
  let o = 0
  for (let i = 0; i < rows; i++) {
    const from = w.ptr[i]
    const l = len[i]
    if (o !== from && l > 0) {
      col.copyWithin(o, from, from + l)
      val.copyWithin(o, from, from + l)
    }
    if (i > 0 && w.same?.[i] === 1 && l === w.ptr[i + 1] - from && len[i - 1] === from - w.ptr[i - 1]) same[i] = 1
    o += l
    ptr[i + 1] = o
  }
  const cols = newColumns(n)
  for (let j = 0; j < n; j++) {
    prerank[j] = stats.prerank[j] + stats.prerank[n + j]
    cols.posStake[j] = stats.posStake[j] + stats.posStake[n + j]
    cols.posCount[j] = stats.posCount[j] + stats.posCount[n + j]
    cols.min[j] = Math.min(stats.min[j], stats.min[n + j])
    cols.max[j] = Math.max(stats.max[j], stats.max[n + j])
  }
  return { weights: { rows, ptr, col, val, same }, cols }
}

/** Per-thread partials of the weights pass, thread t at [t·n, (t + 1)·n). */
interface ThreadStats {
  prerank: Float64Array
  posStake: Float64Array
  posCount: Int32Array
  min: Float64Array
  max: Float64Array
}

/** What {@link weightRows} reads and writes. */
export interface WeightsArgs extends ThreadStats {
  n: number
  /** The stored rows (u16). */
  ptr: Int32Array
  wc: Uint16Array
  wv: Uint16Array
  reg: Float64Array
  keep: Uint8Array
  limit: Float64Array
  /** The owner's uid (it may weight itself), or −1. */
  owner: number
  /** Participants of consensus, their active stake and their renormalized stake. */
  is: Uint8Array
  a: Float64Array
  us: Float64Array
  /** W's entries: row i's kept ones from ptr[i] on, `len[i]` of them. */
  col: Int32Array
  val: Float64Array
  len: Int32Array
}

/** Rows [from, to) of W by thread t (threads.ts): masked, copied out with their sum, normalized. */
export function weightRows (g: WeightsArgs, from: number, to: number, t: number): void {
  const { n, ptr, wc, wv, reg, keep, limit, is, col, val, len } = g
  const sl = <T extends Float64Array | Int32Array>(x: T): T => x.subarray(t * n, (t + 1) * n) as T
  const prerank = sl(g.prerank)
  const posStake = sl(g.posStake)
  const posCount = sl(g.posCount)
  const min = sl(g.min)
  const max = sl(g.max)
  for (let i = from; i < to; i++) {
    const o0 = ptr[i]
    if (keep[i] === 0) {
      len[i] = 0
      continue
    }
    const lim = limit[i]
    const diagonal = i === g.owner ? -1 : i // the owner may weight itself
    let o = o0
    let s = 0
    for (let k = o0; k < ptr[i + 1]; k++) {
      const j = wc[k]
      if (j === diagonal || reg[j] >= lim) continue
      const v = wv[k]
      col[o] = j
      val[o++] = v
      s += v
    }
    len[i] = o - o0
    if (is[i] === 1) participantRow(col, val, o0, o, s, g.a[i], g.us[i], prerank, posStake, posCount, min, max)
    else if (s > 0) normalizeRow(val, o0, o, s)
  }
}

/** Divide the entries [o0, o) of a row by their sum s > 0. */
function normalizeRow (val: Float64Array, o0: number, o: number, s: number): void {
  const inv = ONE / s
  for (let k = o0; k < o; k++) val[k] = divP(val[k], s, inv)
}

/**
 * Normalize the entries [o0, o) of a participant's row (sum s) in place, adding its pre-ranks
 * (active stake `ai`) and the statistics of its positive scores (renormalized stake `us`).
 */
function participantRow (col: Int32Array, val: Float64Array, o0: number, o: number, s: number, ai: number, us: number, prerank: Float64Array, posStake: Float64Array, posCount: Int32Array, min: Float64Array, max: Float64Array): void {
  const inv = ONE / s
  for (let k = o0; k < o; k++) {
    // divP(w, s, inv) and mulP(ai, v) (fixed.ts) written out, so that they are compiled inline:
    // w ≤ s < 2²⁸, and stake and weight are non-negative proportions
    let v = val[k]
    if (s > 0) {
      const f = v * inv
      const q = Math.floor(f)
      const fr = f - q
      v = fr > EPS && fr < 1 - EPS ? q : correct(v, s, q)
    }
    val[k] = v
    const j = col[k]
    prerank[j] += Math.floor((ai * v - (Math.imul(ai, v) >>> 0)) * INV32 + 0.5)
    if (v > 0) {
      posStake[j] += us
      posCount[j]++
      if (v < min[j]) min[j] = v
      if (v > max[j]) max[j] = v
    }
  }
}
