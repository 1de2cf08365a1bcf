/**
 * Replication of the ledger over libp2p:
 *
 * - the authority publishes every block it produces on the gossipsub topic
 *   `/agora/ledger/<chainId>/blocks/1`; every other peer re-executes it with `applyBlock`
 *   (signature, parent and state root checked there) and refuses it otherwise;
 * - a transaction submitted at any peer is checked there and published on
 *   `/agora/ledger/<chainId>/txs/1`; the authority submits what it hears to its open block (what
 *   arrives in one turn of the event loop as one `submitMany` batch, in arrival order, so a burst
 *   is checked on the verification pool), and announces a refusal, signed, on `/agora/ledger/<chainId>/refused/1` (see refusal.ts): the
 *   follower drops the transaction from its pool and its waiters fail at once;
 * - a peer that is behind (offline, or a block bigger than a gossip message) catches up over
 *   `/agora/ledger/blocks/1.0.0`: request `{ from, count }` (dag-cbor, length-prefixed), answer
 *   up to `count` length-prefixed blocks from `from`, then close.
 *
 * Every topic is guarded (src/dht/topic-guard.ts): a validator runs before gossipsub delivers or
 * forwards a message, size first, then decoding and signatures, and a rejected message lowers
 * the sender's score until it is graylisted. Blocks must carry the authority's signature for this
 * chain; transactions must decode canonically and be signed for this chain (the authority checks
 * the signatures on its verification pool, in the batch it submits, and answers the validator
 * when the batch is done); refusal notices must carry the authority's signature and a height
 * no more than {@link MAX_NOTICE_AGE_BLOCKS} behind our head. A block ahead of our head starts a
 * catch-up only when its signature checks, and at most once per {@link GOSSIP_CATCH_UP_INTERVAL_MS}.
 */
import * as cbor from '@ipld/dag-cbor'
import { TopicValidatorResult } from '@libp2p/gossipsub'
import { logger } from '@libp2p/logger'
import { lpStream } from '@libp2p/utils'
import { decodeBlock, MAX_BLOCK_BYTES, verifyBlockSignature } from './block.ts'
import { fromAddress } from './address.ts'
import { InvalidBlockError, MalformedError } from './errors.ts'
import { MAX_NOTICE_BYTES, openRefusal, TRANSIENT_ERRORS } from './refusal.ts'
import { decodeTx, decodeTxUnsafe, MAX_TX_BYTES } from './tx/codec.ts'
import { guardTopic } from '../dht/index.ts'
import type { Block } from './block.ts'
import type { Ledger } from './ledger.ts'
import type { GossipSub, Message } from '@libp2p/gossipsub'
import type { Connection, Libp2p, Startable, Stream } from '@libp2p/interface'

const log = logger('agora:ledger:replication')

/** The block catch-up protocol. */
export const BLOCKS_PROTOCOL = '/agora/ledger/blocks/1.0.0'
/** Policy: at most this many blocks per catch-up request. */
export const MAX_BLOCKS_PER_REQUEST = 256
/**
 * Policy: a refusal notice older than this many blocks behind our head is ignored. A notice is
 * heard within a block or two of being signed; an old one replayed later could otherwise drop an
 * identical transaction re-submitted after its cause was fixed (a balance topped up).
 */
export const MAX_NOTICE_AGE_BLOCKS = 3
/** Policy: a block heard ahead of our head starts a catch-up at most this often. */
export const GOSSIP_CATCH_UP_INTERVAL_MS = 1000

/** What replication needs. */
export interface LedgerReplicationComponents {
  libp2p: Libp2p<{ pubsub: GossipSub }>
  ledger: Ledger
}

/** Options. */
export interface LedgerReplicationInit {
  /** How often a follower asks its peers for blocks it is missing, and re-sends its pending transactions, ms. @default 5000 */
  catchUpIntervalMs?: number
  /** Time limit of one catch-up request, ms. @default 10000 */
  requestTimeoutMs?: number
}

/** Policy: the authority announces at most this many refusals per second (a signed but invalid transaction costs its sender nothing). */
const MAX_REFUSALS_PER_SECOND = 50
/** Errors of transactions that never reach the state (garbage, forgeries): refused silently. */
const SILENT_ERRORS: ReadonlySet<string> = new Set(['MalformedError', 'BadSignatureError', 'WrongChainError'])

/** Emitted as `refused` (detail) when a block from the network is refused. */
export interface RefusedBlock { height: number, error: string, message: string }

