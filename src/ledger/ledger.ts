/**
 * `Ledger`: the chain state machine as a Startable service over a datastore. The authority
 * orders submitted transactions into signed blocks (`produceBlock`, on a timer with
 * `produceBlocks: true`); every other peer re-executes blocks with `applyBlock`, which refuses
 * one from the wrong parent, with a bad signature or reaching a different state root. Each
 * block and its state changes are written in one datastore batch.
 */
import { logger } from '@libp2p/logger'
import { Key } from 'interface-datastore'
import { fromAddress, toAddress } from './address.ts'
import { blockSignatureItem, decodeBlock, sealBlock, txRoot, verifyBlockSignature } from './block.ts'
import { decodeValue, encodeValue } from './codec.ts'
import { BadSignatureError, CorruptLedgerError, InvalidBlockError, NotAuthorityError, StateRootMismatchError, WrongParentError } from './errors.ts'
import { commitBlock, moneyOf, OpenBlock } from './executor.ts'
import { genesisEntries, genesisHash } from './genesis.ts'
import { generateKeyPair, verify } from './keys.ts'
import { LedgerQueries } from './queries.ts'
import { Records } from './records.ts'
import { StateStore } from './state.ts'
import { decodeTxUnsafe } from './tx/codec.ts'
import type { UncheckedTx } from './tx/codec.ts'
import { VerifyPool } from './verify-pool.ts'
import { signRefusal } from './refusal.ts'
import type { Block } from './block.ts'
import type { Escrow } from './records.ts'
import type { Value } from './codec.ts'
import type { EpochRunner } from './epoch-types.ts'
import type { Genesis } from './genesis.ts'
import type { SignedTx } from './tx/types.ts'
import type { AbortOptions } from '@libp2p/interface'
import type { Datastore } from 'interface-datastore'

const log = logger('agora:ledger')
const MAX_POOL = 10_000
/** Batches at least this large have their signatures checked on the verification pool. */
const MIN_PARALLEL = 256
/** A large batch is decoded and handed to the pool in parts this size, so checking starts while the rest is decoded. */
const PART = 256

/**
 * Hashes of transactions whose signature this peer checked and found valid, so a transaction
 * it meets again (a follower's pooled one in a block, a re-gossiped one) is not checked twice.
 * Sound because the check is a function of the wire bytes alone (signature, signer key and
 * signed bytes are all in them) and the hash is sha256 of those bytes. Two generations of at
 * most `size` each.
 */
class VerifiedTxs {
  private current = new Set<string>()
  private previous = new Set<string>()
  private readonly size: number
  constructor (size: number) { this.size = size }
  has (hash: string): boolean { return this.current.has(hash) || this.previous.has(hash) }
  add (hash: string): void {
    if (this.current.size >= this.size) {
      this.previous = this.current
      this.current = new Set()
    }
    this.current.add(hash)
  }
}

/** How a `Ledger` is made. */
export interface LedgerInit {
  datastore: Datastore
  genesis: Genesis
  /** The epoch function (the Yuma adapter). */
  epoch: EpochRunner
  /** The authority's 32-byte secret key, on the authority peer only. */
  authorityKey?: Uint8Array
  /** Produce a block every `genesis.params.blockTimeMs` while started (authority only). @default false */
  produceBlocks?: boolean
  /** Datastore key prefix, so several chains can share a store. @default '/ledger' */
  prefix?: string
  /**
   * Worker threads for checking the signatures of large batches (blocks, `submitMany`);
   * 0 checks everything on the calling thread. Given (> 0), the workers start with the ledger;
   * by default they start with the first large batch. @default availableParallelism() − 1
   */
  verifyThreads?: number
}

/** The chain head. */
export interface Head { height: number, hash: string, stateRoot: string, timestamp: number }

/** The chain's state machine and block store. */
export class Ledger extends LedgerQueries {
  readonly genesis: Genesis
  readonly genesisHash: string
  private readonly ds: Datastore
  private readonly runEpoch: EpochRunner
  private readonly secretKey: Uint8Array | undefined
  private readonly prefix: string
  private readonly produce: boolean
  private readonly money = { total: 0n }
  private head: Head = { height: 0, hash: '', stateRoot: '', timestamp: 0 }
  private open: OpenBlock | undefined
  private pool: SignedTx[] = []
  private timer: ReturnType<typeof setInterval> | undefined
  private queue: Promise<unknown> = Promise.resolve()
  /** Blocks waiting in (or running on) `queue`. */
  private queued = 0
  /** `submitMany` applications and block seals, in call order (see `step`). */
  private sequence: Promise<void> = Promise.resolve()
  private started = false
  private readonly verifyThreads: number | undefined
  private verifier: VerifyPool | undefined
  private readonly verified = new VerifiedTxs(50_000)
  /** Fires `block` (detail: Block) after each block is committed. */
  readonly events = new EventTarget()

