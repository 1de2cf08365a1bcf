/**
 * Sparse matrix primitives (subtensor `epoch/math.rs`, the `*_sparse` functions) over a compact
 * row-major layout. Row i holds the entries `ptr[i] ≤ k < ptr[i+1]`: column `col[k]`, I32F32
 * bits `val[k]`, in the order the chain keeps them. Absent entries are 0 and presence matters,
 * so each operation keeps, drops or orders entries exactly as the chain's does.
 * At full subnet size a matrix holds about a million entries: every operation is one loop over
 * typed arrays, and value-only operations share the structure of their input.
 */
import { INV32, ONE, mul } from './fixed.ts'
import { FRESH, scratchF64, scratchI32 } from './scratch.ts'
import { forRows } from './threads.ts'
import type { Alloc } from './scratch.ts'

/** A sparse matrix: `rows` rows in compressed-row form (`col`/`val` may be longer than `ptr[rows]`). */
export interface FixedMatrix {
  readonly rows: number
  readonly ptr: Int32Array
  readonly col: Int32Array
  readonly val: Float64Array
  /** Per row, when known: 1 if it lists the same columns as the row before. */
  readonly same?: Uint8Array
}

/** Sparse rows with any element types, for functions that only read them. */
export interface SparseRows {
  readonly rows: number
  readonly ptr: Int32Array
  readonly col: Int32Array | Uint16Array
  readonly val: Float64Array | Uint16Array
}

/** Stored u16 rows (weights or bonds as an input gives them): uids and u16 values, compactly. */
export interface U16Matrix extends SparseRows {
  readonly col: Uint16Array
  readonly val: Uint16Array
  /** Per row, when known: 1 if it lists the very uid list of the row before (the same view). */
  readonly same?: Uint8Array
}

/** One row of a matrix as `[column, bits]` pairs (for inspection and tests). */
export function rowEntries (m: FixedMatrix, i: number): Array<[number, number]> {
  const out: Array<[number, number]> = []
  for (let k = m.ptr[i]; k < m.ptr[i + 1]; k++) out.push([m.col[k], m.val[k]])
  return out
}

/** A matrix builder: append entries row by row. */
export class MatrixBuilder {
  readonly ptr: Int32Array
  col: Int32Array
  val: Float64Array
  private k = 0
  private i = 0
  /** With `arrays`, entries go into them (capacity = their length); otherwise fresh arrays. */
  constructor (rows: number, capacity: number, arrays?: { col: Int32Array, val: Float64Array }) {
    this.ptr = new Int32Array(rows + 1)
    this.col = arrays?.col ?? new Int32Array(capacity)
    this.val = arrays?.val ?? new Float64Array(capacity)
  }

  push (j: number, v: number): void {
    if (this.k === this.col.length) this.grow()
    this.col[this.k] = j
    this.val[this.k++] = v
  }

  /** Append many entries at once. */
  append (cols: ArrayLike<number>, vals: ArrayLike<number>): void {
    while (this.k + cols.length > this.col.length) this.grow()
    this.col.set(cols, this.k)
    this.val.set(vals, this.k)
    this.k += cols.length
  }

  /** Close the current row. */
  endRow (): void {
    this.ptr[++this.i] = this.k
  }

  done (): FixedMatrix {
    return { rows: this.ptr.length - 1, ptr: this.ptr, col: this.col, val: this.val }
  }

  private grow (): void {
    const c = new Int32Array(Math.max(16, this.col.length * 2))
    c.set(this.col)
    const v = new Float64Array(c.length)
    v.set(this.val)
    this.col = c
    this.val = v
  }
}

/** Keep the entries whose `keep[column]` is 1, in order (m itself when all are kept). */
export function keepColumns (m: U16Matrix, keep: Uint8Array): U16Matrix {
  const nnz = m.ptr[m.rows]
  // usually every column is kept: a look at the n flags spares a look at the nnz entries
  if (keep.every(x => x === 1)) return m
  let all = true
  for (let k = 0; k < nnz; k++) if (keep[m.col[k]] === 0) { all = false; break }
  if (all) return m
  const ptr = new Int32Array(m.rows + 1)
  const col = new Uint16Array(nnz)
  const val = new Uint16Array(nnz)
  let o = 0
  for (let i = 0; i < m.rows; i++) {
    for (let k = m.ptr[i]; k < m.ptr[i + 1]; k++) {
      if (keep[m.col[k]] === 1) { col[o] = m.col[k]; val[o++] = m.val[k] }
    }
    ptr[i + 1] = o
  }
  return { rows: m.rows, ptr, col, val }
}

/**
 * `interpolate_sparse`: a + ratio·(b − a). ratio 0 → a and 1 → b unchanged; otherwise a dense
 * per-row interpolation that keeps strictly positive results in ascending column order. The
 * entries go into arrays from `alloc`.
 */
