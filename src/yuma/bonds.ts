/**
 * Bonds and dividends: the EMA of bonds in both variants and the
 * dividends they earn, with the chain's sparse semantics (which entries survive, in which order).
 */
import { EPS, INV32, ONE, correct, divInv, divP, divisorsInRange, mul, mulP, toU16 } from './fixed.ts'
import { FRESH, scratchF64, scratchI32, scratchU16 } from './scratch.ts'
import { forRows } from './threads.ts'
import type { Alloc } from './scratch.ts'
import { normalizeInPlace } from './vector.ts'
import type { FixedMatrix, SparseRows } from './matrix.ts'
import type { YumaParams } from './types.ts'

/** α = 1 − bondsMovingAverage/10⁶, through I64F64 as the chain computes it. */
export function emaAlpha (bondsMovingAverage: number): number {
  const bma64 = (BigInt(bondsMovingAverage) << 64n) / 1_000_000n
  return ONE - Number(bma64 >> 32n)
}

/**
 * `mat_ema_sparse`: α·new + (1−α)·old over the union of present entries, keeping positive
 * results in ascending column order. With `sums`, the column sums of the result are added to it.
 * The entries go into arrays from `alloc`.
 */
export function matEma (next: SparseRows, old: SparseRows, alpha: number, n: number, sums?: Float64Array, div?: EmaDivisors, alloc: Alloc = FRESH): FixedMatrix {
  const keep = ONE - alpha
  const nd = div?.next
  const od = div?.old
  const acc = new Float64Array(n)
  const mark = new Uint8Array(n)
  const touched = new Int32Array(n)
  const ptr = new Int32Array(next.rows + 1)
  // every output entry comes from an entry of `next` or `old`, and a row whose two sides list the
  // same columns gives at most one entry per column: this capacity is never exceeded
  const same = new Uint8Array(next.rows)
  let capacity = 0
  for (let i = 0; i < next.rows; i++) {
    const lenA = next.ptr[i + 1] - next.ptr[i]
    same[i] = sameColumns(next, old, i) && (nd === undefined) === (od === undefined) ? 1 : 0
    capacity += same[i] === 1 ? lenA : lenA + old.ptr[i + 1] - old.ptr[i]
  }
  const col = alloc.i32('ema.col', capacity)
  const val = alloc.f64('ema.val', capacity)
  let o = 0
  for (let i = 0; i < next.rows; i++) {
    if (same[i] === 1) {
      o = sameRow(next, old, i, alpha, keep, col, val, o, nd, od)
    } else if (ascending(next, i) && ascending(old, i)) {
      o = mergeRow(next, old, i, alpha, keep, col, val, o, nd, od)
    } else {
      let t = 0
      for (let k = next.ptr[i]; k < next.ptr[i + 1]; k++) {
        const j = next.col[k]
        if (mark[j] === 0) { mark[j] = 1; touched[t++] = j }
        acc[j] += mul(alpha, nd === undefined ? next.val[k] : normalized(next.val[k], j, nd))
      }
      for (let k = old.ptr[i]; k < old.ptr[i + 1]; k++) {
        const j = old.col[k]
        if (mark[j] === 0) { mark[j] = 1; touched[t++] = j }
        acc[j] += mul(keep, od === undefined ? old.val[k] : normalized(old.val[k], j, od))
      }
      const cols = touched.slice(0, t).sort()
      for (let k = 0; k < t; k++) {
        const j = cols[k]
        if (acc[j] > 0) { col[o] = j; val[o++] = acc[j] }
        acc[j] = 0
        mark[j] = 0
      }
    }
    ptr[i + 1] = o
  }
  if (sums !== undefined) for (let k = 0; k < o; k++) sums[col[k]] += val[k]
  return { rows: next.rows, ptr, col, val }
}

/** Column divisors (sums) with their float reciprocals, for normalizing on the fly. */
interface ColumnDivisors { d: Float64Array, inv: Float64Array }

