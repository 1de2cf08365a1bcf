/**
 * A second thread for the row-wise stages of a full-size epoch. A stage is a function of a row
 * range `(args, from, to, t)`: the rows [from, to) are computed by thread t (0 here, 1 the helper),
 * which writes only its own rows' entries and its own partial sums (`t`-th slice of a per-thread
 * scratch array). The rows are cut into chunks of about equal entry count; both threads claim
 * chunks with a compare-and-swap until none is left, so a helper that is busy, slow to start or
 * gone leaves its share to this thread. `epoch()` stays synchronous: this thread waits for the
 * chunks the helper claimed.
 *
 * The result does not depend on which thread ran which rows: per-row results land at the row's
 * place, and every partial sum is a sum of exact integers (below 2⁵³), so the order in which the
 * two halves are added does not change a bit.
 *
 * Everything a stage writes must live in a `SharedArrayBuffer` (the scratch slots do); what it only
 * reads may be a copy (small per-uid arrays are copied into the message).
 */
import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'

/** A row-wise stage: thread t computes rows [from, to). */
export type RowStage<A> = (args: A, from: number, to: number, t: number) => void

/** The stages the helper can run, by name (threads-worker.ts holds the same table). */
export type StageName = 'weights' | 'buckets' | 'clip' | 'ema' | 'dividends' | 'scanBonds' | 'emaAligned' | 'normalizeAligned'

/** Control words: the next chunk to claim (generation · 256 + chunk), the chunks done, a failure. */
const NEXT = 0
const DONE = 1
const FAILED = 2
/** Chunks the helper has run since it started (for tests and benchmarks). */
const HELPED = 3
const CHUNK_BITS = 8
/** Chunks per stage: enough that a late start or a slow core costs little, few enough to be cheap. */
const CHUNKS = 16
/** Below this many entries a stage runs here alone (a message round trip is ~50 µs). */
const PARALLEL_ENTRIES = 1 << 16
/** How many 100 ms waits for a claimed chunk before this thread gives the helper up (30 s). */
const LOST_WAITS = 300

/** The helper failed or vanished while holding chunks: the epoch is computed again on this thread. */
export class HelperLostError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'HelperLostError'
  }
}

/**
 * Claim and run chunks of generation `gen` until none is left. A chunk that throws is counted done
 * and marks the stage failed; the first error is returned (the other thread's chunks go on).
 */
export function runChunks<A> (ctl: Int32Array, gen: number, bounds: Int32Array, stage: RowStage<A>, args: A, t: number): unknown {
  const chunks = bounds.length - 1
  let error: unknown
  for (;;) {
    const cur = Atomics.load(ctl, NEXT)
    if ((cur >>> CHUNK_BITS) !== gen) return error
    const c = cur & ((1 << CHUNK_BITS) - 1)
    if (c >= chunks) return error
    if (Atomics.compareExchange(ctl, NEXT, cur, cur + 1) !== cur) continue
    try {
      stage(args, bounds[c], bounds[c + 1], t)
    } catch (err) {
      Atomics.store(ctl, FAILED, 1)
      error ??= err
    }
    if (t !== 0) Atomics.add(ctl, HELPED, 1)
    Atomics.add(ctl, DONE, 1)
    Atomics.notify(ctl, DONE)
  }
}

/** What the helper receives for one stage. */
export interface StageMessage {
  stage: StageName
  args: unknown
  gen: number
  bounds: Int32Array
}

interface Helper { worker: Worker, ctl: Int32Array, gen: number, lost: boolean, ready: Promise<boolean> }

let helper: Helper | null = null
let threads = defaultThreads()
/** 'helper': this thread claims no chunk and waits for the helper to run them all (tests). */
let mode: 'both' | 'helper' = 'both'
let minEntries = PARALLEL_ENTRIES

function defaultThreads (): number {
  const env = process.env.AGORA_YUMA_THREADS
  if (env === '1' || env === '2') return Number(env)
  return availableParallelism() >= 2 ? 2 : 1
}

/**
 * Use 1 or 2 threads for the epochs that follow (default: 2 where the machine has two cores, or
 * `AGORA_YUMA_THREADS`). The result is the same bits either way. For tests: `helperOnly` leaves
 * every chunk to the helper, `minEntries` (default {@link PARALLEL_ENTRIES}) is the size from
 * which a stage is split.
 */
export function setYumaThreads (n: 1 | 2, options: { helperOnly?: boolean, minEntries?: number } = {}): void {
  threads = n
  mode = n === 2 && options.helperOnly === true ? 'helper' : 'both'
  minEntries = options.minEntries ?? PARALLEL_ENTRIES
}

