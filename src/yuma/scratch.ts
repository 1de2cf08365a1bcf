/**
 * Reusable scratch arrays for the epoch's private intermediates (normalized copies, the consensus
 * score table, and the big matrices W, W̄, W̃, E while the epoch computes them). At full subnet
 * size each is megabytes; allocating fresh ones every epoch costs page faults (on a busy VM about
 * 3 ms per MB first touched) and garbage collection. A slot is overwritten by the next epoch, so
 * only values that never leave `epoch()` may live here: every array an `EpochOutput` hands out is
 * freshly allocated (the matrices are rebuilt into fresh arrays on first access, epoch.ts).
 * Contents are not cleared: callers overwrite what they read.
 */
const f64 = new Map<string, Float64Array>()
const i32 = new Map<string, Int32Array>()
const u16 = new Map<string, Uint16Array>()
const u8 = new Map<string, Uint8Array>()

/** A Float64Array of exactly `length` elements from slot `name` (not zeroed). */
export function scratchF64 (name: string, length: number): Float64Array {
  let a = f64.get(name)
  if (a === undefined || a.length < length) {
    a = new Float64Array(Math.max(length, 16))
    f64.set(name, a)
  }
  return a.subarray(0, length)
}

/** An Int32Array of exactly `length` elements from slot `name` (not zeroed). */
export function scratchI32 (name: string, length: number): Int32Array {
  let a = i32.get(name)
  if (a === undefined || a.length < length) {
    a = new Int32Array(Math.max(length, 16))
    i32.set(name, a)
  }
  return a.subarray(0, length)
}

/** A Uint16Array of exactly `length` elements from slot `name` (not zeroed). */
export function scratchU16 (name: string, length: number): Uint16Array {
  let a = u16.get(name)
  if (a === undefined || a.length < length) {
    a = new Uint16Array(Math.max(length, 16))
    u16.set(name, a)
  }
  return a.subarray(0, length)
}

/** A Uint8Array of exactly `length` elements from slot `name` (not zeroed). */
export function scratchU8 (name: string, length: number): Uint8Array {
  let a = u8.get(name)
  if (a === undefined || a.length < length) {
    a = new Uint8Array(Math.max(length, 16))
    u8.set(name, a)
  }
  return a.subarray(0, length)
}

/**
 * Where a stage puts the big arrays of the matrix it computes: {@link SCRATCH} while the epoch
 * runs (the matrix is private to it), {@link FRESH} when it is handed out.
 */
export interface Alloc {
  f64: (name: string, length: number) => Float64Array
  i32: (name: string, length: number) => Int32Array
}

/** Arrays from the named scratch slots (not zeroed). */
export const SCRATCH: Alloc = { f64: scratchF64, i32: scratchI32 }

/** Fresh (zeroed) arrays. */
export const FRESH: Alloc = { f64: (_name, length) => new Float64Array(length), i32: (_name, length) => new Int32Array(length) }
