/**
 * Sparse matrix primitives (subtensor `epoch/math.rs`, the `*_sparse` functions). A row is a
 * list of (column, I32F32 bits) entries in the order the chain keeps them; absent entries are 0,
 * and presence matters (yuma.md §10.5), so each operation keeps, drops or orders entries exactly
 * as the chain's does. Loops are written out per operation (no per-entry callbacks): at full
 * subnet size a matrix holds about a million entries.
 */
import { ONE, div, mul } from './fixed.ts'

/** One sparse row: parallel arrays of column indices and I32F32 bits. */
export interface FixedRow {
  readonly j: Int32Array
  readonly v: Float64Array
}

/** A sparse matrix: one row per uid. */
export type FixedMatrix = FixedRow[]

const EMPTY: FixedRow = Object.freeze({ j: new Int32Array(0), v: new Float64Array(0) })

/** An empty row (shared; rows are never mutated). */
export function emptyRow (): FixedRow {
  return EMPTY
}

/** A row of the first `len` entries of scratch arrays (copied). */
export function rowOf (j: Int32Array, v: Float64Array, len: number): FixedRow {
  if (len === 0) return EMPTY
  return { j: j.slice(0, len), v: v.slice(0, len) }
}

/** Keep the entries whose `keep[column]` is 1, in order. */
export function keepColumns (row: FixedRow, keep: Uint8Array): FixedRow {
  const len = row.j.length
  let all = true
  for (let k = 0; k < len; k++) if (keep[row.j[k]] === 0) { all = false; break }
  if (all) return row
  const j = new Int32Array(len)
  const v = new Float64Array(len)
  let o = 0
  for (let k = 0; k < len; k++) {
    if (keep[row.j[k]] === 1) { j[o] = row.j[k]; v[o++] = row.v[k] }
  }
  return rowOf(j, v, o)
}

/** `inplace_row_normalize_sparse`: rows with a positive sum are divided by it. */
export function rowNormalize (m: FixedMatrix): FixedMatrix {
  return m.map(row => {
    const len = row.v.length
    let s = 0
    for (let k = 0; k < len; k++) s += row.v[k]
    if (!(s > 0)) return row
    const v = new Float64Array(len)
    for (let k = 0; k < len; k++) v[k] = div(row.v[k], s)
    return { j: row.j, v }
  })
}

/** `row_sum_sparse`. */
export function rowSum (m: FixedMatrix): Float64Array {
  const out = new Float64Array(m.length)
  for (let i = 0; i < m.length; i++) {
    let s = 0
    const v = m[i].v
    for (let k = 0; k < v.length; k++) s += v[k]
    out[i] = s
  }
  return out
}

/** Per-column sums over n columns. */
export function colSum (m: FixedMatrix, n: number): Float64Array {
  const s = new Float64Array(n)
  for (const row of m) for (let k = 0; k < row.j.length; k++) s[row.j[k]] += row.v[k]
  return s
}

/** Every entry divided by its column's divisor (`safe_div`), entries of zero-divisor columns kept. */
function divideColumns (m: FixedMatrix, d: Float64Array): FixedMatrix {
  return m.map(row => {
    const len = row.j.length
    if (len === 0) return row
    const v = new Float64Array(len)
    for (let k = 0; k < len; k++) {
      const dj = d[row.j[k]]
      v[k] = dj === 0 ? row.v[k] : div(row.v[k], dj)
    }
    return { j: row.j, v }
  })
}

/** `inplace_col_normalize_sparse`: every entry over its column sum (columns summing to 0 stay). */
export function colNormalize (m: FixedMatrix, n: number): FixedMatrix {
  return divideColumns(m, colSum(m, n))
}

/** `inplace_col_max_upscale_sparse`: every entry over its column maximum (0 maxima stay). */
export function colMaxUpscale (m: FixedMatrix, n: number): FixedMatrix {
  const mx = new Float64Array(n)
  for (const row of m) {
    for (let k = 0; k < row.j.length; k++) if (mx[row.j[k]] < row.v[k]) mx[row.j[k]] = row.v[k]
  }
  return divideColumns(m, mx)
}