export function interpolate (a: FixedMatrix, b: FixedMatrix, n: number, ratio: number, alloc: Alloc = FRESH): FixedMatrix {
  if (ratio === 0) return a
  if (ratio === ONE) return b
  const r1 = new Float64Array(n)
  const r2 = new Float64Array(n)
  const capacity = a.ptr[a.rows] + b.ptr[b.rows]
  const out = new MatrixBuilder(a.rows, capacity, { col: alloc.i32('interpolate.col', capacity), val: alloc.f64('interpolate.val', capacity) })
  for (let i = 0; i < a.rows; i++) {
    for (let k = a.ptr[i]; k < a.ptr[i + 1]; k++) r1[a.col[k]] = a.val[k]
    for (let k = b.ptr[i]; k < b.ptr[i + 1]; k++) r2[b.col[k]] = b.val[k]
    if (a.ptr[i + 1] > a.ptr[i] || b.ptr[i + 1] > b.ptr[i]) {
      for (let j = 0; j < n; j++) {
        const x = r1[j] + mul(ratio, r2[j] - r1[j])
        if (x > 0) out.push(j, x)
      }
    }
    for (let k = a.ptr[i]; k < a.ptr[i + 1]; k++) r1[a.col[k]] = 0
    for (let k = b.ptr[i]; k < b.ptr[i + 1]; k++) r2[b.col[k]] = 0
    out.endRow()
  }
  return out.done()
}

/**
 * Clipping, validator trust and ranks in one pass: W̄ = `col_clip_sparse(W, C)`, validator trust = `row_sum_sparse(W̄)` and
 * ranks = `matmul_sparse(W̄, A)`, each value computed exactly as the separate operations do.
 * W̄'s values go into an array from `alloc`.
 */
export function clipTrustRanks (m: FixedMatrix, c: Float64Array, a: Float64Array, n: number, alloc: Alloc = FRESH): { clipped: FixedMatrix, trust: Float64Array, ranks: Float64Array } {
  const nnz = m.ptr[m.rows]
  const val = alloc.f64('clip.val', nnz)
  const args: ClipArgs = {
    n,
    ptr: m.ptr,
    col: m.col,
    mv: m.val,
    c,
    a,
    val,
    trust: scratchF64('clip.trust', m.rows),
    ranks: scratchF64('clip.ranks', 2 * n).fill(0),
    removing: scratchI32('clip.removing', 2).fill(0)
  }
  forRows('clip', clipRows, args, m.ptr, m.rows, alloc.shared)
  // a positive entry above a consensus of 0 is removed (rare: nobody's consensus miner is
  // weighted by someone): start again on the path that copies the structure out
  if (args.removing[0] !== 0 || args.removing[1] !== 0) return clipRemoving(m, c, a, val, new Float64Array(m.rows), new Float64Array(n))
  const ranks = new Float64Array(n)
  for (let j = 0; j < n; j++) ranks[j] = args.ranks[j] + args.ranks[n + j]
  return { clipped: { rows: m.rows, ptr: m.ptr, col: m.col, val }, trust: args.trust.slice(), ranks }
}

/** What {@link clipRows} reads and writes; `ranks` and `removing` per thread. */
export interface ClipArgs {
  n: number
  ptr: Int32Array
  col: Int32Array
  mv: Float64Array
  c: Float64Array
  a: Float64Array
  val: Float64Array
  trust: Float64Array
  ranks: Float64Array
  removing: Int32Array
}

/** Rows [from, to) of {@link clipTrustRanks} by thread t (threads.ts). */
export function clipRows (g: ClipArgs, from: number, to: number, t: number): void {
  const { ptr, col, mv, c, val, trust } = g
  const ranks = g.ranks.subarray(t * g.n, (t + 1) * g.n)
  for (let i = from; i < to; i++) {
    const s = g.a[i]
    const end = ptr[i + 1]
    let tr = 0
    for (let k = ptr[i]; k < end; k++) {
      const j = col[k]
      const cj = c[j]
      const w0 = mv[k]
      if (cj === 0 && w0 > 0) {
        g.removing[t] = 1
        return
      }
      // minI(w0, cj) and mulP(s, w) (fixed.ts) written out: branch-free (half of the weights are
      // above consensus), compiled inline; weights and stake are non-negative proportions
      const d = w0 - cj
      const w = w0 - (d + Math.abs(d)) * 0.5
      val[k] = w
      tr += w
      ranks[j] += Math.floor((s * w - (Math.imul(s, w) >>> 0)) * INV32 + 0.5)
    }
    trust[i] = tr
  }
}

/** {@link clipTrustRanks} when some consensus is 0, so that positive entries of its column vanish. */
function clipRemoving (m: FixedMatrix, c: Float64Array, a: Float64Array, val: Float64Array, trust: Float64Array, ranks: Float64Array): { clipped: FixedMatrix, trust: Float64Array, ranks: Float64Array } {
  const nnz = m.ptr[m.rows]
  // the structure is m's until an entry is removed; only then are ptr and col copied out
  let ptr = m.ptr
  let col = m.col
  let o = 0
  for (let i = 0; i < m.rows; i++) {
    const s = a[i]
    let t = 0
    for (let k = m.ptr[i]; k < m.ptr[i + 1]; k++) {
      const j = m.col[k]
      const cj = c[j]
      let w = m.val[k]
      if (cj < w && !(cj > 0)) { // above a threshold that is not positive: removed
        if (col === m.col) {
          ptr = m.ptr.slice()
          col = m.col.slice(0, nnz)
        }
        continue
      }
      if (cj < w) w = cj
      col[o] = j
      val[o++] = w
      t += w
      if (s !== 0) ranks[j] += mul(s, w)
    }
    trust[i] = t
    if (ptr !== m.ptr) ptr[i + 1] = o
  }
  return { clipped: { rows: m.rows, ptr, col, val }, trust, ranks }
}