/** Spreads blocks and transactions of a `Ledger` over gossipsub and serves catch-up. */
export class LedgerReplication implements Startable {
  /** Fires `refused` (detail: RefusedBlock), `applied` (detail: height) and `tx-refused` (detail: RefusalNotice). */
  readonly events = new EventTarget()
  private readonly libp2p: Libp2p<{ pubsub: GossipSub }>
  private readonly ledger: Ledger
  private readonly interval: number
  private readonly timeout: number
  private readonly blockTopic: string
  private readonly txTopic: string
  private readonly refusedTopic: string
  private readonly authorityKey: Uint8Array
  /** Authority: gossiped transactions waiting for the next `setImmediate`, in arrival order, with their validators' answers. */
  private heard: Array<{ tx: Uint8Array, done: (result: TopicValidatorResult) => void }> = []
  /** Blocks decoded and checked by the topic validator, so the message handler does not decode them again. */
  private readonly checked = new WeakMap<Uint8Array, Block>()
  private lastGossipCatchUp = 0
  private unguard: Array<() => void> = []
  /** Refusals announced in the current second (authority). */
  private refusals = { second: 0, count: 0 }
  private timer: ReturnType<typeof setInterval> | undefined
  private catching: Promise<void> | undefined
  private readonly controller = new AbortController()
  private readonly onMessage = (evt: CustomEvent<Message>): void => { this.handleMessage(evt.detail) }
  private readonly onBlock = (evt: Event): void => {
    const bytes = (evt as CustomEvent<{ bytes: Uint8Array }>).detail.bytes
    if (this.ledger.isAuthority) this.publish(this.blockTopic, bytes)
  }

  constructor (components: LedgerReplicationComponents, init: LedgerReplicationInit = {}) {
    this.libp2p = components.libp2p
    this.ledger = components.ledger
    this.interval = init.catchUpIntervalMs ?? 5000
    this.timeout = init.requestTimeoutMs ?? 10_000
    const id = this.ledger.genesis.chainId
    this.blockTopic = `/agora/ledger/${id}/blocks/1`
    this.txTopic = `/agora/ledger/${id}/txs/1`
    this.refusedTopic = `/agora/ledger/${id}/refused/1`
    this.authorityKey = fromAddress(this.ledger.genesis.authority)
  }

  async start (): Promise<void> {
    const pubsub = this.libp2p.services.pubsub
    this.unguard = [
      guardTopic(pubsub, this.blockTopic, async (_peer, msg) => this.validateBlock(msg.data)),
      guardTopic(pubsub, this.txTopic, async (_peer, msg) => this.validateTx(msg.data)),
      guardTopic(pubsub, this.refusedTopic, async (_peer, msg) => this.validateRefusal(msg.data))
    ]
    pubsub.addEventListener('message', this.onMessage)
    pubsub.subscribe(this.blockTopic)
    pubsub.subscribe(this.txTopic)
    pubsub.subscribe(this.refusedTopic)
    this.ledger.events.addEventListener('block', this.onBlock)
    await this.libp2p.handle(BLOCKS_PROTOCOL, async (stream, connection) => this.serve(stream, connection), { maxInboundStreams: 4 })
    if (!this.ledger.isAuthority) {
      this.timer = setInterval(() => { this.tick().catch(err => log.error('tick failed: %e', err)) }, this.interval)
      this.tick().catch(err => log.error('tick failed: %e', err))
    }
  }

  async stop (): Promise<void> {
    this.controller.abort()
    if (this.timer != null) clearInterval(this.timer)
    const pubsub = this.libp2p.services.pubsub
    pubsub.removeEventListener('message', this.onMessage)
    pubsub.unsubscribe(this.blockTopic)
    pubsub.unsubscribe(this.txTopic)
    pubsub.unsubscribe(this.refusedTopic)
    for (const f of this.unguard.splice(0)) f()
    this.ledger.events.removeEventListener('block', this.onBlock)
    await this.libp2p.unhandle(BLOCKS_PROTOCOL)
    await this.catching
  }

  /** Submit a transaction here and spread it towards the authority. */
  async submit (tx: Uint8Array): Promise<{ hash: string }> {
    const r = await this.ledger.submit(tx)
    if (!this.ledger.isAuthority) this.publish(this.txTopic, tx)
    return r
  }

  /** Fetch and apply missing blocks from connected peers until none has more. */
  async catchUp (): Promise<void> {
    this.catching ??= this.runCatchUp().finally(() => { this.catching = undefined })
    return this.catching
  }

  private async tick (): Promise<void> {
    for (const tx of this.ledger.pendingTransactions()) this.publish(this.txTopic, tx)
    await this.catchUp().catch(err => log.error('catch-up failed: %e', err))
  }

  private publish (topic: string, data: Uint8Array): void {
    this.libp2p.services.pubsub.publish(topic, data).catch(err => log('publish on %s failed: %e', topic, err))
  }