/** Divisors for both inputs of {@link matEma}: each value is column-normalized as it is read. */
export interface EmaDivisors { next?: ColumnDivisors, old?: ColumnDivisors }

/** `inplace_col_normalize_sparse` of one value: over its column sum unless that sum is zero. */
function normalized (v: number, j: number, c: ColumnDivisors): number {
  const d = c.d[j]
  return d === 0 ? v : divInv(v, d, c.inv[j])
}

/** Whether row i's columns are strictly ascending. */
export function ascending (m: SparseRows, i: number): boolean {
  for (let k = m.ptr[i] + 1; k < m.ptr[i + 1]; k++) if (m.col[k] <= m.col[k - 1]) return false
  return true
}

/** Whether row i of a and b lists the same columns, strictly ascending (the dense steady case). */
export function sameColumns (a: SparseRows, b: SparseRows, i: number): boolean {
  const a0 = a.ptr[i]
  const b0 = b.ptr[i]
  const len = a.ptr[i + 1] - a0
  if (b.ptr[i + 1] - b0 !== len) return false
  for (let k = 0; k < len; k++) if (a.col[a0 + k] !== b.col[b0 + k]) return false
  return ascending(a, i)
}

/**
 * {@link mergeRow} when both rows list the same ascending columns: every step of the merge takes
 * its `ja === jb` branch, so this loop computes the same values, keeps the same entries and writes
 * them in the same order, without the comparisons. Divisors are given for both inputs or neither.
 */
function sameRow (next: SparseRows, old: SparseRows, i: number, alpha: number, keep: number, col: Int32Array, val: Float64Array, o: number, nd?: ColumnDivisors, od?: ColumnDivisors): number {
  const a0 = next.ptr[i]
  const b0 = old.ptr[i]
  const len = next.ptr[i + 1] - a0
  const nv = next.val
  const ov = old.val
  const cols = next.col
  if (nd === undefined || od === undefined) {
    for (let k = 0; k < len; k++) {
      const v = mul(alpha, nv[a0 + k]) + mul(keep, ov[b0 + k])
      if (v > 0) { col[o] = cols[a0 + k]; val[o++] = v }
    }
    return o
  }
  const ndd = nd.d
  const ndi = nd.inv
  const odd = od.d
  const odi = od.inv
  for (let k = 0; k < len; k++) {
    const j = cols[a0 + k]
    const x0 = nv[a0 + k]
    const y0 = ov[b0 + k]
    const dn = ndd[j]
    const dold = odd[j]
    // normalized(): over the column sum unless it is zero
    const x = dn === 0 ? x0 : divInv(x0, dn, ndi[j])
    const y = dold === 0 ? y0 : divInv(y0, dold, odi[j])
    const v = mul(alpha, x) + mul(keep, y)
    if (v > 0) { col[o] = j; val[o++] = v }
  }
  return o
}

/**
 * One row of {@link matEma} when both rows are sorted by column: a linear merge that produces the
 * same entries in the same (ascending) order as the dense accumulator. Returns the next free slot.
 */
function mergeRow (next: SparseRows, old: SparseRows, i: number, alpha: number, keep: number, col: Int32Array, val: Float64Array, o: number, nd?: ColumnDivisors, od?: ColumnDivisors): number {
  let a = next.ptr[i]
  let b = old.ptr[i]
  const ae = next.ptr[i + 1]
  const be = old.ptr[i + 1]
  while (a < ae || b < be) {
    const ja = a < ae ? next.col[a] : 0x7fffffff
    const jb = b < be ? old.col[b] : 0x7fffffff
    let v: number
    let j: number
    if (ja === jb) {
      j = ja
      const x = nd === undefined ? next.val[a++] : normalized(next.val[a++], j, nd)
      const y = od === undefined ? old.val[b++] : normalized(old.val[b++], j, od)
      v = mul(alpha, x) + mul(keep, y)
    } else if (ja < jb) {
      j = ja
      v = mul(alpha, nd === undefined ? next.val[a++] : normalized(next.val[a++], j, nd))
    } else {
      j = jb
      v = mul(keep, od === undefined ? old.val[b++] : normalized(old.val[b++], j, od))
    }
    if (v > 0) { col[o] = j; val[o++] = v }
  }
  return o
}

