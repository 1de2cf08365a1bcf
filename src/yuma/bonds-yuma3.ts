/**
 * Yuma 3 bonds and dividends (`Yuma3On`): each stored bond is a proportion u16/65535, the
 * EMA runs with a fixed or a liquid alpha, and one pass over the new bonds E yields what every
 * later step needs: E itself, its column sums, and the u16 values to store. A second pass gives
 * the dividends. Same bits as `mat_ema_alpha_sparse` / `mat_ema_sparse`, `inplace_col_normalize`,
 * `mat_vec_mul_sparse` and `fixed_proportion_to_u16` run one after the other.
 */
import { EPS, INV32, ONE, U16_MAX, correct, div, divInv, divisorsInRange, mul, mulP } from './fixed.ts'
import { alphaOf, distance, sigmoidSlope } from './liquid-alpha.ts'
import { ascending, emaAlpha, matEma, sameColumns, u16Of } from './bonds.ts'
import { FRESH, scratchF64, scratchI32, scratchU16 } from './scratch.ts'
import { forRows } from './threads.ts'
import type { Alloc } from './scratch.ts'
import { normalizeInPlace } from './vector.ts'
import type { BondsResult, StoreRows } from './bonds.ts'
import type { LiquidAlphaParams } from './liquid-alpha.ts'
import type { FixedMatrix, SparseRows } from './matrix.ts'
import type { YumaParams } from './types.ts'

/**
 * `u16_proportion_to_fixed`: trunc(u·2³² / 65535). As 2³²/65535 = 65537 + 1/65535, that is
 * u·65537 + trunc(u/65535), and the last term is 1 only for u = 65535.
 */
export function proportion (u: number): number {
  return u * 65537 + ((u + 1) >> 16) // (u + 1) >> 16 is 1 for u = 65535 only, 0 below
}

/**
 * The new bonds as computed, aligned with the entries of W̃ (a dropped entry holds 0); the column
 * sums and the count of dropped entries per thread (threads.ts), thread t at [t·n, (t + 1)·n) and t.
 */
interface Aligned { val: Float64Array, store: Uint16Array, sums: Float64Array, dropped: Int32Array }

/** What {@link emaRows} reads and writes. */
export interface EmaArgs {
  n: number
  wb: FixedMatrix
  bonds: SparseRows
  consensus: Float64Array
  p: LiquidAlphaParams
  out: Aligned
  /** Per thread: three lookup rows of n (weight, bond as the chain's cursors find them, old bond). */
  look: Float64Array
}

/**
 * `mat_ema_alpha_sparse` with liquid alphas over stored u16 bonds: for each entry present in W̃'s
 * row, E = min(1, (1−α)·B + max(0, α·W̃)) with α from the sigmoid of the distance (liquid-alpha.ts),
 * kept if positive. Old entries whose column is absent from W̃'s row are dropped. The chain looks
 * up the weight and bond of column j with cursors that only move forward, so in a row not sorted
 * by uid some are not found (0); the alpha reads those, the EMA itself reads the bond by column.
 */
function emaLiquid (wb: FixedMatrix, bonds: SparseRows, consensus: Float64Array, n: number, p: LiquidAlphaParams, out: Aligned, shared: boolean): void {
  const look = scratchF64('y3.look', 6 * n).fill(0)
  forRows('ema', emaRows, { n, wb, bonds, consensus, p, out, look }, wb.ptr, wb.rows, shared)
}

/** Rows [from, to) of {@link emaLiquid} by thread t (threads.ts). */
export function emaRows (g: EmaArgs, from: number, to: number, t: number): void {
  const { n, wb, bonds, consensus, p, out } = g
  const wAt = g.look.subarray(3 * t * n, (3 * t + 1) * n)
  const bAt = g.look.subarray((3 * t + 1) * n, (3 * t + 2) * n)
  const oldAt = g.look.subarray((3 * t + 2) * n, (3 * t + 3) * n)
  const { val, store } = out
  const sums = out.sums.subarray(t * n, (t + 1) * n)
  const { ptr, col } = wb
  const wv = wb.val
  const bv = bonds.val
  let dropped = 0
  // alpha depends on the distance d alone: neighbouring entries often share it
  const memo = { d: Number.NaN, a: 0 }
  for (let i = from; i < to; i++) {
    const a0 = ptr[i]
    const end = ptr[i + 1]
    if (a0 === end) continue
    if (sameColumns(wb, bonds, i)) {
      dropped += sameRowLiquid(wb, bonds, i, consensus, p, memo, val, store, sums)
      continue
    }
    scanRow(wb, i, n, wAt, false)
    scanRow(bonds, i, n, bAt, true)
    for (let k = bonds.ptr[i]; k < bonds.ptr[i + 1]; k++) oldAt[bonds.col[k]] = proportion(bv[k])
    for (let k = a0; k < end; k++) {
      const j = col[k]
      const w = wv[k]
      const b = oldAt[j]
      const d = distance(consensus[j], wAt[j], bAt[j])
      if (d !== memo.d) { memo.d = d; memo.a = alphaOf(d, p) }
      const inc = mul(memo.a, w)
      const sum = mul(ONE - memo.a, b) + (inc > 0 ? inc : 0)
      const v = sum < ONE ? sum : ONE
      val[k] = v
      store[k] = u16Of(v)
      sums[j] += v
      if (!(v > 0)) dropped++
    }
    for (let k = bonds.ptr[i]; k < bonds.ptr[i + 1]; k++) oldAt[bonds.col[k]] = 0
  }
  out.dropped[t] += dropped
}

