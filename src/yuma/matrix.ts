/**
 * Sparse matrix primitives (subtensor `epoch/math.rs`, the `*_sparse` functions). A row is a
 * list of (column, I32F32 bits) entries in the order the chain keeps them; absent entries are 0,
 * and presence matters (yuma.md §10.5), so each operation keeps, drops or orders entries exactly
 * as the chain's does.
 */
import { ONE, div, mul } from './fixed.ts'

/** One sparse row: parallel arrays of column indices and I32F32 bits. */
export interface FixedRow {
  readonly j: Int32Array
  readonly v: Float64Array
}

/** A sparse matrix: one row per uid. */
export type FixedMatrix = FixedRow[]

const EMPTY: FixedRow = { j: new Int32Array(0), v: new Float64Array(0) }

/** An empty row. */
export function emptyRow (): FixedRow {
  return EMPTY
}

/** Keep the entries for which `keep(column, value)` holds, in order. */
export function filterRow (row: FixedRow, keep: (j: number, v: number) => boolean): FixedRow {
  let count = 0
  const mask = new Uint8Array(row.j.length)
  for (let k = 0; k < row.j.length; k++) {
    if (keep(row.j[k], row.v[k])) {
      mask[k] = 1
      count++
    }
  }
  if (count === row.j.length) return row
  const j = new Int32Array(count)
  const v = new Float64Array(count)
  let o = 0
  for (let k = 0; k < row.j.length; k++) {
    if (mask[k] === 1) {
      j[o] = row.j[k]
      v[o++] = row.v[k]
    }
  }
  return { j, v }
}

/** `inplace_row_normalize_sparse`: rows with a positive sum are divided by it. */
export function rowNormalize (m: FixedMatrix): FixedMatrix {
  return m.map(row => {
    let s = 0
    for (let k = 0; k < row.v.length; k++) s += row.v[k]
    if (!(s > 0)) return row
    const v = new Float64Array(row.v.length)
    for (let k = 0; k < v.length; k++) v[k] = div(row.v[k], s)
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

/** `inplace_col_normalize_sparse`: every entry over its column sum (columns summing to 0 stay). */
export function colNormalize (m: FixedMatrix, n: number): FixedMatrix {
  const s = colSum(m, n)
  return m.map(row => mapValues(row, (j, v) => s[j] === 0 ? v : div(v, s[j])))
}

/** `inplace_col_max_upscale_sparse`: every entry over its column maximum (0 maxima stay). */
export function colMaxUpscale (m: FixedMatrix, n: number): FixedMatrix {
  const mx = new Float64Array(n)
  for (const row of m) for (let k = 0; k < row.j.length; k++) if (mx[row.j[k]] < row.v[k]) mx[row.j[k]] = row.v[k]
  return m.map(row => mapValues(row, (j, v) => mx[j] === 0 ? v : div(v, mx[j])))
}

/** A row with the same columns and values mapped. */
export function mapValues (row: FixedRow, f: (j: number, v: number) => number): FixedRow {
  const v = new Float64Array(row.v.length)
  for (let k = 0; k < v.length; k++) v[k] = f(row.j[k], row.v[k])
  return { j: row.j, v }
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

/** `col_clip_sparse`: min(w_ij, c_j); an entry above a zero threshold is removed. */
export function colClip (m: FixedMatrix, c: Float64Array): FixedMatrix {
  return m.map(row => {
    const keep = filterRow(row, (j, v) => !(c[j] < v && !(c[j] > 0)))
    return mapValues(keep, (j, v) => c[j] < v ? c[j] : v)
  })
}

/** `row_hadamard_sparse`: m_ij · x_i. */
export function rowHadamard (m: FixedMatrix, x: Float64Array): FixedMatrix {
  return m.map((row, i) => mapValues(row, (_j, v) => mul(v, x[i])))
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
  return a.map((rowA, i) => {
    r1.fill(0)
    r2.fill(0)
    for (let k = 0; k < rowA.j.length; k++) r1[rowA.j[k]] = rowA.v[k]
    const rowB = b[i]
    for (let k = 0; k < rowB.j.length; k++) r2[rowB.j[k]] = rowB.v[k]
    const js: number[] = []
    const vs: number[] = []
    for (let j = 0; j < n; j++) {
      const x = r1[j] + mul(ratio, r2[j] - r1[j])
      if (x > 0) {
        js.push(j)
        vs.push(x)
      }
    }
    return { j: Int32Array.from(js), v: Float64Array.from(vs) }
  })
}

/** `mat_vec_mul_sparse`: m_ij · x_j, keeping non-zero products. */
export function matVecMul (m: FixedMatrix, x: Float64Array): FixedMatrix {
  return m.map(row => filterRow(mapValues(row, (j, v) => mul(v, x[j])), (_j, v) => v !== 0))
}