  constructor (init: LedgerInit) {
    super(new StateStore())
    this.genesis = init.genesis
    this.genesisHash = genesisHash(init.genesis)
    this.ds = init.datastore
    this.runEpoch = init.epoch
    this.prefix = init.prefix ?? '/ledger'
    this.produce = init.produceBlocks === true
    this.verifyThreads = init.verifyThreads
    if (init.authorityKey != null) {
      if (toAddress(generateKeyPair(init.authorityKey).publicKey) !== init.genesis.authority) throw new NotAuthorityError('the key given is not the genesis authority')
      this.secretKey = init.authorityKey
    }
  }

  /** True if this peer produces blocks. */
  get isAuthority (): boolean { return this.secretKey != null }

  /** Load the chain from the datastore (or write genesis) and check its state root. */
  async start (options?: AbortOptions): Promise<void> {
    if (this.started) return
    const headBytes = await this.ds.has(this.key('head'), options) ? await this.ds.get(this.key('head'), options) : undefined
    if (headBytes == null) {
      const batch = this.ds.batch()
      for (const c of this.store.commit(genesisEntries(this.genesis))) batch.put(this.key(`s/${c.key}`), c.value as Uint8Array)
      this.head = { height: 0, hash: this.genesisHash, stateRoot: hex(this.store.root()), timestamp: this.genesis.timestamp }
      batch.put(this.key('head'), this.encodeHead())
      await batch.commit(options)
    } else {
      const h = decodeValue(headBytes) as unknown as Head & { genesis: string }
      if (h.genesis !== this.genesisHash) throw new CorruptLedgerError('the datastore holds another chain (genesis hash differs)')
      const pre = `${this.prefix}/s/`
      for await (const { key, value } of this.ds.query({ prefix: pre }, options)) {
        this.store.load(key.toString().slice(pre.length), decodeValue(value), value)
      }
      this.head = { height: h.height, hash: h.hash, stateRoot: h.stateRoot, timestamp: h.timestamp }
      if (hex(this.store.root()) !== h.stateRoot) throw new CorruptLedgerError(`stored state does not hash to the head's state root at height ${h.height}`)
    }
    this.money.total = moneyOf(this.store.entries())
    if (this.verifyThreads != null && this.verifyThreads > 0) await this.verifyPool().warm()
    this.started = true
    log('started at height %d root %s', this.head.height, this.head.stateRoot)
    if (this.produce && this.isAuthority) {
      this.timer = setInterval(() => { this.produceBlock().catch(err => log.error('block production failed: %e', err)) }, this.genesis.params.blockTimeMs)
    }
  }

  /** Stop producing and wait for work in flight. */
  async stop (): Promise<void> {
    if (this.timer != null) clearInterval(this.timer)
    this.timer = undefined
    await this.queue.catch(() => {})
    await this.sequence
    await this.verifier?.close()
    this.verifier = undefined
    this.started = false
  }

  /** The chain head. */
  status (): Head & { chainId: string, authority: string, genesisHash: string, pending: number } {
    return { ...this.head, chainId: this.genesis.chainId, authority: this.genesis.authority, genesisHash: this.genesisHash, pending: this.open?.txs.length ?? 0 }
  }

  /**
   * Submit a transaction (wire bytes or signed). It is decoded, its signature checked, and
   * applied to the next block; a refused one throws a named error and changes nothing.
   */
  async submit (tx: Uint8Array | SignedTx): Promise<{ hash: string }> {
    const stx = tx instanceof Uint8Array ? this.decodeChecked(tx) : tx
    this.openBlock().apply(stx)
    if (!this.isAuthority) this.remember(stx)
    return { hash: stx.hash }
  }

  /**
   * Submit many transactions at once: they are decoded and their signatures checked in
   * parallel (on the verification pool for large batches), then each is applied in order.
   * Returns, per transaction, its hash or the named error that refused it.
   *
   * Calls may overlap: the checks of a later batch run while an earlier one is applied or a
   * block is sealed, but batches are applied in call order, and a block sealed by
   * `produceBlock` holds every batch submitted before that call (and none submitted after it).
   */
  async submitMany (txs: Uint8Array[]): Promise<Array<{ hash: string } | { error: Error }>> {
    const checking = this.checkMany(txs)
    const { prev, release } = this.step()
    try {
      const checked = await checking
      await prev
      return checked.map(c => {
        if (c instanceof Error) return { error: c }
        try {
          this.openBlock().apply(c)
          if (!this.isAuthority) this.remember(c)
          return { hash: c.hash }
        } catch (err) {
          return { error: err as Error }
        }
      })
    } finally {
      release()
    }
  }

