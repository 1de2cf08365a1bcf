/**
 * The weights of an epoch (yuma.md §4.5): the stored rows masked and row-normalized, in one pass
 * that also gathers what consensus (§4.6) needs from every participant row: the pre-ranks and
 * the per-column statistics of the positive scores (consensus.ts).
 */
import { addScore, newColumns } from './consensus.ts'
import { ONE, divInv, mul } from './fixed.ts'
import type { CheckedInput } from './input.ts'
import type { Columns, Participants } from './consensus.ts'
import type { FixedMatrix } from './matrix.ts'

/** §4.5 steps 1–4: drop rows without permit, the diagonal (owner excepted), outdated and commit-masked entries. */
export function maskedWeights (x: CheckedInput, permits: boolean[]): FixedMatrix {
  const { lastUpdate, blockAtRegistration: reg, ownerUid, commitBlocks, weights: w } = x
  const ptr = new Int32Array(w.rows + 1)
  const col = new Int32Array(w.ptr[w.rows])
  const val = new Float64Array(w.ptr[w.rows])
  let o = 0
  for (let i = 0; i < w.rows; i++) {
    if (permits[i]) {
      const cb = commitBlocks?.[i] ?? null
      const lu = lastUpdate[i]
      for (let k = w.ptr[i]; k < w.ptr[i + 1]; k++) {
        const j = w.col[k]
        if (j === i && i !== ownerUid) continue // the diagonal, except the owner's self-weight
        if (lu <= reg[j]) continue // outdated: set before j was (re)registered
        if (cb !== null && cb < reg[j]) continue // committed before j was (re)registered
        col[o] = j
        val[o++] = w.val[k]
      }
    }
    ptr[i + 1] = o
  }
  return { rows: w.rows, ptr, col, val }
}

/**
 * §4.5 step 5, `inplace_row_normalize_sparse` in place: rows with a positive sum are divided by
 * it. The entries are still u16 integers, so trunc(w·2³²·2³² / (Σw·2³²)) = trunc(w·2³² / Σw) =
 * div(w, Σw). In the same pass, for the participants of consensus: the pre-ranks
 * r_j += A_i·W_ij (`matmul_sparse(W, A)`, sums of exact integers in any order) and the
 * column statistics of their positive scores.
 */
export function normalizeRows (m: FixedMatrix, n: number, a: Float64Array, p: Participants, prerank: Float64Array): Columns {
  const cols = newColumns(n)
  const { ptr, col, val } = m
  for (let i = 0; i < m.rows; i++) {
    const start = ptr[i]
    const end = ptr[i + 1]
    let s = 0
    for (let k = start; k < end; k++) s += val[k]
    const inv = ONE / s
    const part = i < p.is.length && p.is[i] === 1
    const us = part ? p.stake[i] : 0
    const ai = part ? a[i] : 0
    for (let k = start; k < end; k++) {
      const v = s > 0 ? divInv(val[k], s, inv) : val[k]
      val[k] = v
      if (part) {
        const j = col[k]
        prerank[j] += mul(ai, v)
        if (v > 0) addScore(cols, j, v, us)
      }
    }
  }
  return cols
}
