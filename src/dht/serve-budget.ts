/**
 * The global budget of bytes being served: bytes read from the blockstore for a peer and not yet
 * taken by the transport, all streams, connections and protocols (our fetch protocol and Bitswap)
 * together. A server acquires a lease before it reads a block and gives it back once the block
 * has left the stream's send buffer, or when the stream ends or is reset.
 *
 * Policy (fairness): leases are granted to waiting requests in order of how many bytes their peer
 * already holds (least first, then first come): a peer holding more than others waits first, so
 * a peer that has just connected is served before those that hold much of the budget. Peer ids
 * are free, so this alone does not stop an attacker with many identities from holding the whole
 * budget with streams it never reads; therefore, while a request waits, any holder whose peer has
 * taken none of its queued bytes for `stallTimeout` (5 s) is reset, its budget goes to the
 * waiters, and its peer is marked as a staller: the requests of marked peers are served after
 * everybody else's (for `STALLER_MEMORY` ms, at most `MAX_STALLERS` peers remembered). A peer
 * that never reads thus holds budget only while nobody else needs it, or for about `stallTimeout`
 * when somebody does, and then queues behind the others; an honest reader takes bytes
 * continuously and is never blocked that long, so a newcomer waits about one `stallTimeout`
 * however many never-read streams are open (within the 10 s a fetcher waits for a block).
 */
import { StreamStalledError } from './errors.ts'
import type { AbortOptions } from '@libp2p/interface'

/** Default of `NetworkInit.serveMaxBufferedBytes` (the config's `serve.maxBufferedBytes`). */
export const DEFAULT_MAX_BUFFERED_BYTES = 64 * 1024 * 1024

/** Default of `ServeBudgetInit.stallTimeout`, ms. */
export const DEFAULT_STALL_TIMEOUT = 5_000

/** How long a peer reset for stalling is served after the others, ms. */
export const STALLER_MEMORY = 60_000

/** Peers remembered as stallers (the oldest is forgotten first): bounds the memory of the mark. */
export const MAX_STALLERS = 4096

export interface ServeBudgetInit {
  /** Bytes that may be held by all leases together. */
  maxBytes: number
  /** Time a holder may stay blocked on its peer while others wait, before it is reset, ms. @default 5000 */
  stallTimeout?: number
}

/** Bytes reserved from the budget; `release()` is idempotent. */
export interface Lease {
  readonly bytes: number
  /** Lowers the reservation to `bytes` (e.g. to the size of the block once read); never raises it. */
  shrink(bytes: number): void
  release(): void
}

interface Waiter {
  holder: BudgetHolder
  bytes: number
  seq: number
  resolve(lease: Lease): void
  reject(err: Error): void
}

/** The budget shared by every server of one node. */
export class ServeBudget {
  readonly maxBytes: number
  readonly stallTimeout: number
  private usedBytes = 0
  private seq = 0
  private readonly perPeer = new Map<string, number>()
  private readonly holders = new Set<BudgetHolder>()
  private readonly waiters: Waiter[] = []
  /** Peers reset for stalling, with the time, oldest first (a Map keeps insertion order). */
  private readonly stallers = new Map<string, number>()
  private timer?: ReturnType<typeof setTimeout>

  constructor (init: ServeBudgetInit) {
    if (!(init.maxBytes > 0)) throw new RangeError('maxBytes must be positive')
    this.maxBytes = init.maxBytes
    this.stallTimeout = init.stallTimeout ?? DEFAULT_STALL_TIMEOUT
  }

  /** Bytes held by all leases now. */
  get used (): number {
    return this.usedBytes
  }

  /** Requests waiting for budget. */
  get waiting (): number {
    return this.waiters.length
  }

  /** Bytes held by one peer's leases. */
  heldBy (peer: string): number {
    return this.perPeer.get(peer) ?? 0
  }

  /**
   * A holder for one stream (or one Bitswap send) of `peer`. `onReset` is called when the holder
   * is reset for stalling while others wait (it should abort the stream); its leases are
   * released right after.
   */
  holder (peer: string, onReset?: (err: Error) => void): BudgetHolder {
    const h = new BudgetHolder(this, peer, onReset)
    this.holders.add(h)
    return h
  }

