/**
 * Parallel ed25519 verification with the same verifier as `keys.ts` (`verify.ts`) (OpenSSL via node:crypto),
 * so the result is identical to verifying in turn. Signature checks dominate the cost of a
 * transaction; this is how batches and blocks are checked at the machine's full width.
 *
 * How work is shared:
 * - Requests are gathered into jobs. A job is packed once into one SharedArrayBuffer
 *   (signatures, public keys, message offsets, messages, one result byte per item) that every
 *   worker sees without a copy; the only message per job and worker is the buffer's handle.
 * - A job is cut into chunks of `CHUNK` items. Whoever is free claims the next chunk with one
 *   atomic increment: the workers, and the calling thread whenever its event loop is idle (one
 *   chunk per `setImmediate`, so I/O and the caller's own work go first). A thread that is slow
 *   or descheduled simply claims fewer chunks; no split is decided in advance.
 * - Whoever finishes a job's last chunk completes it (a worker posts the job id back).
 * - Workers start lazily and take part as soon as they are up; until then the calling thread
 *   verifies alone. A worker that dies leaves its chunks to the calling thread.
 */
import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import { verify } from './verify.ts'

/** One signature to check. */
export interface VerifyItem { signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array }

/** Items per chunk (~2 ms of verification on one core). */
export const CHUNK = 16
/** Gathered requests are sent as a job once this many items wait (else at the next `setImmediate`). */
const FLUSH_AT = 256
/** Control words of a job: the next chunk to claim, the number of chunks done. */
const NEXT = 0
const DONE = 1

/** What a worker receives for a job (see verify-worker.ts). */
export interface VerifyJobMessage {
  id: number
  sab: SharedArrayBuffer
  n: number
  /** Items per chunk. */
  chunk: number
  chunks: number
  /** Byte offsets in `sab` of: results (n bytes), message offsets (n + 1 u32), signatures (64 n), keys (32 n), messages. */
  at: { ok: number, offs: number, sigs: number, keys: number, msgs: number }
}

interface Waiter { from: number, to: number, resolve: (ok: boolean[]) => void }

class Job {
  readonly id: number
  readonly items: VerifyItem[]
  readonly waiters: Waiter[]
  readonly chunks: number
  readonly ctrl: Int32Array
  /** 0 not yet checked, 1 valid, 2 invalid. */
  readonly ok: Uint8Array
  readonly message: VerifyJobMessage
  finished = false

  constructor (id: number, items: VerifyItem[], waiters: Waiter[]) {
    this.id = id
    this.items = items
    this.waiters = waiters
    const n = items.length
    this.chunks = Math.ceil(n / CHUNK)
    let msgBytes = 0
    for (const x of items) msgBytes += x.message.length
    const okAt = 8
    const offsAt = align(okAt + n)
    const sigsAt = offsAt + 4 * (n + 1)
    const keysAt = sigsAt + 64 * n
    const msgsAt = keysAt + 32 * n
    const sab = new SharedArrayBuffer(msgsAt + msgBytes)
    this.ctrl = new Int32Array(sab, 0, 2)
    this.ok = new Uint8Array(sab, okAt, n)
    const offs = new Uint32Array(sab, offsAt, n + 1)
    const bytes = new Uint8Array(sab)
    let pos = 0
    for (let i = 0; i < n; i++) {
      const x = items[i]
      offs[i] = pos
      // malformed sizes are refused here, as `verify` throws (and the serial path says false) for them
      if (x.signature.length !== 64 || x.publicKey.length !== 32) this.ok[i] = 2
      else {
        bytes.set(x.signature, sigsAt + 64 * i)
        bytes.set(x.publicKey, keysAt + 32 * i)
      }
      bytes.set(x.message, msgsAt + pos)
      pos += x.message.length
    }
    offs[n] = pos
    this.message = { id, sab, n, chunk: CHUNK, chunks: this.chunks, at: { ok: okAt, offs: offsAt, sigs: sigsAt, keys: keysAt, msgs: msgsAt } }
  }

  /** Claim and verify one chunk on this thread; false if none was left. */
  runChunk (): boolean {
    const c = Atomics.add(this.ctrl, NEXT, 1)
    if (c >= this.chunks) return false
    this.verifyChunk(c)
    Atomics.add(this.ctrl, DONE, 1)
    return true
  }

  verifyChunk (c: number): void {
    const end = Math.min(this.items.length, (c + 1) * CHUNK)
    for (let i = c * CHUNK; i < end; i++) {
      if (this.ok[i] !== 0) continue
      this.ok[i] = verifyOne(this.items[i]) ? 1 : 2
    }
  }

  get complete (): boolean { return Atomics.load(this.ctrl, DONE) >= this.chunks }
  get claimable (): boolean { return Atomics.load(this.ctrl, NEXT) < this.chunks }
}

function align (n: number): number { return (n + 3) & ~3 }

function verifyOne (x: VerifyItem): boolean {
  try {
    return verify(x.signature, x.message, x.publicKey)
  } catch {
    return false
  }
}