/** Bond rows to store: row i is `col`/`values` over `ptr[i] ≤ k < ptr[i+1]` (values fresh). */
export interface StoreRows { ptr: Int32Array, col: Int32Array, values: Uint16Array }

/** The result of the bonds step. */
export interface BondsResult {
  /** E: the new bonds (proportions). */
  emaBonds: FixedMatrix
  /** The rows to store, as u16 (Yuma 2 column max-upscaled, Yuma 3 absolute). */
  store: StoreRows
  dividends: Float64Array
}

/** `fixed_proportion_to_u16` for 0 ≤ x (see fixed.ts `toU16`). */
export function u16Of (x: number): number {
  return x >= ONE ? 65535 : Math.floor(x * 65535 * (1 / ONE))
}

/**
 * Yuma 2 (`Yuma3On` off): stored bonds column-normalized, ΔB = W̃∘A column-normalized, EMA,
 * column-normalized again; D = E·I normalized; stored column max-upscaled.
 * `bonds` holds the stored u16 integers after the registration mask. `deltaSums`, when given, are
 * the column sums of W̃∘A (the ranks, when W̃ is the clipped W̄ itself). E goes into arrays from
 * `alloc`; the stored values are always fresh.
 */
export function yuma2Bonds (wb: FixedMatrix, bonds: SparseRows, activeStake: Float64Array, incentive: Float64Array, n: number, params: YumaParams, deltaSums?: Float64Array, alloc: Alloc = FRESH): BondsResult {
  const alpha = emaAlpha(params.bondsMovingAverage)
  // B's column sums, and whether every row of W̃ and B lists the same ascending columns
  const scan: ScanArgs = { n, wb, bonds, sums: scratchF64('y2.bsum', 2 * n).fill(0), differ: scratchI32('y2.differ', 2).fill(0) }
  forRows('scanBonds', scanBondRows, scan, bonds.ptr, bonds.rows, alloc.shared, bonds.ptr[bonds.rows] + wb.ptr[wb.rows])
  const bsum = new Float64Array(n)
  for (let j = 0; j < n; j++) bsum[j] = scan.sums[j] + scan.sums[n + j]
  const old: ColumnDivisors = { d: bsum, inv: bsum.map(x => ONE / x) }
  const same = wb.rows === bonds.rows && scan.differ[0] + scan.differ[1] === 0
  // ΔB = W̃∘A (`row_hadamard_sparse`): its column sums are sums of exact integers, in any order
  let dsum = deltaSums
  if (dsum === undefined) {
    dsum = new Float64Array(n)
    for (let i = 0; i < wb.rows; i++) {
      const s = activeStake[i]
      for (let k = wb.ptr[i]; k < wb.ptr[i + 1]; k++) dsum[wb.col[k]] += mulP(wb.val[k], s)
    }
  }
  const delta: ColumnDivisors = { d: dsum, inv: dsum.map(x => ONE / x) }
  if (same && divisorsInRange(dsum)) return yuma2Aligned(wb, bonds, activeStake, incentive, n, alpha, delta, old, alloc)
  // every intermediate below is private to this function, so the normalizations run in place
  // B̂ = colnorm(B) and ΔB̂ = colnorm(W̃∘A) are normalized as the EMA reads them
  const dval = scratchF64('y2.delta', wb.ptr[wb.rows])
  for (let i = 0; i < wb.rows; i++) {
    const s = activeStake[i]
    for (let k = wb.ptr[i]; k < wb.ptr[i + 1]; k++) dval[k] = mulP(wb.val[k], s)
  }
  const sums = new Float64Array(n)
  const ema = matEma({ rows: wb.rows, ptr: wb.ptr, col: wb.col, val: dval }, bonds, alpha, n, sums, { next: delta, old }, alloc)
  // E = column-normalized EMA; in the same pass D_i = Σ_j I_j·E_ij and the column maxima of E
  const nnz = ema.ptr[ema.rows]
  const inv = sums.map(x => ONE / x)
  const mx = new Float64Array(n)
  const dividends = new Float64Array(ema.rows)
  for (let i = 0; i < ema.rows; i++) {
    let acc = 0
    for (let k = ema.ptr[i]; k < ema.ptr[i + 1]; k++) {
      const j = ema.col[k]
      const e = sums[j] === 0 ? ema.val[k] : divInv(ema.val[k], sums[j], inv[j])
      ema.val[k] = e
      acc += mul(incentive[j], e)
      if (mx[j] < e) mx[j] = e
    }
    dividends[i] = acc
  }
  normalizeInPlace(dividends)
  // storage: column max-upscale, then floor(x·65535)
  const minv = mx.map(x => ONE / x)
  const values = new Uint16Array(nnz)
  for (let k = 0; k < nnz; k++) {
    const j = ema.col[k]
    values[k] = toU16(mx[j] === 0 ? ema.val[k] : divInv(ema.val[k], mx[j], minv[j]))
  }
  return { emaBonds: ema, store: { ptr: ema.ptr, col: ema.col, values }, dividends }
}