/**
 * One row of {@link emaLiquid} whose columns are those of the bonds row, ascending: every lookup
 * finds the entry at its own position. mulP (fixed.ts) is written out so that it is compiled
 * inline: α ∈ [low, high] ⊂ [0, 1], w and b are non-negative proportions, so both products are
 * in its domain and α·w is never negative. {@link distance} and its clamps are written out too,
 * and 1 − α is kept with α (recomputed only when d changes): the loop runs about twice as fast as
 * with the calls (a million entries per full-size epoch). Returns how many new bonds are 0.
 */
function sameRowLiquid (wb: FixedMatrix, bonds: SparseRows, i: number, consensus: Float64Array, p: LiquidAlphaParams, memo: { d: number, a: number }, val: Float64Array, store: Uint16Array, sums: Float64Array): number {
  const { ptr, col } = wb
  const wv = wb.val
  const bv = bonds.val
  const end = ptr[i + 1]
  const shift = bonds.ptr[i] - ptr[i]
  let dropped = 0
  let lastD = memo.d
  let lastA = memo.a
  let keep = ONE - lastA
  for (let k = ptr[i]; k < end; k++) {
    const j = col[k]
    const w = wv[k]
    const u = bv[k + shift]
    const b = u * 65537 + ((u + 1) >> 16) // proportion(u)
    // distance(consensus[j], w, b): clamp(w − c, 0, 1) when buying, else clamp(b − w, 0, 1)
    const x = w >= b ? w - consensus[j] : b - w
    const d = x > 0 ? (x < ONE ? x : ONE) : 0
    if (d !== lastD) {
      lastD = d
      lastA = alphaOf(d, p)
      keep = ONE - lastA
    }
    const sum = Math.floor((keep * b - (Math.imul(keep, b) >>> 0)) * INV32 + 0.5) + Math.floor((lastA * w - (Math.imul(lastA, w) >>> 0)) * INV32 + 0.5)
    const v = sum < ONE ? sum : ONE
    val[k] = v
    store[k] = Math.floor(v * (65535 * INV32)) // u16Of(v), v ≤ 1; 65535·2⁻³² is exact
    sums[j] += v
    if (v === 0) dropped++
  }
  memo.d = lastD
  memo.a = lastA
  return dropped
}

/**
 * The value the chain's `liquid_alpha_matrix_sparse` finds at each column of row i (u16 bonds
 * converted when `u16`): it walks the row with a cursor that only moves forward, so in a row not
 * sorted by uid some entries are not found (0).
 */
function scanRow (m: SparseRows, i: number, n: number, out: Float64Array, u16: boolean): void {
  out.fill(0)
  let p = m.ptr[i]
  const end = m.ptr[i + 1]
  if (ascending(m, i)) {
    // sorted: the cursor finds every entry, which is a plain lookup
    for (let k = p; k < end; k++) out[m.col[k]] = u16 ? proportion(m.val[k]) : m.val[k]
    return
  }
  for (let j = 0; j < n && p < end; j++) {
    while (p < end && m.col[p] < j) p++
    if (p < end && m.col[p] === j) out[j] = u16 ? proportion(m.val[p]) : m.val[p]
  }
}

/**
 * D_i = A_i · Σ_j Ê_ij I_j, normalized, with Ê = E column-normalized on the fly (`safe_div` by
 * the column sum unless it is zero); entries holding 0 add nothing.
 */
function dividendsOf (e: FixedMatrix, sums: Float64Array, incentive: Float64Array, activeStake: Float64Array, n: number, shared: boolean): Float64Array {
  const args: DividendArgs = {
    e,
    sums,
    inv: sums.map(x => ONE / x),
    // E's entries are proportions ≤ 1, so a column sums to at most 4096: divP's domain (an entry
    // over its column's sum, below 2⁴⁰) holds unless a column sums to 256 or more
    inRange: divisorsInRange(sums),
    incentive,
    activeStake,
    dividends: scratchF64('y3.dividends', e.rows)
  }
  forRows('dividends', dividendRows, args, e.ptr, e.rows, shared)
  const dividends = new Float64Array(n)
  dividends.set(args.dividends.subarray(0, Math.min(n, e.rows)))
  return normalizeInPlace(dividends)
}

/** What {@link dividendRows} reads and writes. */
export interface DividendArgs {
  e: FixedMatrix
  sums: Float64Array
  inv: Float64Array
  inRange: boolean
  incentive: Float64Array
  activeStake: Float64Array
  dividends: Float64Array
}