  /**
   * Blocks: at most the block limit, canonical, of this chain and signed by its authority;
   * `Ignore` for a block we hold already (not forwarded, not held against the sender).
   */
  private validateBlock (data: Uint8Array): TopicValidatorResult {
    let block: Block | undefined
    try {
      if (data.byteLength > MAX_BLOCK_BYTES) throw new MalformedError(`block of ${data.byteLength} bytes`)
      block = decodeBlock(data)
      // the same errors as applyBlock gives for these, so 'refused' tells one story either way
      if (block.header.chainId !== this.ledger.genesis.chainId) throw new InvalidBlockError(`block of chain ${block.header.chainId}`)
      if (!verifyBlockSignature(block, this.authorityKey)) throw new InvalidBlockError(`block ${block.header.height} is not signed by the authority`)
    } catch (err) {
      this.refused(block?.header.height ?? 0, err as Error)
      return this.reject('block', err as Error)
    }
    if (block.header.height <= this.ledger.status().height) return TopicValidatorResult.Ignore
    this.checked.set(data, block)
    return TopicValidatorResult.Accept
  }

  /**
   * Transactions: at most the transaction limit, canonical, for this chain and signed by the
   * signer. Followers verify the signature here; the authority verifies it in the batch it
   * submits (on its verification pool) and answers once the batch is done.
   */
  private async validateTx (data: Uint8Array): Promise<TopicValidatorResult> {
    if (data.byteLength > MAX_TX_BYTES) return this.reject('transaction', new MalformedError(`transaction of ${data.byteLength} bytes`))
    try {
      const chainId = this.ledger.isAuthority ? decodeTxUnsafe(data).stx.tx.chainId : decodeTx(data).tx.chainId
      if (chainId !== this.ledger.genesis.chainId) throw new MalformedError(`transaction of chain ${chainId}`)
    } catch (err) {
      return this.reject('transaction', err as Error)
    }
    if (!this.ledger.isAuthority) return TopicValidatorResult.Accept
    return new Promise(resolve => { this.hear(data, resolve) })
  }

  /** Refusal notices: at most the notice limit, signed by the authority for this chain, and recent. */
  private validateRefusal (data: Uint8Array): TopicValidatorResult {
    if (data.byteLength > MAX_NOTICE_BYTES) return this.reject('refusal notice', new MalformedError(`notice of ${data.byteLength} bytes`))
    try {
      const notice = openRefusal(data, this.ledger.genesis.chainId, this.authorityKey)
      if (notice.height + MAX_NOTICE_AGE_BLOCKS < this.ledger.status().height) {
        log('ignored a stale refusal notice of tx %s (height %d)', notice.tx, notice.height)
        return TopicValidatorResult.Ignore
      }
    } catch (err) {
      return this.reject('refusal notice', err as Error)
    }
    return TopicValidatorResult.Accept
  }

  private reject (what: string, err: Error): TopicValidatorResult {
    log('rejected a gossiped %s: %s %s', what, err.name, err.message)
    return TopicValidatorResult.Reject
  }

  private handleMessage (msg: Message): void {
    // the topic validators above have passed every message that reaches here
    if (msg.topic === this.refusedTopic) {
      if (!this.ledger.isAuthority) this.handleRefusal(msg.data)
      return
    }
    if (msg.topic !== this.blockTopic || this.ledger.isAuthority) return
    const block = this.checked.get(msg.data)
    if (block == null) return
    const height = block.header.height
    const head = this.ledger.status().height
    if (height <= head) return
    if (height > head + 1) {
      const now = Date.now()
      if (now - this.lastGossipCatchUp < GOSSIP_CATCH_UP_INTERVAL_MS) return
      this.lastGossipCatchUp = now
      this.catchUp().catch(err => log.error('catch-up failed: %e', err))
      return
    }
    this.ledger.applyBlock(msg.data).then(() => this.applied(height), err => this.refused(height, err))
  }

  /**
   * Authority: submit what was heard in this turn of the event loop as one batch; each
   * transaction's validator is answered with `Reject` for one that could never be valid (garbage,
   * a forgery, another chain) and `Accept` otherwise (refused by the state or not, it was signed).
   */
  private hear (tx: Uint8Array, done: (result: TopicValidatorResult) => void): void {
    this.heard.push({ tx, done })
    if (this.heard.length > 1) return
    setImmediate(() => {
      const batch = this.heard
      this.heard = []
      this.ledger.submitMany(batch.map(b => b.tx)).then(results => {
        results.forEach((r, i) => {
          const silent = 'error' in r && SILENT_ERRORS.has(r.error.name)
          batch[i].done(silent ? TopicValidatorResult.Reject : TopicValidatorResult.Accept)
          if ('error' in r) this.announceRefusal(batch[i].tx, r.error)
        })
      }, err => {
        log.error('submitting gossiped transactions failed: %e', err)
        for (const b of batch) b.done(TopicValidatorResult.Ignore)
      })
    })
  }

