/**
 * The state as a key → value map with copy-on-write overlays and an incremental state root.
 *
 * - `StateStore` holds the committed state. `commit(changes)` applies a block's changes, updates
 *   the root and returns the encoded changes for the block's atomic write.
 * - `Overlay` records writes on top of a parent (the store or another overlay). A transaction
 *   runs on its own overlay; if it throws, the overlay is dropped and nothing changed.
 * - The state root: keys fall into 256 buckets by FNV-1a of the key; a leaf is
 *   `sha256(key ‖ 0x00 ‖ encodeValue(value))`; a bucket hash is `sha256` of its leaves in key
 *   order; the root is `sha256("agora-state" ‖ bucket hashes)`. Only buckets touched by a block
 *   are rehashed.
 */
import { createHash } from 'node:crypto'
import { encodeValue } from './codec.ts'
import type { Value } from './codec.ts'

/** Read/write access to state values. Values are never mutated in place: write a new object. */
export interface KV {
  get: (key: string) => Value | undefined
  put: (key: string, value: Value) => void
  del: (key: string) => void
}

const BUCKETS = 256
const DELETED = Symbol('deleted')
const enc = new TextEncoder()

/** FNV-1a over the UTF-16 code units, reduced to a bucket. */
function bucketOf (key: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return (h >>> 0) % BUCKETS
}

function sha256 (...parts: Uint8Array[]): Uint8Array {
  const h = createHash('sha256')
  for (const p of parts) h.update(p)
  return new Uint8Array(h.digest())
}

/** One changed key of a committed block: the encoded value, or null when deleted. */
export interface Change {
  key: string
  value: Uint8Array | null
}

/** Anything values can be read from. */
export interface Readable {
  get: (key: string) => Value | undefined
}

/** Writes over a parent; `mergeInto(parent)` pushes them down, dropping the overlay discards them. */
export class Overlay implements KV {
  readonly parent: Readable
  readonly writes = new Map<string, Value | typeof DELETED>()
  constructor (parent: Readable) { this.parent = parent }
  get (key: string): Value | undefined {
    const v = this.writes.get(key)
    if (v === DELETED) return undefined
    return v ?? this.parent.get(key)
  }

  put (key: string, value: Value): void { this.writes.set(key, value) }
  del (key: string): void { this.writes.set(key, DELETED) }
  /** Apply these writes to `target` (normally the parent overlay). */
  mergeInto (target: KV): void {
    for (const [k, v] of this.writes) {
      if (v === DELETED) target.del(k)
      else target.put(k, v)
    }
    this.writes.clear()
  }

  /** The writes as (key, value | undefined) pairs. */
  entries (): Array<[string, Value | undefined]> {
    return [...this.writes].map(([k, v]) => [k, v === DELETED ? undefined : v])
  }
}

/** The committed state, with its bucketed hash index. */
export class StateStore {
  private readonly values = new Map<string, Value>()
  private readonly leaves: Array<Map<string, Uint8Array>> = Array.from({ length: BUCKETS }, () => new Map())
  private readonly bucketHashes: Uint8Array[] = Array.from({ length: BUCKETS }, () => sha256())
  private readonly dirty = new Set<number>()
  private rootCache: Uint8Array | undefined

  get (key: string): Value | undefined { return this.values.get(key) }
  has (key: string): boolean { return this.values.has(key) }
  get size (): number { return this.values.size }
  keys (): IterableIterator<string> { return this.values.keys() }
  entries (): IterableIterator<[string, Value]> { return this.values.entries() }

  /** Apply a set of writes (value undefined = delete); returns the encoded changes. */
  commit (writes: Iterable<[string, Value | undefined]>): Change[] {
    const out: Change[] = []
    for (const [key, value] of writes) {
      const b = bucketOf(key)
      this.dirty.add(b)
      this.rootCache = undefined
      if (value === undefined) {
        this.values.delete(key)
        this.leaves[b].delete(key)
        out.push({ key, value: null })
      } else {
        const bytes = encodeValue(value)
        this.values.set(key, value)
        this.leaves[b].set(key, sha256(enc.encode(key), Uint8Array.of(0), bytes))
        out.push({ key, value: bytes })
      }
    }
    return out
  }

  /** Load an already-encoded value (restart path); `value` must be the decoding of `bytes`. */
  load (key: string, value: Value, bytes: Uint8Array): void {
    const b = bucketOf(key)
    this.values.set(key, value)
    this.leaves[b].set(key, sha256(enc.encode(key), Uint8Array.of(0), bytes))
    this.dirty.add(b)
    this.rootCache = undefined
  }

  /** The state root (32 bytes). */
  root (): Uint8Array {
    if (this.rootCache != null) return this.rootCache
    for (const b of this.dirty) {
      const bucket = this.leaves[b]
      const keys = [...bucket.keys()].sort()
      const h = createHash('sha256')
      for (const k of keys) h.update(bucket.get(k) as Uint8Array)
      this.bucketHashes[b] = new Uint8Array(h.digest())
    }
    this.dirty.clear()
    this.rootCache = sha256(enc.encode('agora-state'), ...this.bucketHashes)
    return this.rootCache
  }
}
