/**
 * The two shapes a stored sparse u16 row takes at the API: `[uid, value]` pairs (as JSON and the
 * chain's storage show it) or a typed {@link U16Row} (compact, what the epoch returns).
 */
import type { SparseU16Row, U16Row } from './types.ts'

/** Whether a row is the typed shape. */
export function isU16Row (row: unknown): row is U16Row {
  return row != null && typeof row === 'object' && (row as U16Row).uids instanceof Uint16Array && (row as U16Row).values instanceof Uint16Array
}

/** A typed row as `[uid, value]` pairs, in order. */
export function toPairs (row: U16Row | ReadonlyArray<readonly [number, number]>): SparseU16Row {
  if (!isU16Row(row)) return row.map(([j, v]): [number, number] => [j, v])
  const out: SparseU16Row = new Array(row.uids.length)
  for (let k = 0; k < row.uids.length; k++) out[k] = [row.uids[k], row.values[k]]
  return out
}

/** `[uid, value]` pairs as a typed row (values must already be valid u16, uids < 65536). */
export function fromPairs (row: ReadonlyArray<readonly [number, number]>): U16Row {
  return { uids: Uint16Array.from(row, e => e[0]), values: Uint16Array.from(row, e => e[1]) }
}

/** Keep the entries whose uid passes `keep`, in order. */
export function filterU16Row (row: U16Row | ReadonlyArray<readonly [number, number]>, keep: (uid: number) => boolean): U16Row {
  const r = isU16Row(row) ? row : fromPairs(row)
  const idx: number[] = []
  for (let k = 0; k < r.uids.length; k++) if (keep(r.uids[k])) idx.push(k)
  return { uids: Uint16Array.from(idx, k => r.uids[k]), values: Uint16Array.from(idx, k => r.values[k]) }
}
