/**
 * SHA-256 of import blocks on worker threads. A block that lies in the pool's shared memory (the
 * import's read buffers, see `BufferPool`) is hashed by a worker that sees that memory: the only
 * message is its offset and length, and the digest back. Anything else is hashed on the calling
 * thread, as is every block whose worker died. Digests are those of `node:crypto` either way.
 */
import { createHash } from 'node:crypto'
import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'

/**
 * The worker: SHA-256 of a range of the shared memory it was started with; the digest goes back
 * by job id. Plain CommonJS evaluated as is: a worker that loads a .ts module also loads the type
 * stripper (~10 MiB more RSS per worker).
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const { createHash } = require('node:crypto')
const memory = Buffer.from(workerData)
parentPort.on('message', m => {
  parentPort.postMessage({ id: m.id, digest: createHash('sha256').update(memory.subarray(m.offset, m.offset + m.length)).digest() })
})
`

/** What a worker receives. */
export interface HashJobMessage {
  id: number
  offset: number
  length: number
}

interface Job {
  message: HashJobMessage
  bytes: Uint8Array
  resolve: (digest: Uint8Array) => void
}

interface Member { worker: Worker, jobs: Map<number, Job> }

/** SHA-256 of `bytes` on this thread. */
export function sha256Here (bytes: Uint8Array): Uint8Array {
  return createHash('sha256').update(bytes).digest()
}

/**
 * One worker hashes ~1.4 GiB/s, more than an import writes to disk; a second one (~12 MiB RSS)
 * only where there are cores to spare for it besides this thread and the file I/O threads.
 */
export function defaultHashWorkers (): number {
  return availableParallelism() >= 4 ? 2 : 1
}

/** Hash workers sharing one `SharedArrayBuffer`; `close()` ends them. */
export class HashPool {
  readonly #memory: SharedArrayBuffer
  #size: number
  readonly #members: Member[] = []
  #nextId = 0
  #closed = false
  #offloaded = 0

  /** @param size worker count; @default {@link defaultHashWorkers} */
  constructor (memory: SharedArrayBuffer, size = defaultHashWorkers()) {
    this.#memory = memory
    this.#size = size
  }

  /** Digests computed by workers so far. */
  get offloaded (): number { return this.#offloaded }

  /** Workers this pool runs (they start with the first job). */
  get size (): number { return this.#size }

  /** SHA-256 of `bytes`: on a worker when they lie in the shared memory. */
  async digest (bytes: Uint8Array): Promise<Uint8Array> {
    if (this.#closed || bytes.buffer !== this.#memory) return sha256Here(bytes)
    this.#start()
    let member: Member | undefined
    for (const m of this.#members) if (member == null || m.jobs.size < member.jobs.size) member = m
    if (member == null) return sha256Here(bytes)
    const id = this.#nextId++
    const message: HashJobMessage = { id, offset: bytes.byteOffset, length: bytes.byteLength }
    const target = member
    return new Promise(resolve => {
      target.jobs.set(id, { message, bytes, resolve })
      target.worker.postMessage(message)
    })
  }

  /** End the workers; jobs still open are hashed on this thread. */
  async close (): Promise<void> {
    this.#closed = true
    await Promise.all([...this.#members].map(async m => { await this.#lost(m) }))
  }

  #start (): void {
    while (this.#members.length < this.#size) {
      const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: this.#memory })
      const member: Member = { worker, jobs: new Map() }
      worker.on('message', (r: { id: number, digest: Uint8Array }) => {
        const job = member.jobs.get(r.id)
        if (job == null) return
        member.jobs.delete(r.id)
        this.#offloaded++
        job.resolve(r.digest)
      })
      worker.on('error', () => {}) // its jobs are hashed here ('exit')
      worker.on('exit', () => {
        // Policy: a worker that died is not replaced (its share is hashed on this thread).
        if (!this.#closed && this.#members.includes(member)) this.#size--
        this.#lost(member).catch(() => {})
      })
      this.#members.push(member)
    }
  }

  /** A worker is gone (or being closed): what it had is hashed on this thread. */
  async #lost (m: Member): Promise<void> {
    const i = this.#members.indexOf(m)
    if (i < 0) return
    this.#members.splice(i, 1)
    for (const job of m.jobs.values()) job.resolve(sha256Here(job.bytes))
    m.jobs.clear()
    await m.worker.terminate()
  }
}