  /** @internal */
  enqueue (holder: BudgetHolder, bytes: number, options?: AbortOptions): Promise<Lease> {
    options?.signal?.throwIfAborted()
    return new Promise<Lease>((resolve, reject) => {
      const waiter: Waiter = { holder, bytes, seq: this.seq++, resolve, reject }
      const onAbort = (): void => {
        this.removeWaiter(waiter)
        reject(options?.signal?.reason ?? new Error('aborted'))
      }
      options?.signal?.addEventListener('abort', onAbort, { once: true })
      waiter.resolve = (lease) => { options?.signal?.removeEventListener('abort', onAbort); resolve(lease) }
      waiter.reject = (err) => { options?.signal?.removeEventListener('abort', onAbort); reject(err) }
      this.waiters.push(waiter)
      this.grant()
    })
  }

  /** @internal Whether `bytes` could be granted at once without passing anyone waiting. */
  fitsNow (bytes: number): boolean {
    return this.waiters.length === 0 && (this.usedBytes + bytes <= this.maxBytes || this.usedBytes === 0)
  }

  /** @internal */
  reserve (holder: BudgetHolder, bytes: number): void {
    this.usedBytes += bytes
    this.perPeer.set(holder.peer, this.heldBy(holder.peer) + bytes)
  }

  /** @internal */
  giveBack (holder: BudgetHolder, bytes: number): void {
    if (bytes <= 0) return
    this.usedBytes -= bytes
    const left = this.heldBy(holder.peer) - bytes
    if (left > 0) this.perPeer.set(holder.peer, left)
    else this.perPeer.delete(holder.peer)
    this.grant()
  }

  /** @internal */
  forget (holder: BudgetHolder): void {
    this.holders.delete(holder)
    for (const w of this.waiters.filter(w => w.holder === holder)) {
      this.removeWaiter(w)
      w.reject(new StreamStalledError('the stream ended while waiting for serving budget'))
    }
  }

  private removeWaiter (w: Waiter): void {
    const i = this.waiters.indexOf(w)
    if (i >= 0) this.waiters.splice(i, 1)
    if (this.waiters.length === 0) this.disarm()
  }

  /** Whether `peer` was reset for stalling within `STALLER_MEMORY`. */
  isStaller (peer: string, now = Date.now()): boolean {
    const t = this.stallers.get(peer)
    return t != null && now - t < STALLER_MEMORY
  }

  private markStaller (peer: string, now: number): void {
    this.stallers.delete(peer)
    this.stallers.set(peer, now)
    for (const [p, t] of this.stallers) {
      if (this.stallers.size <= MAX_STALLERS && now - t < STALLER_MEMORY) break
      this.stallers.delete(p)
    }
  }

  /** The waiter served next: peers not marked as stallers first, then the one holding least, then the oldest. */
  private next (): Waiter | undefined {
    const now = Date.now()
    let best: Waiter | undefined
    let bestKey: [number, number, number] = [0, 0, 0]
    for (const w of this.waiters) {
      const key: [number, number, number] = [this.isStaller(w.holder.peer, now) ? 1 : 0, this.heldBy(w.holder.peer), w.seq]
      if (best == null || key[0] < bestKey[0] || (key[0] === bestKey[0] && (key[1] < bestKey[1] || (key[1] === bestKey[1] && key[2] < bestKey[2])))) {
        best = w
        bestKey = key
      }
    }
    return best
  }

  private grant (): void {
    while (true) {
      const w = this.next()
      if (w == null) break
      // a request larger than the whole budget is granted when nothing else is held, so a
      // budget smaller than a block slows serving down to one block at a time but never stops it
      if (this.usedBytes + w.bytes > this.maxBytes && this.usedBytes > 0) break
      this.removeWaiter(w)
      w.resolve(w.holder.lease(w.bytes))
    }
    if (this.waiters.length > 0) this.arm()
  }