/** What {@link scanBondRows} reads and writes: column sums and a differ flag per thread. */
export interface ScanArgs {
  n: number
  wb: FixedMatrix
  bonds: SparseRows
  sums: Float64Array
  differ: Int32Array
}

/** Rows [from, to) by thread t: B's column sums, and whether some row's columns differ from W̃'s. */
export function scanBondRows (g: ScanArgs, from: number, to: number, t: number): void {
  const { n, wb, bonds } = g
  const sums = g.sums.subarray(t * n, (t + 1) * n)
  const { col, val } = bonds
  let differ = 0
  for (let i = from; i < to; i++) {
    for (let k = bonds.ptr[i]; k < bonds.ptr[i + 1]; k++) sums[col[k]] += val[k]
    if (differ === 0 && i < wb.rows && !sameColumns(wb, bonds, i)) differ = 1
  }
  if (differ === 1) g.differ[t] = 1
}

/**
 * {@link yuma2Bonds} when every row of W̃ and of the bonds lists the same ascending columns (a
 * subnet whose weights did not change shape since the last epoch): `mat_ema_sparse` then takes
 * the equal-column branch everywhere, so E is aligned with W̃'s entries. Two passes: the EMA with
 * the column sums and maxima of E, then E column-normalized, the dividends and the stored u16.
 * The maximum of Ê over a column is the maximum of E divided by the column sum (`safe_div` by a
 * positive divisor is monotone), so the max-upscale needs no pass of its own.
 *
 * Every division is a part of a column over the column's sum (or maximum), so {@link divP}'s
 * domain holds: the ΔB sums are checked below 2⁴⁰ by the caller, the u16 bond sums are below
 * 4096·65535 < 2²⁸, and a column of E sums to at most α·ΣΔB̂ + (1−α)·ΣB̂ ≤ 1 (each normalized
 * column sums to at most 1, its parts being truncated), as does its maximum.
 */