  /**
   * Decode every transaction and verify each signature not checked here before (see
   * `VerifiedTxs`), each once: on this thread for small
   * batches, else on the verification pool, handed over in parts as they are decoded.
   * `pooled` sends even a small batch to the pool (blocks checked ahead of their turn).
   */
  private async checkMany (txs: Uint8Array[], pooled = false): Promise<Array<SignedTx | Error>> {
    if (this.verifyThreads === 0 || (!pooled && txs.length < MIN_PARALLEL)) {
      return txs.map(b => {
        try {
          return this.decodeChecked(b)
        } catch (err) {
          return err as Error
        }
      })
    }
    const pool = this.verifyPool()
    const parts: Array<Promise<Array<SignedTx | Error>>> = []
    for (let i = 0; i < txs.length; i += PART) {
      const decoded = txs.slice(i, i + PART).map(b => { try { return decodeTxUnsafe(b) } catch (err) { return err as Error } })
      const items = decoded.filter((d): d is UncheckedTx => !(d instanceof Error) && !this.verified.has(d.stx.hash))
      parts.push(pool.verifyAll(items.map(d => ({ signature: d.stx.signature, message: d.message, publicKey: d.publicKey }))).then(ok => {
        let k = 0
        return decoded.map(d => {
          if (d instanceof Error) return d
          if (items[k] !== d) return d.stx // checked before
          if (!ok[k++]) return new BadSignatureError(`bad signature from ${d.stx.tx.signer}`)
          this.verified.add(d.stx.hash)
          return d.stx
        })
      }))
    }
    if (!pooled) pool.flush()
    return (await Promise.all(parts)).flat()
  }

  /** `decodeTx`, skipping the signature check of a transaction already checked here (same bytes). */
  private decodeChecked (bytes: Uint8Array): SignedTx {
    const u = decodeTxUnsafe(bytes)
    if (this.verified.has(u.stx.hash)) return u.stx
    if (!verify(u.stx.signature, u.message, u.publicKey)) throw new BadSignatureError(`bad signature from ${u.stx.tx.signer}`)
    this.verified.add(u.stx.hash)
    return u.stx
  }

  private verifyPool (): VerifyPool {
    this.verifier ??= new VerifyPool(this.verifyThreads)
    return this.verifier
  }

  /**
   * A step in the sequence of batch applications and block seals: `prev` settles when every
   * earlier step is done; `release` ends this one (idempotent).
   */
  private step (): { prev: Promise<void>, release: () => void } {
    const prev = this.sequence
    let release!: () => void
    this.sequence = new Promise<void>(resolve => { release = resolve })
    return { prev, release }
  }

  /** Policy: a follower keeps at most MAX_POOL transactions for forwarding; the oldest go first. */
  private remember (stx: SignedTx): void {
    this.pool.push(stx)
    if (this.pool.length > MAX_POOL) this.pool.splice(0, this.pool.length - MAX_POOL)
  }

  /**
   * The nonce the signer's next transaction must carry: after the transactions already accepted
   * into the open block (what a wallet signs with), not only the committed state's.
   */
  nextNonce (address: string): number {
    return this.open == null ? this.nonce(address) : new Records(this.open.overlay).account(address).nonce
  }

  /**
   * Escrows opened by the transactions accepted into the block being built (not committed yet):
   * a buyer's daemon checks these too before paying again for a purchase it may have just paid.
   */
  openingEscrows (): Array<Escrow & { id: string }> {
    if (this.open == null) return []
    const out: Array<Escrow & { id: string }> = []
    for (const [k, v] of this.open.overlay.entries()) {
      if (k.startsWith('e/') && v != null && this.store.get(k) == null) out.push({ ...(v as unknown as Escrow), id: k.slice(2) })
    }
    return out
  }

  /** Authority: a signed notice that the transaction `hash` was refused with `err` (see refusal.ts). */
  refusalNotice (hash: string, err: Error): Uint8Array {
    if (this.secretKey == null) throw new NotAuthorityError('only the authority signs refusals')
    return signRefusal({ chainId: this.genesis.chainId, tx: hash, error: err.name, message: err.message, height: this.head.height }, this.secretKey)
  }

  /** Follower: forget a pooled transaction the authority refused; the rest of the pool is re-applied. */
  dropPooled (hash: string): boolean {
    if (!this.pool.some(t => t.hash === hash)) return false
    this.pool = this.pool.filter(t => t.hash !== hash)
    this.reopen()
    return true
  }