/** Rows [from, to) of {@link dividendsOf}: each row's dividend before normalizing. */
export function dividendRows (g: DividendArgs, from: number, to: number): void {
  const { sums, inv, incentive } = g
  const { ptr, col, val } = g.e
  for (let i = from; i < to; i++) {
    let acc = 0
    const end = ptr[i + 1]
    if (g.inRange) {
      for (let k = ptr[i]; k < end; k++) {
        // mulP(divP(E, Σ_j), I_j) written out (fixed.ts): compiled inline
        const j = col[k]
        const s = sums[j]
        let e = val[k]
        if (s !== 0) {
          const f = e * inv[j]
          const q = Math.floor(f)
          const fr = f - q
          e = fr > EPS && fr < 1 - EPS ? q : correct(e, s, q)
        }
        const ij = incentive[j]
        acc += Math.floor((e * ij - (Math.imul(e, ij) >>> 0)) * INV32 + 0.5)
      }
    } else {
      for (let k = ptr[i]; k < end; k++) {
        const j = col[k]
        const s = sums[j]
        acc += mulP(s === 0 ? val[k] : divInv(val[k], s, inv[j]), incentive[j])
      }
    }
    g.dividends[i] = mul(acc, g.activeStake[i])
  }
}

/** The aligned entries with the dropped (zero) ones removed, in order (E's arrays from `alloc`). */
function compact (wb: FixedMatrix, a: Aligned, alloc: Alloc): { e: FixedMatrix, store: StoreRows } {
  const dropped = a.dropped[0] + a.dropped[1]
  if (dropped === 0) return { e: { rows: wb.rows, ptr: wb.ptr, col: wb.col, val: a.val }, store: { ptr: wb.ptr, col: wb.col, values: a.store.slice(0, wb.ptr[wb.rows]) } }
  const nnz = wb.ptr[wb.rows] - dropped
  const ptr = new Int32Array(wb.rows + 1)
  const col = alloc.i32('y3.col', nnz)
  const val = alloc.f64('y3.val', nnz)
  const values = new Uint16Array(nnz)
  let o = 0
  for (let i = 0; i < wb.rows; i++) {
    for (let k = wb.ptr[i]; k < wb.ptr[i + 1]; k++) {
      if (!(a.val[k] > 0)) continue
      col[o] = wb.col[k]
      val[o] = a.val[k]
      values[o++] = a.store[k]
    }
    ptr[i + 1] = o
  }
  return { e: { rows: wb.rows, ptr, col, val }, store: { ptr, col, values } }
}

/**
 * Yuma 3 (`Yuma3On` on): bonds as proportions u16/65535, EMA with a fixed or liquid alpha;
 * D_i = A_i · Σ_j Ê_ij I_j normalized, Ê the column-normalized E; stored floor(E·65535).
 * `bonds` holds the stored u16 integers after the registration mask. E goes into arrays from
 * `alloc`; the stored values are always fresh.
 */
export function yuma3Bonds (wb: FixedMatrix, bonds: SparseRows, activeStake: Float64Array, incentive: Float64Array, consensus: Float64Array, n: number, params: YumaParams, alloc: Alloc = FRESH): BondsResult {
  let e: FixedMatrix
  let store: StoreRows
  let sums: Float64Array
  if (params.liquidAlpha && consensus.some(c => c !== 0)) {
    const nnz = wb.ptr[wb.rows]
    // the stored values are copied out of scratch by compact()
    const a: Aligned = { val: alloc.f64('y3.ema', nnz), store: scratchU16('y3.store', nnz), sums: scratchF64('y3.sums', 2 * n).fill(0), dropped: scratchI32('y3.dropped', 2).fill(0) }
    emaLiquid(wb, bonds, consensus, n, { low: div(params.alphaLow, U16_MAX), high: div(params.alphaHigh, U16_MAX), slope: sigmoidSlope(params.alphaSigmoidSteepness) }, a, alloc.shared)
    ;({ e, store } = compact(wb, a, alloc))
    sums = new Float64Array(n)
    for (let j = 0; j < n; j++) sums[j] = a.sums[j] + a.sums[n + j]
  } else {
    const bv = scratchF64('y3.bonds', bonds.ptr[bonds.rows])
    for (let k = 0; k < bv.length; k++) bv[k] = proportion(bonds.val[k])
    const b = { rows: bonds.rows, ptr: bonds.ptr, col: bonds.col, val: bv }
    e = matEma(wb, b, emaAlpha(params.bondsMovingAverage), n, undefined, undefined, alloc)
    sums = new Float64Array(n)
    const values = new Uint16Array(e.ptr[e.rows])
    for (let k = 0; k < values.length; k++) {
      sums[e.col[k]] += e.val[k]
      values[k] = u16Of(e.val[k])
    }
    store = { ptr: e.ptr, col: e.col, values }
  }
  return { emaBonds: e, store, dividends: dividendsOf(e, sums, incentive, activeStake, n, alloc.shared) }
}