function yuma2Aligned (wb: FixedMatrix, bonds: SparseRows, activeStake: Float64Array, incentive: Float64Array, n: number, alpha: number, delta: ColumnDivisors, old: ColumnDivisors, alloc: Alloc): BondsResult {
  const nnz = wb.ptr[wb.rows]
  const g: AlignedArgs = {
    n,
    wb,
    bonds,
    activeStake,
    alpha,
    delta,
    old,
    val: alloc.f64('y2.ema', nnz),
    esum: scratchF64('y2.esum', 2 * n).fill(0),
    emax: scratchF64('y2.emax', 2 * n).fill(0),
    dropped: scratchI32('y2.dropped', 2).fill(0),
    einv: new Float64Array(0),
    mx: new Float64Array(0),
    minv: new Float64Array(0),
    incentive,
    values: scratchU16('y2.values', nnz),
    dividends: scratchF64('y2.dividends', wb.rows)
  }
  forRows('emaAligned', emaAlignedRows, g, wb.ptr, wb.rows, alloc.shared)
  const esum = new Float64Array(n)
  const emax = new Float64Array(n)
  for (let j = 0; j < n; j++) {
    esum[j] = g.esum[j] + g.esum[n + j]
    emax[j] = Math.max(g.emax[j], g.emax[n + j])
  }
  const dropped = g.dropped[0] + g.dropped[1]
  const einv = esum.map(x => ONE / x)
  // the column maxima of Ê, and their reciprocals for the max-upscale
  const mx = emax.map((m, j) => esum[j] === 0 ? m : divP(m, esum[j], einv[j]))
  const minv = mx.map(x => ONE / x)
  const dividends = new Float64Array(wb.rows)
  if (dropped === 0) {
    // E keeps W̃'s structure
    g.esum = esum
    g.einv = einv
    g.mx = mx
    g.minv = minv
    forRows('normalizeAligned', normalizeAlignedRows, g, wb.ptr, wb.rows, alloc.shared)
    dividends.set(g.dividends)
    normalizeInPlace(dividends)
    return { emaBonds: { rows: wb.rows, ptr: wb.ptr, col: wb.col, val: g.val }, store: { ptr: wb.ptr, col: wb.col, values: g.values.slice(0, nnz) }, dividends }
  }
  // E keeps the positive entries
  const e: FixedMatrix = { rows: wb.rows, ptr: new Int32Array(wb.rows + 1), col: alloc.i32('y2.col', nnz - dropped), val: alloc.f64('y2.val', nnz - dropped) }
  const values = new Uint16Array(nnz - dropped)
  normalizeCompacting(wb, g.val, esum, einv, mx, minv, incentive, e, values, dividends)
  normalizeInPlace(dividends)
  return { emaBonds: e, store: { ptr: e.ptr, col: e.col, values }, dividends }
}

/**
 * What the two row-wise passes of {@link yuma2Aligned} read and write (threads.ts): `esum`, `emax`
 * and `dropped` per thread in the first, the merged column sums and maxima in the second.
 */
export interface AlignedArgs {
  n: number
  wb: FixedMatrix
  bonds: SparseRows
  activeStake: Float64Array
  alpha: number
  delta: ColumnDivisors
  old: ColumnDivisors
  val: Float64Array
  esum: Float64Array
  emax: Float64Array
  dropped: Int32Array
  einv: Float64Array
  mx: Float64Array
  minv: Float64Array
  incentive: Float64Array
  values: Uint16Array
  dividends: Float64Array
}

/*
 * The loops below write mulP and divP (fixed.ts) out, so that every one of their few operations
 * is compiled inline whatever the inlining budget of the enclosing function:
 *   mulP(a, b) = Math.floor((a * b - (Math.imul(a, b) >>> 0)) * INV32 + 0.5)
 *   divP(a, b, inv): f = a·inv, q = floor(f), kept unless frac(f) is within EPS of an integer,
 *   else correct(a, b, q).
 * Their domains hold as {@link yuma2Aligned} says.
 */

