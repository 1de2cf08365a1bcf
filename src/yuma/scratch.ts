/**
 * Reusable scratch arrays for the epoch's private intermediates (normalized copies, the consensus
 * score table, and the big matrices W, W̄, W̃, E while the epoch computes them). At full subnet
 * size each is megabytes; allocating fresh ones every epoch costs page faults (on a busy VM about
 * 3 ms per MB first touched) and garbage collection. A slot is overwritten by the next epoch, so
 * only values that never leave `epoch()` may live here: every array an `EpochOutput` hands out is
 * freshly allocated (the matrices are rebuilt into fresh arrays on first access, epoch.ts).
 * Contents are not cleared: callers overwrite what they read. Slots are shared memory, so that the
 * helper thread of threads.ts can fill them.
 */
type Typed = Float64Array | Int32Array | Uint16Array | Uint8Array

/** One map of slots per element type; a slot grows when a longer array is asked for. */
function slots<T extends Typed> (make: (length: number) => T): (name: string, length: number) => T {
  const map = new Map<string, T>()
  return (name, length) => {
    let a = map.get(name)
    if (a === undefined || a.length < length) {
      a = make(Math.max(length, 16))
      map.set(name, a)
    }
    return a.subarray(0, length) as T
  }
}

/** A Float64Array of exactly `length` elements from slot `name` (not zeroed; shared memory). */
export const scratchF64 = slots(n => new Float64Array(new SharedArrayBuffer(8 * n)))

/** An Int32Array of exactly `length` elements from slot `name` (not zeroed; shared memory). */
export const scratchI32 = slots(n => new Int32Array(new SharedArrayBuffer(4 * n)))

/** A Uint16Array of exactly `length` elements from slot `name` (not zeroed; shared memory). */
export const scratchU16 = slots(n => new Uint16Array(new SharedArrayBuffer(2 * n)))

/** A Uint8Array of exactly `length` elements from slot `name` (not zeroed; shared memory). */
export const scratchU8 = slots(n => new Uint8Array(new SharedArrayBuffer(n)))

/**
 * Where a stage puts the big arrays of the matrix it computes: {@link SCRATCH} while the epoch
 * runs (the matrix is private to it), {@link FRESH} when it is handed out. `shared`: the arrays
 * lie in shared memory, so the helper thread (threads.ts) may write them.
 */
export interface Alloc {
  f64: (name: string, length: number) => Float64Array
  i32: (name: string, length: number) => Int32Array
  shared: boolean
}

/** Arrays from the named scratch slots (not zeroed). */
export const SCRATCH: Alloc = { f64: scratchF64, i32: scratchI32, shared: true }

/** Fresh (zeroed) arrays. */
export const FRESH: Alloc = { f64: (_name, length) => new Float64Array(length), i32: (_name, length) => new Int32Array(length), shared: false }