/** Chunks the current helper thread has run (0 without one). */
export function helperChunks (): number {
  return helper == null ? 0 : Atomics.load(helper.ctl, HELPED)
}

/**
 * Start the helper thread now rather than with the first split stage (whose rows this thread
 * runs alone until the helper has loaded); resolves true once it is ready, false with one thread.
 */
export async function startYumaHelper (): Promise<boolean> {
  if (threads !== 2) return false
  const h = startHelper()
  return h == null ? false : h.ready
}

/** End the helper thread, if one runs (a later split stage starts another). */
export function stopYumaHelper (): void {
  const h = helper
  helper = null
  if (h != null) h.worker.terminate().catch(() => {})
}

/** Helpers lost so far: after {@link MAX_LOST} of them, epochs stay on one thread. */
let lostHelpers = 0
const MAX_LOST = 3

/** The helper is gone or failed: end it; after {@link MAX_LOST} of them, stay on one thread. */
function loseHelper (): void {
  stopYumaHelper()
  if (++lostHelpers >= MAX_LOST) threads = 1
}

function startHelper (): Helper | null {
  if (helper != null && !helper.lost) return helper
  if (helper != null) loseHelper()
  if (threads !== 2) return null
  try {
    const ctl = new Int32Array(new SharedArrayBuffer(4 * 4))
    const worker = new Worker(new URL(import.meta.url.endsWith('.ts') ? './threads-worker.ts' : './threads-worker.js', import.meta.url) /* .js in the built dist/ */, { workerData: ctl })
    worker.unref() // an idle helper does not keep the process alive
    let loaded = (_ok: boolean): void => {}
    const h: Helper = { worker, ctl, gen: 0, lost: false, ready: new Promise(resolve => { loaded = resolve }) }
    worker.once('message', () => loaded(true)) // 'ready'
    worker.on('error', () => { h.lost = true })
    worker.on('exit', () => { h.lost = true; loaded(false) })
    helper = h
    return h
  } catch {
    return null
  }
}

/**
 * Row boundaries cutting rows [0, rows) of `ptr` into at most {@link CHUNKS} ranges of about equal
 * entry count (rows are not split; empty ranges are dropped).
 */
export function chunkBounds (ptr: Int32Array, rows: number, chunks = CHUNKS): Int32Array {
  const nnz = ptr[rows]
  const out = [0]
  let i = 0
  for (let c = 1; c < chunks; c++) {
    const goal = (nnz * c) / chunks
    while (i < rows && ptr[i] < goal) i++ // the first row starting at or past the goal
    if (i > out[out.length - 1] && i < rows) out.push(i)
  }
  out.push(rows)
  return Int32Array.from(out)
}

/**
 * Run `stage` over rows [0, rows) of a matrix with row pointers `ptr`: split between this thread
 * and the helper when its `work` (default: its entries) is {@link PARALLEL_ENTRIES} or more (see
 * setYumaThreads) and two threads are enabled, here alone otherwise. `parallel` false forces this
 * thread (arrays that are not shared).
 * Throws {@link HelperLostError} if the helper failed while holding chunks.
 */
export function forRows<A> (name: StageName, stage: RowStage<A>, args: A, ptr: Int32Array, rows: number, parallel = true, work = ptr[rows]): void {
  const h = parallel && threads === 2 && work >= minEntries ? startHelper() : null
  if (h == null) {
    stage(args, 0, rows, 0)
    return
  }
  const bounds = chunkBounds(ptr, rows)
  const { ctl } = h
  h.gen = (h.gen + 1) & 0x3fffff
  Atomics.store(ctl, DONE, 0)
  Atomics.store(ctl, FAILED, 0)
  Atomics.store(ctl, NEXT, h.gen << CHUNK_BITS)
  const message: StageMessage = { stage: name, args, gen: h.gen, bounds }
  h.worker.postMessage(message)
  // an error of this thread's chunks is thrown once the helper has let go of the arrays too
  const error = mode === 'both' ? runChunks(ctl, h.gen, bounds, stage, args, 0) : undefined
  const chunks = bounds.length - 1
  let waits = 0
  for (let d = Atomics.load(ctl, DONE); d < chunks; d = Atomics.load(ctl, DONE)) {
    if (h.lost || waits++ === LOST_WAITS) {
      loseHelper()
      throw new HelperLostError(`the yuma helper thread stopped during stage ${name}`)
    }
    Atomics.wait(ctl, DONE, d, 100)
  }
  if (error !== undefined) throw error instanceof Error ? error : new Error(String(error))
  if (Atomics.load(ctl, FAILED) !== 0) {
    loseHelper()
    throw new HelperLostError(`the yuma helper thread failed in stage ${name}`)
  }
}
