/**
 * A small readers–writer lock: imports and fetches hold it shared, garbage collection exclusive,
 * so gc never deletes blocks of a DAG that is still being written and not yet pinned.
 */
export class RwLock {
  #readers = 0
  #writer: Promise<void> | undefined
  #drained: (() => void) | undefined

  /** Run `fn` while holding the lock shared. */
  async shared<T> (fn: () => Promise<T>): Promise<T> {
    while (this.#writer != null) await this.#writer
    this.#readers++
    try {
      return await fn()
    } finally {
      this.#readers--
      if (this.#readers === 0) this.#drained?.()
    }
  }

  /** Run `fn` while holding the lock exclusively. */
  async exclusive<T> (fn: () => Promise<T>): Promise<T> {
    while (this.#writer != null) await this.#writer
    let release = (): void => {}
    this.#writer = new Promise<void>(resolve => { release = resolve })
    try {
      if (this.#readers > 0) await new Promise<void>(resolve => { this.#drained = resolve })
      this.#drained = undefined
      return await fn()
    } finally {
      const r = release
      this.#writer = undefined
      r()
    }
  }
}