/** `matmul_sparse`: r_j = Σ_i x_i · m_ij over n columns. */
export function matmul (m: FixedMatrix, x: Float64Array, n: number): Float64Array {
  const r = new Float64Array(n)
  for (let i = 0; i < m.length; i++) {
    const s = x[i]
    const row = m[i]
    if (s === 0) continue
    for (let k = 0; k < row.j.length; k++) r[row.j[k]] += mul(s, row.v[k])
  }
  return r
}

/** `matmul_transpose_sparse`: r_i = Σ_j x_j · m_ij. */
export function matmulTranspose (m: FixedMatrix, x: Float64Array): Float64Array {
  const r = new Float64Array(m.length)
  for (let i = 0; i < m.length; i++) {
    const row = m[i]
    let acc = 0
    for (let k = 0; k < row.j.length; k++) acc += mul(x[row.j[k]], row.v[k])
    r[i] = acc
  }
  return r
}

/** `col_clip_sparse`: min(w_ij, c_j); an entry above a threshold that is not positive is removed. */
export function colClip (m: FixedMatrix, c: Float64Array): FixedMatrix {
  return m.map(row => {
    const len = row.j.length
    if (len === 0) return row
    const j = new Int32Array(len)
    const v = new Float64Array(len)
    let o = 0
    for (let k = 0; k < len; k++) {
      const cj = c[row.j[k]]
      const w = row.v[k]
      if (cj < w) {
        if (cj > 0) { j[o] = row.j[k]; v[o++] = cj }
      } else {
        j[o] = row.j[k]; v[o++] = w
      }
    }
    return o === len ? { j: row.j, v } : rowOf(j, v, o)
  })
}

/** `row_hadamard_sparse`: m_ij · x_i. */
export function rowHadamard (m: FixedMatrix, x: Float64Array): FixedMatrix {
  return m.map((row, i) => {
    const len = row.j.length
    if (len === 0) return row
    const v = new Float64Array(len)
    const s = x[i]
    for (let k = 0; k < len; k++) v[k] = mul(row.v[k], s)
    return { j: row.j, v }
  })
}

/**
 * `interpolate_sparse`: a + ratio·(b − a). ratio 0 → a and 1 → b unchanged; otherwise a dense
 * per-row interpolation that keeps strictly positive results in ascending column order.
 */
export function interpolate (a: FixedMatrix, b: FixedMatrix, n: number, ratio: number): FixedMatrix {
  if (ratio === 0) return a
  if (ratio === ONE) return b
  const r1 = new Float64Array(n)
  const r2 = new Float64Array(n)
  const js = new Int32Array(n)
  const vs = new Float64Array(n)
  return a.map((rowA, i) => {
    const rowB = b[i]
    for (let k = 0; k < rowA.j.length; k++) r1[rowA.j[k]] = rowA.v[k]
    for (let k = 0; k < rowB.j.length; k++) r2[rowB.j[k]] = rowB.v[k]
    let o = 0
    if (rowA.j.length + rowB.j.length > 0) {
      for (let j = 0; j < n; j++) {
        const x = r1[j] + mul(ratio, r2[j] - r1[j])
        if (x > 0) { js[o] = j; vs[o++] = x }
      }
    }
    for (let k = 0; k < rowA.j.length; k++) r1[rowA.j[k]] = 0
    for (let k = 0; k < rowB.j.length; k++) r2[rowB.j[k]] = 0
    return rowOf(js, vs, o)
  })
}

/** `mat_vec_mul_sparse`: m_ij · x_j, keeping non-zero products. */
export function matVecMul (m: FixedMatrix, x: Float64Array): FixedMatrix {
  return m.map(row => {
    const len = row.j.length
    if (len === 0) return row
    const j = new Int32Array(len)
    const v = new Float64Array(len)
    let o = 0
    for (let k = 0; k < len; k++) {
      const p = mul(row.v[k], x[row.j[k]])
      if (p !== 0) { j[o] = row.j[k]; v[o++] = p }
    }
    return o === len ? { j: row.j, v } : rowOf(j, v, o)
  })
}