/** The EMA of aligned rows [from, to) into `val`, with thread t's column sums, maxima and zero count. */
export function emaAlignedRows (g: AlignedArgs, from: number, to: number, t: number): void {
  const { n, wb, bonds, activeStake, alpha, delta, old, val } = g
  const esum = g.esum.subarray(t * n, (t + 1) * n)
  const emax = g.emax.subarray(t * n, (t + 1) * n)
  const keep = ONE - alpha
  const { ptr, col } = wb
  const wv = wb.val
  const bv = bonds.val
  const { d: dd, inv: di } = delta
  const { d: od, inv: oi } = old
  let dropped = 0
  for (let i = from; i < to; i++) {
    const s = activeStake[i]
    const end = ptr[i + 1]
    const shift = bonds.ptr[i] - ptr[i]
    for (let k = ptr[i]; k < end; k++) {
      const j = col[k]
      const w = wv[k]
      // ΔB̂ = divP(mulP(w, s), ΣΔB_j)
      let x = Math.floor((w * s - (Math.imul(w, s) >>> 0)) * INV32 + 0.5)
      const dj = dd[j]
      if (dj !== 0) {
        const f = x * di[j]
        const q = Math.floor(f)
        const fr = f - q
        x = fr > EPS && fr < 1 - EPS ? q : correct(x, dj, q)
      }
      // B̂ = divP(B, ΣB_j)
      let y = bv[k + shift]
      const bj = od[j]
      if (bj !== 0) {
        const f = y * oi[j]
        const q = Math.floor(f)
        const fr = f - q
        y = fr > EPS && fr < 1 - EPS ? q : correct(y, bj, q)
      }
      const v = Math.floor((alpha * x - (Math.imul(alpha, x) >>> 0)) * INV32 + 0.5) + Math.floor((keep * y - (Math.imul(keep, y) >>> 0)) * INV32 + 0.5)
      val[k] = v
      esum[j] += v
      if (v > emax[j]) emax[j] = v
      if (v === 0) dropped++
    }
  }
  g.dropped[t] += dropped
}

/** Rows [from, to): Ê = E over its column sums in place, D_i = Σ_j I_j·Ê_ij, the max-upscaled u16. */
export function normalizeAlignedRows (g: AlignedArgs, from: number, to: number): void {
  const { wb, val, esum, einv, mx, minv, incentive, values, dividends } = g
  const { ptr, col } = wb
  for (let i = from; i < to; i++) {
    const end = ptr[i + 1]
    let acc = 0
    for (let k = ptr[i]; k < end; k++) {
      const j = col[k]
      let e = val[k]
      const sj = esum[j]
      if (sj !== 0) {
        const f = e * einv[j]
        const q = Math.floor(f)
        const fr = f - q
        e = fr > EPS && fr < 1 - EPS ? q : correct(e, sj, q)
      }
      val[k] = e
      const ij = incentive[j]
      acc += Math.floor((ij * e - (Math.imul(ij, e) >>> 0)) * INV32 + 0.5)
      let u = e
      const mj = mx[j]
      if (mj !== 0) {
        const f = e * minv[j]
        const q = Math.floor(f)
        const fr = f - q
        u = fr > EPS && fr < 1 - EPS ? q : correct(e, mj, q)
      }
      values[k] = u16Of(u)
    }
    dividends[i] = acc
  }
}

/** {@link normalizeAligned} when some entries of E are 0: the others are copied out, in order. */
function normalizeCompacting (wb: FixedMatrix, val: Float64Array, esum: Float64Array, einv: Float64Array, mx: Float64Array, minv: Float64Array, incentive: Float64Array, out: FixedMatrix, values: Uint16Array, dividends: Float64Array): void {
  const { ptr, col } = wb
  const outPtr = out.ptr as Int32Array
  const outCol = out.col as Int32Array
  const outVal = out.val as Float64Array
  let o = 0
  for (let i = 0; i < wb.rows; i++) {
    let acc = 0
    for (let k = ptr[i]; k < ptr[i + 1]; k++) {
      const v = val[k]
      if (v === 0) continue
      const j = col[k]
      const e = esum[j] === 0 ? v : divP(v, esum[j], einv[j])
      outCol[o] = j
      outVal[o] = e
      acc += mulP(incentive[j], e)
      values[o++] = u16Of(mx[j] === 0 ? e : divP(e, mx[j], minv[j]))
    }
    dividends[i] = acc
    outPtr[i + 1] = o
  }
}