  private arm (): void {
    if (this.timer != null) return
    const check = (): void => {
      this.timer = undefined
      this.resetStalled()
      if (this.waiters.length > 0) this.arm()
    }
    this.timer = setTimeout(check, Math.max(10, Math.floor(this.stallTimeout / 4)))
    this.timer.unref?.()
  }

  private disarm (): void {
    if (this.timer != null) clearTimeout(this.timer)
    this.timer = undefined
  }

  /**
   * Resets every holder whose peer has taken none of its queued bytes since `stallTimeout` ago
   * (checked from the first check made while someone waits).
   */
  private resetStalled (): void {
    const now = Date.now()
    for (const h of [...this.holders]) {
      if (h.held > 0 && h.stalledFor(now) >= this.stallTimeout) {
        this.markStaller(h.peer, now)
        h.reset(new StreamStalledError(`the peer took no bytes for ${this.stallTimeout} ms while others waited for serving budget`))
      }
    }
  }
}

/** How far a holder's peer is: whether bytes wait for it, and how many it has taken in total. */
export interface HolderProgress {
  waiting: boolean
  taken: number
}

/** The leases of one stream: closing it releases them all. */
export class BudgetHolder {
  readonly peer: string
  private readonly budget: ServeBudget
  private readonly onReset?: (err: Error) => void
  private probe?: () => HolderProgress
  private since?: number
  private lastTaken = 0
  private readonly leases = new Set<Lease>()
  private heldBytes = 0
  private closed = false

  constructor (budget: ServeBudget, peer: string, onReset?: (err: Error) => void) {
    this.budget = budget
    this.peer = peer
    this.onReset = onReset
  }

  /** Bytes held by this holder's leases. */
  get held (): number {
    return this.heldBytes
  }

  /** Reserves `bytes` if they fit now and nobody waits, else returns `undefined`. */
  tryAcquire (bytes: number): Lease | undefined {
    if (this.closed || !this.budget.fitsNow(bytes)) return undefined
    return this.lease(bytes)
  }

  /** Waits until `bytes` fit in the budget (see the fairness policy above), then reserves them. */
  async acquire (bytes: number, options?: AbortOptions): Promise<Lease> {
    if (this.closed) throw new StreamStalledError('the stream has ended')
    return this.budget.enqueue(this, bytes, options)
  }

  /**
   * Tells the budget how to see whether this holder's peer takes its bytes. A holder without a
   * probe (a Bitswap send, bounded by its own timeout) is never reset for stalling.
   */
  watch (probe: () => HolderProgress): void {
    this.probe = probe
  }

  /** @internal How long the peer has taken none of the bytes waiting for it, ms, as seen by the checks. */
  stalledFor (now: number): number {
    const p = this.probe?.()
    if (p == null || !p.waiting) {
      this.since = undefined
      return 0
    }
    if (this.since == null || p.taken !== this.lastTaken) {
      this.since = now
      this.lastTaken = p.taken
    }
    return now - this.since
  }

  /** Releases every lease and refuses new ones. Idempotent. */
  close (): void {
    if (this.closed) return
    this.closed = true
    // its waits fail first, so the bytes released next go to other holders, not back to them
    this.budget.forget(this)
    for (const l of [...this.leases]) l.release()
  }

  /** @internal */
  reset (err: Error): void {
    if (this.closed) return
    try {
      this.onReset?.(err)
    } finally {
      this.close()
    }
  }

  /** @internal */
  lease (bytes: number): Lease {
    this.budget.reserve(this, bytes)
    this.heldBytes += bytes
    let current = bytes
    let released = false
    const lease: Lease = {
      get bytes () { return current },
      shrink: (n: number) => {
        if (released || n >= current) return
        const freed = current - Math.max(0, n)
        current -= freed
        this.heldBytes -= freed
        this.budget.giveBack(this, freed)
      },
      release: () => {
        if (released) return
        released = true
        this.leases.delete(lease)
        this.heldBytes -= current
        this.budget.giveBack(this, current)
      }
    }
    this.leases.add(lease)
    if (this.closed) lease.release()
    return lease
  }
}
