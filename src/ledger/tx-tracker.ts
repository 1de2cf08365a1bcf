/**
 * Which block included a transaction: a bounded map from tx hash to height, filled from the
 * ledger's `block` events, and waiters that resolve when their hash lands (or reject when the
 * signer's nonce moved past it without it, or on timeout).
 */
import { createHash } from 'node:crypto'
import { TxDroppedError, TxRefusedError, TxTimeoutError } from './errors.ts'
import type { Block } from './block.ts'
import type { Ledger } from './ledger.ts'
import type { AbortOptions } from '@libp2p/interface'

/** Policy: remember the blocks of this many recent transactions (older ones are looked up in recent blocks). */
const MAX_REMEMBERED = 200_000
/** How many recent blocks a lookup of an unknown hash scans. */
const SCAN_BLOCKS = 64

interface Waiter { resolve: (r: { block: number }) => void, reject: (err: Error) => void }

/** Tracks inclusion of transactions into blocks. */
export class TxTracker {
  private readonly ledger: Ledger
  private readonly included = new Map<string, number>()
  private readonly submitted = new Map<string, { signer: string, nonce: number }>()
  private readonly waiters = new Map<string, Set<Waiter>>()
  /** Transactions the authority refused (bounded like `included`). */
  private readonly refused = new Map<string, TxRefusedError>()
  private readonly defaultTimeout: number
  private readonly onBlock = (evt: Event): void => { this.record((evt as CustomEvent<Block>).detail) }

  constructor (ledger: Ledger, defaultTimeoutMs: number) {
    this.ledger = ledger
    this.defaultTimeout = defaultTimeoutMs
  }

  start (): void { this.ledger.events.addEventListener('block', this.onBlock) }

  stop (): void {
    this.ledger.events.removeEventListener('block', this.onBlock)
    for (const [hash, set] of this.waiters) for (const w of set) w.reject(new TxTimeoutError(`stopped while waiting for ${hash}`))
    this.waiters.clear()
  }

  /** Note a transaction accepted here (so a later block that skips its nonce can drop it). */
  noteSubmitted (hash: string, signer: string, nonce: number): void {
    this.submitted.set(hash, { signer, nonce })
    if (this.submitted.size > MAX_REMEMBERED) this.submitted.delete(this.submitted.keys().next().value as string)
  }

  /** Resolve with the height of the block that included `hash`. */
  async wait (hash: string, options: AbortOptions & { timeoutMs?: number } = {}): Promise<{ block: number }> {
    const ms = options.timeoutMs ?? this.defaultTimeout
    // The waiter is registered before looking back, so a block committed meanwhile is not missed.
    const p = new Promise<{ block: number }>((resolve, reject) => {
      const set = this.waiters.get(hash) ?? new Set()
      this.waiters.set(hash, set)
      const done = (): void => {
        clearTimeout(timer)
        options.signal?.removeEventListener('abort', onAbort)
        set.delete(w)
        if (set.size === 0) this.waiters.delete(hash)
      }
      const w: Waiter = {
        resolve: r => { done(); resolve(r) },
        reject: err => { done(); reject(err) }
      }
      const timer = setTimeout(() => { w.reject(new TxTimeoutError(`transaction ${hash} was not included within ${ms} ms`)) }, ms)
      const onAbort = (): void => { w.reject(options.signal?.reason as Error ?? new Error('aborted')) }
      options.signal?.addEventListener('abort', onAbort, { once: true })
      set.add(w)
      const known = this.included.get(hash)
      if (known != null) { w.resolve({ block: known }); return }
      const refusal = this.refused.get(hash)
      if (refusal != null) { w.reject(refusal); return }
      this.scan(hash, options).then(h => { if (h != null) w.resolve({ block: h }) }, () => {})
    })
    return p
  }

  private async scan (hash: string, options: AbortOptions): Promise<number | undefined> {
    const head = this.ledger.status().height
    for (let h = head; h >= 1 && h > head - SCAN_BLOCKS; h--) {
      const b = await this.ledger.getBlock(h, options)
      if (b?.txs.some(t => hashOf(t) === hash) === true) return h
    }
    return undefined
  }

  /** The authority refused `hash`: its waiters fail now with `TxRefusedError` (unless it landed meanwhile). */
  refuse (hash: string, reason: string, message: string): void {
    if (this.included.has(hash)) return
    const err = new TxRefusedError(`the authority refused transaction ${hash}: ${reason}: ${message}`, reason)
    this.refused.set(hash, err)
    if (this.refused.size > MAX_REMEMBERED) this.refused.delete(this.refused.keys().next().value as string)
    this.submitted.delete(hash)
    for (const w of this.waiters.get(hash) ?? []) w.reject(err)
  }

  private record (block: Block): void {
    const height = block.header.height
    for (const t of block.txs) {
      const hash = hashOf(t)
      this.included.set(hash, height)
      this.submitted.delete(hash)
      for (const w of this.waiters.get(hash) ?? []) w.resolve({ block: height })
    }
    while (this.included.size > MAX_REMEMBERED) this.included.delete(this.included.keys().next().value as string)
    for (const hash of this.waiters.keys()) {
      const s = this.submitted.get(hash)
      if (s == null || this.ledger.nonce(s.signer) <= s.nonce) continue
      for (const w of this.waiters.get(hash) ?? []) w.reject(new TxDroppedError(`transaction ${hash} can no longer be included: nonce ${s.nonce} of ${s.signer} was used by another`))
      this.submitted.delete(hash)
    }
  }
}

function hashOf (bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}
