/**
 * Compact copies of sparse u16 rows. In a dense subnet every validator weights the same miners,
 * so consecutive rows list the same uids: a packed copy keeps such a uid list once and only the
 * values of every row. An epoch output keeps its input this way (a few MB instead of twice that),
 * and the stored bond rows it returns share their uid lists the same way.
 */
import type { U16Matrix } from './matrix.ts'

/** Rows `ptr`/`val` as in {@link U16Matrix}; row i's uids are `cols[at[i]..at[i] + len)`. */
export interface PackedRows {
  readonly rows: number
  readonly ptr: Int32Array
  readonly val: Uint16Array
  readonly at: Int32Array
  readonly cols: Uint16Array
}

/** Whether rows i and r of `col` (ranges from `ptr`) list the same columns. */
function sameCols (ptr: Int32Array, col: Uint16Array | Int32Array, i: number, r: number): boolean {
  const a = ptr[i]
  const b = ptr[r]
  const len = ptr[i + 1] - a
  if (ptr[r + 1] - b !== len) return false
  // one loop per element type, so that each compiles for a single kind of array
  return col instanceof Uint16Array ? sameU16(col, a, b, len) : sameI32(col, a, b, len)
}

function sameU16 (col: Uint16Array, a: number, b: number, len: number): boolean {
  for (let k = 0; k < len; k++) if (col[a + k] !== col[b + k]) return false
  return true
}

function sameI32 (col: Int32Array, a: number, b: number, len: number): boolean {
  for (let k = 0; k < len; k++) if (col[a + k] !== col[b + k]) return false
  return true
}

/**
 * The uid lists of the rows `use(i)` of a compressed-row structure, each list that repeats the
 * previous used row's stored once: row i's uids are `cols.subarray(at[i], at[i] + length)`.
 * Every array is fresh (uids below 65536).
 */
export function shareCols (rows: number, ptr: Int32Array, col: Uint16Array | Int32Array, use: (i: number) => boolean, same?: Uint8Array): { cols: Uint16Array, at: Int32Array } {
  const at = new Int32Array(rows)
  // first pass: which rows repeat the previous used row (at = -1 - that row), and the total size;
  // `same` marks rows known to repeat the row just before them
  let size = 0
  let prev = -1
  for (let i = 0; i < rows; i++) {
    if (!use(i)) continue
    if (prev >= 0 && ((prev === i - 1 && same?.[i] === 1) || sameCols(ptr, col, i, prev))) at[i] = -1 - prev
    else size += ptr[i + 1] - ptr[i]
    prev = i
  }
  const cols = new Uint16Array(size)
  let o = 0
  for (let i = 0; i < rows; i++) {
    if (!use(i)) continue
    if (at[i] < 0) { at[i] = at[-1 - at[i]]; continue }
    at[i] = o
    // typed-to-typed copy converts element-wise (uids below 65536)
    cols.set(col.subarray(ptr[i], ptr[i + 1]), o)
    o += ptr[i + 1] - ptr[i]
  }
  return { cols, at }
}

/** A packed copy of m (fresh arrays). */
export function pack (m: U16Matrix): PackedRows {
  const nnz = m.ptr[m.rows]
  const { cols, at } = shareCols(m.rows, m.ptr, m.col, () => true, m.same)
  return { rows: m.rows, ptr: m.ptr.slice(), val: m.val.slice(0, nnz), at, cols }
}

/** The rows of a packed copy as a {@link U16Matrix} (fresh arrays). */
export function unpack (p: PackedRows): U16Matrix {
  const nnz = p.ptr[p.rows]
  const col = new Uint16Array(nnz)
  for (let i = 0; i < p.rows; i++) col.set(p.cols.subarray(p.at[i], p.at[i] + p.ptr[i + 1] - p.ptr[i]), p.ptr[i])
  return { rows: p.rows, ptr: p.ptr.slice(), col, val: p.val.slice() }
}