  /** Transactions accepted here but not yet in a block (for forwarding to the authority). */
  pendingTransactions (): Uint8Array[] { return this.pool.map(t => t.bytes) }

  /**
   * Seal the open block, persist it, and return it (authority only). The block holds every
   * transaction accepted before this call, including batches of `submitMany` calls made
   * before it whose signatures are still being checked.
   */
  async produceBlock (options?: AbortOptions): Promise<Block> {
    const { prev, release } = this.step()
    try {
      return await this.serial(async () => {
        await prev
        return this.seal(release, options)
      })
    } finally {
      release()
    }
  }

  /** Seal and persist the open block; `sealed` is called once the head has moved (before the write). */
  private async seal (sealed: () => void, options?: AbortOptions): Promise<Block> {
    if (this.secretKey == null) throw new NotAuthorityError('only the genesis authority produces blocks')
    const open = this.openBlock()
    this.open = undefined
    const committed = commitBlock(this.store, open, this.money)
    const block = sealBlock({
      chainId: this.genesis.chainId,
      height: open.height,
      parent: Buffer.from(this.head.hash, 'hex'),
      stateRoot: this.store.root(),
      txRoot: txRoot(open.txs.map(t => t.hash)),
      // never before the parent, even if the clock stepped back
      timestamp: Math.max(Date.now(), this.head.timestamp),
      txCount: open.txs.length
    }, open.txs.map(t => t.bytes), this.secretKey)
    // persist moves the head before its first await: later batches go to the next block; if the
    // write fails, this block's transactions and those later ones are put back, in that order
    const saving = this.persist(block, committed, options, open.txs)
    sealed()
    await saving
    return block
  }

  /**
   * Re-execute a block from the authority and adopt it, or refuse it with a named error. Every
   * transaction's signature is checked (the authority's signature on the block does not vouch
   * for them). A large block that has to wait for blocks before it is checked ahead of its
   * turn: its authority signature first, and only if that holds its transactions' signatures,
   * on the verification pool, while the blocks before it are applied (small blocks are checked
   * in their turn on this thread, which costs less than handing them over).
   */
  async applyBlock (input: Uint8Array | Block, options?: AbortOptions): Promise<void> {
    const block = input instanceof Uint8Array ? decodeBlock(input) : input
    const early = this.queued > 0 && block.txs.length >= MIN_PARALLEL ? this.checkAhead(block) : undefined
    return this.serial(async () => {
      const h = block.header
      if (h.chainId !== this.genesis.chainId) throw new InvalidBlockError(`block of chain ${h.chainId}`)
      if (h.height !== this.head.height + 1 || hex(h.parent) !== this.head.hash) {
        throw new WrongParentError(`block ${h.height} (parent ${hex(h.parent).slice(0, 16)}) does not follow head ${this.head.height} (${this.head.hash.slice(0, 16)})`)
      }
      if (h.timestamp < this.head.timestamp) throw new InvalidBlockError(`block ${h.height} is older than its parent`)
      const signed = early != null ? await early.signed : verifyBlockSignature(block, fromAddress(this.genesis.authority))
      if (!signed) throw new InvalidBlockError(`block ${h.height} is not signed by the authority`)
      const open = new OpenBlock(this.store, h.height, this.genesis.chainId, this.genesis.params, this.runEpoch)
      const checked = (await early?.txs) ?? await this.checkMany(block.txs)
      const stxs = checked.map((stx, i) => {
        try {
          if (stx instanceof Error) throw stx
          open.apply(stx)
          return stx
        } catch (err) {
          throw new InvalidBlockError(`block ${h.height} tx ${i} is invalid: ${(err as Error).message}`, { cause: err })
        }
      })
      if (hex(txRoot(stxs.map(t => t.hash))) !== hex(h.txRoot)) throw new InvalidBlockError('tx root does not match')
      const committed = commitBlock(this.store, open, this.money)
      if (hex(this.store.root()) !== hex(h.stateRoot)) {
        committed.undo()
        throw new StateRootMismatchError(`block ${h.height}: re-execution gives state root ${hex(this.store.root())}, block says ${hex(h.stateRoot)}`)
      }
      const included = new Set(stxs.map(t => t.hash))
      this.pool = this.pool.filter(t => !included.has(t.hash))
      // persist moves the head before its first await; the pool is re-applied on top of the new
      // head in the same tick, so a transaction submitted while the block is being written sees
      // the transactions it may depend on (a subnet registered a moment earlier)
      const saving = this.persist(block, committed, options)
      this.reopen()
      await saving
    })
  }

