/**
 * Bonds and dividends (yuma.md §4.10–4.11): the EMA of bonds in both variants and the
 * dividends they earn, with the chain's sparse semantics (which entries survive, in which order).
 */
import { ONE, U16_MAX, div, divInv, mul, toU16 } from './fixed.ts'
import { alphaOf, distance, sigmoidSlope } from './liquid-alpha.ts'
import { colNormalize, colSum, mapEntries, rowDot } from './matrix.ts'
import { scratchF64 } from './scratch.ts'
import { normalizeInPlace } from './vector.ts'
import type { LiquidAlphaParams } from './liquid-alpha.ts'
import type { FixedMatrix } from './matrix.ts'
import type { YumaParams } from './types.ts'

/** α = 1 − bondsMovingAverage/10⁶, through I64F64 as the chain computes it. */
export function emaAlpha (bondsMovingAverage: number): number {
  const bma64 = (BigInt(bondsMovingAverage) << 64n) / 1_000_000n
  return ONE - Number(bma64 >> 32n)
}

/**
 * `mat_ema_sparse`: α·new + (1−α)·old over the union of present entries, keeping positive
 * results in ascending column order. With `sums`, the column sums of the result are added to it.
 */
export function matEma (next: FixedMatrix, old: FixedMatrix, alpha: number, n: number, sums?: Float64Array, div?: EmaDivisors): FixedMatrix {
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
  const col = new Int32Array(capacity)
  const val = new Float64Array(capacity)
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
export interface ColumnDivisors { d: Float64Array, inv: Float64Array }

/** Divisors for both inputs of {@link matEma}: each value is column-normalized as it is read. */
export interface EmaDivisors { next?: ColumnDivisors, old?: ColumnDivisors }

/** Column sums of m with their reciprocals. */
export function columnDivisors (m: FixedMatrix, n: number): ColumnDivisors {
  const d = colSum(m, n)
  return { d, inv: d.map(x => ONE / x) }
}

/** `inplace_col_normalize_sparse` of one value: over its column sum unless that sum is zero. */
function normalized (v: number, j: number, c: ColumnDivisors): number {
  const d = c.d[j]
  return d === 0 ? v : divInv(v, d, c.inv[j])
}

/** Whether row i's columns are strictly ascending. */
function ascending (m: FixedMatrix, i: number): boolean {
  for (let k = m.ptr[i] + 1; k < m.ptr[i + 1]; k++) if (m.col[k] <= m.col[k - 1]) return false
  return true
}

/** Whether row i of a and b lists the same columns, strictly ascending (the dense steady case). */
function sameColumns (a: FixedMatrix, b: FixedMatrix, i: number): boolean {
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
function sameRow (next: FixedMatrix, old: FixedMatrix, i: number, alpha: number, keep: number, col: Int32Array, val: Float64Array, o: number, nd?: ColumnDivisors, od?: ColumnDivisors): number {
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
function mergeRow (next: FixedMatrix, old: FixedMatrix, i: number, alpha: number, keep: number, col: Int32Array, val: Float64Array, o: number, nd?: ColumnDivisors, od?: ColumnDivisors): number {
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

/**
 * The value the chain's `liquid_alpha_matrix_sparse` finds at each column of row i: it walks the
 * row with a cursor that only moves forward, so in a row not sorted by uid some entries are not
 * found (0).
 */
function scanRow (m: FixedMatrix, i: number, n: number, out: Float64Array): void {
  out.fill(0)
  let p = m.ptr[i]
  const end = m.ptr[i + 1]
  if (ascending(m, i)) {
    // sorted: the cursor finds every entry, which is a plain lookup
    for (let k = p; k < end; k++) out[m.col[k]] = m.val[k]
    return
  }
  for (let j = 0; j < n && p < end; j++) {
    while (p < end && m.col[p] < j) p++
    if (p < end && m.col[p] === j) out[j] = m.val[p]
  }
}

/**
 * `mat_ema_alpha_sparse` with liquid alphas: for each entry present in the new row,
 * min(1, (1−α_ij)·old_ij + max(0, α_ij·new_ij)), kept if positive, in the new row's order.
 * Old entries whose column is absent from the new row are dropped.
 */
export function matEmaLiquid (next: FixedMatrix, old: FixedMatrix, consensus: Float64Array, n: number, p: LiquidAlphaParams): FixedMatrix {
  const wAt = new Float64Array(n)
  const bAt = new Float64Array(n)
  const oldAt = new Float64Array(n)
  const ptr = new Int32Array(next.rows + 1)
  const col = new Int32Array(next.ptr[next.rows])
  const val = new Float64Array(col.length)
  let o = 0
  // alpha depends on the distance d alone: neighbouring entries often share it
  let lastD = Number.NaN
  let lastA = 0
  for (let i = 0; i < next.rows; i++) {
    if (next.ptr[i + 1] > next.ptr[i] && sameColumns(next, old, i)) {
      // the same ascending columns in both rows: the cursor lookups find each entry at its own
      // position, so w, b and old are read in place (same values as the general path below)
      const a0 = next.ptr[i]
      const b0 = old.ptr[i]
      for (let k = 0; k < next.ptr[i + 1] - a0; k++) {
        const j = next.col[a0 + k]
        const w = next.val[a0 + k]
        const b = old.val[b0 + k]
        const d = distance(consensus[j], w, b)
        if (d !== lastD) { lastD = d; lastA = alphaOf(d, p) }
        const inc = mul(lastA, w)
        const sum = mul(ONE - lastA, b) + (inc > 0 ? inc : 0)
        const v = sum < ONE ? sum : ONE
        if (v > 0) { col[o] = j; val[o++] = v }
      }
    } else if (next.ptr[i + 1] > next.ptr[i]) {
      scanRow(next, i, n, wAt)
      scanRow(old, i, n, bAt)
      for (let k = old.ptr[i]; k < old.ptr[i + 1]; k++) oldAt[old.col[k]] = old.val[k]
      for (let k = next.ptr[i]; k < next.ptr[i + 1]; k++) {
        const j = next.col[k]
        const d = distance(consensus[j], wAt[j], bAt[j])
        if (d !== lastD) { lastD = d; lastA = alphaOf(d, p) }
        const a = lastA
        const inc = mul(a, next.val[k])
        const sum = mul(ONE - a, oldAt[j]) + (inc > 0 ? inc : 0)
        const v = sum < ONE ? sum : ONE
        if (v > 0) { col[o] = j; val[o++] = v }
      }
      for (let k = old.ptr[i]; k < old.ptr[i + 1]; k++) oldAt[old.col[k]] = 0
    }
    ptr[i + 1] = o
  }
  return { rows: next.rows, ptr, col, val }
}

/** The result of the bonds step. */
export interface BondsResult {
  /** E: the new bonds (proportions). */
  emaBonds: FixedMatrix
  /** The rows to store, as u16 (Yuma 2 column max-upscaled, Yuma 3 absolute). */
  storeU16: FixedMatrix
  dividends: Float64Array
}

/**
 * Yuma 2 (§4.11a): stored bonds column-normalized, ΔB = W̃∘A column-normalized, EMA,
 * column-normalized again; D = E·I normalized; stored column max-upscaled.
 * `bonds` holds the stored u16 integers after the registration mask.
 */
export function yuma2Bonds (wb: FixedMatrix, bonds: FixedMatrix, activeStake: Float64Array, incentive: Float64Array, n: number, params: YumaParams): BondsResult {
  // every intermediate below is private to this function, so the normalizations run in place
  // B̂ = colnorm(B) and ΔB̂ = colnorm(W̃∘A) are normalized as the EMA reads them
  // ΔB = W̃∘A (`row_hadamard_sparse`) and its column sums in one pass (sums of exact integers)
  const dval = scratchF64('y2.delta', wb.ptr[wb.rows])
  const dsum = new Float64Array(n)
  for (let i = 0; i < wb.rows; i++) {
    const s = activeStake[i]
    for (let k = wb.ptr[i]; k < wb.ptr[i + 1]; k++) {
      const v = mul(wb.val[k], s)
      dval[k] = v
      dsum[wb.col[k]] += v
    }
  }
  const delta = { rows: wb.rows, ptr: wb.ptr, col: wb.col, val: dval }
  const sums = new Float64Array(n)
  const ema = matEma(delta, bonds, emaAlpha(params.bondsMovingAverage), n, sums, { next: { d: dsum, inv: dsum.map(x => ONE / x) }, old: columnDivisors(bonds, n) })
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
  const store = scratchF64('y2.store', nnz)
  for (let k = 0; k < nnz; k++) {
    const j = ema.col[k]
    store[k] = toU16(mx[j] === 0 ? ema.val[k] : divInv(ema.val[k], mx[j], minv[j]))
  }
  return { emaBonds: ema, storeU16: { rows: ema.rows, ptr: ema.ptr, col: ema.col, val: store }, dividends }
}

/**
 * Yuma 3 (§4.11b): bonds as proportions u16/65535, EMA with a fixed or liquid alpha;
 * D_i = A_i · Σ_j Ê_ij I_j normalized, Ê the column-normalized E; stored floor(E·65535).
 */
export function yuma3Bonds (wb: FixedMatrix, bonds: FixedMatrix, activeStake: Float64Array, incentive: Float64Array, consensus: Float64Array, n: number, params: YumaParams): BondsResult {
  const b = mapEntries(bonds, u16ToProportion, scratchF64('y3.bonds', bonds.ptr[bonds.rows]))
  const liquid = params.liquidAlpha && consensus.some(c => c !== 0)
  const emaBonds = liquid
    ? matEmaLiquid(wb, b, consensus, n, { low: div(params.alphaLow, U16_MAX), high: div(params.alphaHigh, U16_MAX), slope: sigmoidSlope(params.alphaSigmoidSteepness) })
    : matEma(wb, b, emaAlpha(params.bondsMovingAverage), n)
  const totalBonds = rowDot(colNormalize(emaBonds, n, scratchF64('y3.norm', emaBonds.ptr[emaBonds.rows])), incentive)
  const dividends = new Float64Array(n)
  for (let i = 0; i < n; i++) dividends[i] = mul(totalBonds[i], activeStake[i])
  normalizeInPlace(dividends)
  return { emaBonds, storeU16: mapEntries(emaBonds, toU16, scratchF64('y3.store', emaBonds.ptr[emaBonds.rows])), dividends }
}

/** `fixed_to_fixed_u16_proportion` for every u16: the table is the same on every peer. */
let proportions: Float64Array | undefined

/** `fixed_to_fixed_u16_proportion`: stored u16 / 65535 as I32F32 (looked up). */
function u16ToProportion (v: number): number {
  if (proportions === undefined) proportions = Float64Array.from({ length: 65536 }, (_, u) => div(u, U16_MAX))
  return proportions[v]
}