  private announceRefusal (tx: Uint8Array, err: Error): void {
    log('refused gossiped tx: %s %s', err.name, err.message)
    if (TRANSIENT_ERRORS.has(err.name) || SILENT_ERRORS.has(err.name)) return
    const second = Math.floor(Date.now() / 1000)
    if (this.refusals.second !== second) this.refusals = { second, count: 0 }
    if (++this.refusals.count > MAX_REFUSALS_PER_SECOND) return
    let hash: string
    try {
      hash = decodeTxUnsafe(tx).stx.hash
    } catch {
      return
    }
    this.publish(this.refusedTopic, this.ledger.refusalNotice(hash, err))
  }

  private handleRefusal (data: Uint8Array): void {
    try {
      const notice = openRefusal(data, this.ledger.genesis.chainId, this.authorityKey)
      if (this.ledger.dropPooled(notice.tx)) log('the authority refused pooled tx %s: %s', notice.tx, notice.error)
      this.events.dispatchEvent(new CustomEvent('tx-refused', { detail: notice }))
    } catch (err) {
      log('dropped a refusal notice: %e', err)
    }
  }

  private applied (height: number): void {
    this.events.dispatchEvent(new CustomEvent('applied', { detail: height }))
  }

  private refused (height: number, err: Error): void {
    log('refused block %d: %s %s', height, err.name, err.message)
    this.events.dispatchEvent(new CustomEvent<RefusedBlock>('refused', { detail: { height, error: err.name, message: err.message } }))
  }

  private async runCatchUp (): Promise<void> {
    for (const conn of this.libp2p.getConnections()) {
      if (this.controller.signal.aborted) return
      try {
        while (await this.fetchFrom(conn)) { /* keep going while the peer returns full batches */ }
      } catch (err) {
        log('catch-up from %p failed: %e', conn.remotePeer, err)
      }
    }
  }

  /** One request; true if the peer returned a full batch (there may be more). */
  private async fetchFrom (conn: Connection): Promise<boolean> {
    const from = this.ledger.status().height + 1
    const signal = AbortSignal.any([this.controller.signal, AbortSignal.timeout(this.timeout)])
    const stream = await this.libp2p.dialProtocol(conn.remotePeer, BLOCKS_PROTOCOL, { signal })
    const lp = lpStream(stream, { maxDataLength: MAX_BLOCK_BYTES })
    let got = 0
    try {
      await lp.write(cbor.encode({ from, count: MAX_BLOCKS_PER_REQUEST }), { signal })
      while (got < MAX_BLOCKS_PER_REQUEST) {
        let bytes: Uint8Array
        try {
          bytes = (await lp.read({ signal })).subarray()
        } catch (err) {
          if ((err as Error).name === 'UnexpectedEOFError') break
          throw err
        }
        try {
          await this.ledger.applyBlock(bytes)
        } catch (err) {
          if ((err as Error).name === 'WrongParentError' && decodeBlock(bytes).header.height <= this.ledger.status().height) continue
          this.refused(from + got, err as Error)
          stream.abort(err as Error)
          return false
        }
        this.applied(from + got)
        got++
      }
      await stream.close({ signal }).catch(() => {})
    } catch (err) {
      stream.abort(err as Error)
      throw err
    }
    return got === MAX_BLOCKS_PER_REQUEST
  }

  private async serve (stream: Stream, connection: Connection): Promise<void> {
    const signal = AbortSignal.any([this.controller.signal, AbortSignal.timeout(this.timeout)])
    const lp = lpStream(stream, { maxDataLength: 1024 })
    try {
      const req = cbor.decode((await lp.read({ signal })).subarray()) as { from?: unknown, count?: unknown }
      const from = req?.from
      const count = req?.count
      if (!Number.isSafeInteger(from) || !Number.isSafeInteger(count) || (from as number) < 1 || (count as number) < 1) throw new MalformedError('bad block request')
      const last = Math.min(this.ledger.status().height, (from as number) + Math.min(count as number, MAX_BLOCKS_PER_REQUEST) - 1)
      for (let h = from as number; h <= last; h++) {
        const b = await this.ledger.getBlock(h, { signal })
        if (b == null) break
        await lp.write(b.bytes, { signal })
      }
      await stream.close({ signal })
    } catch (err) {
      log('serving blocks to %p failed: %e', connection.remotePeer, err)
      stream.abort(err as Error)
    }
  }
}
