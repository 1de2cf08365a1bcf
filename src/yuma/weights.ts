/**
 * The weights of an epoch (yuma.md §4.5): the stored rows masked and row-normalized, in one pass
 * that also gathers what consensus (§4.6) needs from every participant row: the pre-ranks and
 * the per-column statistics of the positive scores (consensus.ts).
 */
import { newColumns } from './consensus.ts'
import { EPS, INV32, ONE, correct, divP } from './fixed.ts'
import type { CheckedInput } from './input.ts'
import { FRESH } from './scratch.ts'
import type { Alloc } from './scratch.ts'
import type { Columns, Participants } from './consensus.ts'
import type { FixedMatrix } from './matrix.ts'

/**
 * §4.5: W = the stored weights with steps 1–4 applied (rows without permit dropped, the diagonal
 * except the owner's, outdated and commit-masked entries), each row with a positive sum divided by
 * it (`inplace_row_normalize_sparse`; step 5). Row by row: the kept u16 entries are copied out with
 * their sum, then normalized in place while the row is still in cache. The entries are u16
 * integers, so trunc(w·2³²·2³² / (Σw·2³²)) = trunc(w·2³² / Σw) = div(w, Σw), with w ≤ Σw < 2²⁸.
 *
 * For the participants of consensus the same pass adds their pre-ranks r_j += A_i·W_ij
 * (`matmul_sparse(W, A)`, sums of exact integers in any order) and the column statistics of their
 * positive scores (`cols`). W's entries go into arrays from `alloc`.
 */
export function weightsAndStats (x: CheckedInput, permits: boolean[], a: Float64Array, p: Participants, prerank: Float64Array, alloc: Alloc = FRESH): { weights: FixedMatrix, cols: Columns } {
  const { n, lastUpdate, blockAtRegistration: reg, ownerUid, commitBlocks, weights: w } = x
  const cols = newColumns(n)
  const wc = w.col
  const wv = w.val
  const nnz = w.ptr[w.rows]
  const ptr = new Int32Array(w.rows + 1)
  const col = alloc.i32('weights.col', nnz)
  const val = alloc.f64('weights.val', nnz)
  let o = 0
  for (let i = 0; i < w.rows; i++) {
    if (!permits[i]) {
      ptr[i + 1] = o
      continue
    }
    const cb = commitBlocks?.[i] ?? null
    // outdated (lastUpdate ≤ reg_j: set before j was (re)registered) or committed before j was
    // (re)registered (cb < reg_j): both are reg_j ≥ limit
    const limit = cb === null ? lastUpdate[i] : Math.min(lastUpdate[i], cb + 1)
    const diagonal = i === ownerUid ? -1 : i // the owner may weight itself
    const o0 = o
    let s = 0
    for (let k = w.ptr[i]; k < w.ptr[i + 1]; k++) {
      const j = wc[k]
      if (j === diagonal || reg[j] >= limit) continue
      const v = wv[k]
      col[o] = j
      val[o++] = v
      s += v
    }
    ptr[i + 1] = o
    if (i < p.is.length && p.is[i] === 1) participantRow(col, val, o0, o, s, a[i], p.stake[i], prerank, cols)
    else if (s > 0) normalizeRow(val, o0, o, s)
  }
  return { weights: { rows: w.rows, ptr, col, val }, cols }
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
function participantRow (col: Int32Array, val: Float64Array, o0: number, o: number, s: number, ai: number, us: number, prerank: Float64Array, cols: Columns): void {
  const { posStake, posCount, min, max } = cols
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
