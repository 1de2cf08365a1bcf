/**
 * Parallel ed25519 verification: a batch is split over worker threads (and the calling thread),
 * each running the same verifier as `keys.ts`, so the result is identical to verifying in turn.
 * Signature checks dominate the cost of a transaction; this is how a block of thousands of
 * transactions is checked at the machine's full width.
 */
import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import { verify } from './keys.ts'

/** One signature to check. */
export interface VerifyItem { signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array }

/** Below this many items a batch is verified on the calling thread. */
const MIN_PARALLEL = 256

/** A pool of verification workers. `close()` ends them. */
export class VerifyPool {
  private readonly workers: Worker[] = []
  private readonly waiting = new Map<number, (ok: boolean[]) => void>()
  private nextId = 0

  /** @param size worker count; @default availableParallelism() − 1 (at least 1) */
  constructor (size = Math.max(1, availableParallelism() - 1)) {
    for (let i = 0; i < size; i++) {
      const w = new Worker(new URL('./verify-worker.ts', import.meta.url))
      w.unref()
      w.on('message', (m: { id: number, ok: boolean[] }) => {
        const done = this.waiting.get(m.id)
        this.waiting.delete(m.id)
        done?.(m.ok)
      })
      this.workers.push(w)
    }
  }

  /** Verify every item; `result[i]` is true iff item i verifies. */
  async verifyAll (items: readonly VerifyItem[]): Promise<boolean[]> {
    const local = (list: readonly VerifyItem[]): boolean[] => list.map(x => {
      try {
        return verify(x.signature, x.message, x.publicKey)
      } catch {
        return false
      }
    })
    if (items.length < MIN_PARALLEL || this.workers.length === 0) return local(items)
    const lanes = this.workers.length + 1
    const size = Math.ceil(items.length / lanes)
    const parts = this.workers.map(async (w, i) => {
      const slice = items.slice((i + 1) * size, (i + 2) * size)
      if (slice.length === 0) return []
      const id = this.nextId++
      return new Promise<boolean[]>(resolve => {
        this.waiting.set(id, resolve)
        w.postMessage({ id, sigs: slice.map(x => x.signature), msgs: slice.map(x => x.message), keys: slice.map(x => x.publicKey) })
      })
    })
    for (const w of this.workers) w.ref()
    try {
      const mine = local(items.slice(0, size))
      return [mine, ...await Promise.all(parts)].flat()
    } finally {
      for (const w of this.workers) w.unref()
    }
  }

  /** End the workers. */
  async close (): Promise<void> {
    await Promise.all(this.workers.splice(0).map(async w => w.terminate()))
  }
}