/** A pool of verification workers sharing jobs with the calling thread. `close()` ends them. */
export class VerifyPool {
  private readonly size: number
  private readonly mainHelps: boolean
  private readonly workers: Worker[] = []
  private readonly jobs: Job[] = []
  private forming: { items: VerifyItem[], waiters: Waiter[] } = { items: [], waiters: [] }
  private flushScheduled = false
  private helping = false
  private referenced = false
  private nextId = 0
  private closed = false
  private readonly ready: Array<Promise<void>> = []

  /**
   * @param size worker count; @default availableParallelism() − 1 (at least 1)
   * @param options.mainThreadHelps the calling thread takes chunks when idle; @default true
   */
  constructor (size = Math.max(1, availableParallelism() - 1), options: { mainThreadHelps?: boolean } = {}) {
    this.size = size
    this.mainHelps = options.mainThreadHelps !== false
  }

  /**
   * Verify every item; `result[i]` is true iff item i verifies. The items join the job being
   * gathered, which is sent once `FLUSH_AT` items wait, on `flush()`, or at the next
   * `setImmediate`.
   */
  async verifyAll (items: readonly VerifyItem[]): Promise<boolean[]> {
    if (items.length === 0) return []
    if (this.closed) return items.map(verifyOne)
    return new Promise(resolve => {
      const f = this.forming
      f.waiters.push({ from: f.items.length, to: f.items.length + items.length, resolve })
      for (const x of items) f.items.push(x)
      if (f.items.length >= FLUSH_AT) this.flush()
      else if (!this.flushScheduled) {
        this.flushScheduled = true
        setImmediate(() => { this.flushScheduled = false; this.flush() })
      }
    })
  }

  /** Send the requests gathered so far as one job now. */
  flush (): void {
    const f = this.forming
    if (f.items.length === 0) return
    this.forming = { items: [], waiters: [] }
    const job = new Job(this.nextId++, f.items, f.waiters)
    this.jobs.push(job)
    this.start()
    for (const w of this.workers) w.postMessage(job.message)
    this.ref(true)
    this.help()
  }

  /** Start the workers now (rather than with the first job); resolves once they have loaded. */
  async warm (): Promise<void> {
    this.start()
    await Promise.all(this.ready)
  }

  /** End the workers; jobs still open are finished on this thread first. */
  async close (): Promise<void> {
    this.closed = true
    this.flush()
    for (const job of [...this.jobs]) this.finishHere(job)
    await Promise.all(this.workers.splice(0).map(async w => w.terminate()))
  }

  private start (): void {
    while (this.workers.length < this.size) {
      const w = new Worker(new URL(import.meta.url.endsWith('.ts') ? './verify-worker.ts' : './verify-worker.js', import.meta.url) /* .js in the built dist/ */)
      if (!this.referenced) w.unref()
      let loaded = (): void => {}
      this.ready.push(new Promise<void>(resolve => { loaded = resolve }))
      w.on('message', (id: number | 'ready') => {
        if (id === 'ready') return loaded()
        const job = this.jobs.find(j => j.id === id)
        if (job != null) this.check(job)
      })
      w.on('error', () => {}) // a dead worker's chunks are finished on this thread ('exit')
      w.on('exit', () => { loaded(); this.lost(w) })
      this.workers.push(w)
    }
  }

  /** A worker is gone: what it had claimed may never be done, so this thread finishes every open job. */
  private lost (w: Worker): void {
    const i = this.workers.indexOf(w)
    if (i < 0) return
    this.workers.splice(i, 1)
    for (const job of [...this.jobs]) this.finishHere(job)
  }

  /** Verify on this thread every item of `job` not yet verified (claimed or not), and complete it. */
  private finishHere (job: Job): void {
    Atomics.store(job.ctrl, NEXT, job.chunks)
    for (let c = 0; c < job.chunks; c++) job.verifyChunk(c)
    Atomics.store(job.ctrl, DONE, job.chunks)
    this.check(job)
  }

  /** The calling thread takes chunks while its event loop has nothing else to do. */
  private help (): void {
    if (this.helping || !this.mainHelps) return
    this.helping = true
    setImmediate(() => {
      this.helping = false
      const job = this.jobs.find(j => j.claimable)
      if (job == null) return
      if (job.runChunk()) this.check(job)
      if (this.jobs.some(j => j.claimable)) this.help()
    })
  }

  private check (job: Job): void {
    if (job.finished || !job.complete) return
    job.finished = true
    this.jobs.splice(this.jobs.indexOf(job), 1)
    if (this.jobs.length === 0) this.ref(false)
    for (const w of job.waiters) {
      const out = new Array<boolean>(w.to - w.from)
      for (let i = w.from; i < w.to; i++) out[i - w.from] = job.ok[i] === 1
      w.resolve(out)
    }
  }

  /** Workers keep the process alive only while jobs are open. */
  private ref (on: boolean): void {
    if (on === this.referenced) return
    this.referenced = on
    for (const w of this.workers) {
      if (on) w.ref()
      else w.unref()
    }
  }
}