  /**
   * Start checking a block that waits for its turn: the authority's signature, then (if it
   * holds) the transactions. Only for a block of this chain above the head.
   */
  private checkAhead (block: Block): { signed: Promise<boolean>, txs: Promise<Array<SignedTx | Error> | undefined> } | undefined {
    if (this.verifyThreads === 0 || block.header.chainId !== this.genesis.chainId || block.header.height <= this.head.height) return undefined
    const pool = this.verifyPool()
    const signed = pool.verifyAll([blockSignatureItem(block, fromAddress(this.genesis.authority))]).then(ok => ok[0])
    const txs = signed.then(async ok => ok ? this.checkMany(block.txs, true) : undefined)
    txs.catch(() => {})
    return { signed, txs }
  }

  /** The stored block at `height` (1..head), or undefined. */
  async getBlock (height: number, options?: AbortOptions): Promise<Block | undefined> {
    if (!Number.isSafeInteger(height) || height < 1 || height > this.head.height) return undefined
    return decodeBlock(await this.ds.get(this.key(`b/${pad(height)}`), options))
  }

  /**
   * The state root the open block would have if it were sealed now (its hooks and the
   * transactions accepted so far). Used to show that a refused transaction changed nothing.
   */
  previewStateRoot (): string {
    const writes = this.openBlock().overlay.entries()
    const before: Array<[string, Value | undefined]> = writes.map(([k]) => [k, this.store.get(k)])
    this.store.commit(writes)
    const root = hex(this.store.root())
    this.store.commit(before)
    return root
  }

  /** Recompute the money in state from scratch and compare it with TotalIssuance (tests, audits). */
  audit (): { issuance: bigint, held: bigint, ok: boolean } {
    const held = moneyOf(this.store.entries())
    const issuance = this.globals().issuance
    return { issuance, held, ok: held === issuance }
  }

  /**
   * Start a new open block on the current head and re-apply `first`, then the pool; what no
   * longer applies is dropped.
   */
  private reopen (first: SignedTx[] = []): void {
    this.open = undefined
    for (const t of first) {
      try {
        this.openBlock().apply(t)
      } catch (err) {
        log('dropped tx %s of an unwritten block: %s', t.hash, (err as Error).name)
      }
    }
    const pool = this.pool
    this.pool = []
    for (const t of pool) {
      try {
        this.openBlock().apply(t)
        this.remember(t)
      } catch (err) {
        log('dropped pooled tx %s: %s', t.hash, (err as Error).name)
      }
    }
  }

  private openBlock (): OpenBlock {
    this.open ??= new OpenBlock(this.store, this.head.height + 1, this.genesis.chainId, this.genesis.params, this.runEpoch)
    return this.open
  }

  /**
   * Write a committed block, its state changes and the new head in one batch. The head moves
   * before the first await. If the write fails, state and head go back and the open block is
   * rebuilt: with `carry` (the authority's own block, whose transactions were accepted here)
   * followed by what was accepted into the next block meanwhile, else from the pool.
   */
  private async persist (block: Block, committed: { changes: Array<{ key: string, value: Uint8Array | null }>, undo: () => void }, options?: AbortOptions, carry?: SignedTx[]): Promise<void> {
    const prev = this.head
    this.head = { height: block.header.height, hash: block.hash, stateRoot: hex(block.header.stateRoot), timestamp: block.header.timestamp }
    const batch = this.ds.batch()
    batch.put(this.key(`b/${pad(block.header.height)}`), block.bytes)
    for (const c of committed.changes) {
      if (c.value == null) batch.delete(this.key(`s/${c.key}`))
      else batch.put(this.key(`s/${c.key}`), c.value)
    }
    batch.put(this.key('head'), this.encodeHead())
    try {
      await batch.commit(options)
    } catch (err) {
      const later = carry === undefined ? [] : this.open?.txs ?? []
      committed.undo()
      this.head = prev
      this.reopen(carry === undefined ? [] : [...carry, ...later])
      throw err
    }
    this.events.dispatchEvent(new CustomEvent('block', { detail: block }))
  }

  private encodeHead (): Uint8Array {
    return encodeValue({ ...this.head, genesis: this.genesisHash } as unknown as Value)
  }

  private key (k: string): Key { return new Key(`${this.prefix}/${k}`) }

  private async serial<T> (fn: () => Promise<T>): Promise<T> {
    this.queued++
    const run = this.queue.then(fn, fn).finally(() => { this.queued-- })
    this.queue = run.catch(() => {})
    return run
  }
}

function hex (b: Uint8Array): string { return Buffer.from(b).toString('hex') }
function pad (n: number): string { return n.toString().padStart(12, '0') }
