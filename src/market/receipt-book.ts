/**
 * The receipt book: the receipts a peer holds or has issued, kept in the repo's datastore, so a
 * second purchase of something already bought, a second receipt on the same escrow, and a replay
 * of a reissue request are all caught, across restarts.
 *
 * Keys under `prefix` (default `/market/receipts`):
 *   /escrow/<base64url(escrow)>          → receipt id (one receipt per escrow payment)
 *   /owned/<buyer hex>/<listing id>       → receipt bytes (the first receipt of a buyer for a listing)
 *   /nonce/<buyer hex>/<nonce hex>        → request time (reissue requests seen)
 */
import type { AbortOptions } from '@libp2p/interface'
import { Key } from 'interface-datastore'
import type { Datastore } from 'interface-datastore'
import type { CID } from 'multiformats'
import { AlreadyPurchasedError, ReceiptReplayError } from './errors.ts'
import { REISSUE_MAX_AGE_MS, verifyReceipt } from './receipt.ts'
import type { Receipt, ReissueRecord } from './receipt.ts'

/** Init of a {@link ReceiptBook}. */
export interface ReceiptBookInit {
  /** Key prefix in the datastore. @default '/market/receipts' */
  prefix?: string
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const utf8 = new TextDecoder()

/** Receipts held or issued by this peer, persisted in a datastore. */
export class ReceiptBook {
  private readonly datastore: Datastore
  private readonly prefix: string
  /** Serialises check-then-write operations so two concurrent calls cannot both pass the check. */
  private queue: Promise<unknown> = Promise.resolve()

  constructor (components: { datastore: Datastore }, init: ReceiptBookInit = {}) {
    this.datastore = components.datastore
    this.prefix = init.prefix ?? '/market/receipts'
  }

  /**
   * Records a verified receipt. Idempotent for the same receipt. Throws `ReceiptReplayError` if
   * another receipt was already recorded for the same escrow. Policy: one escrow payment backs
   * exactly one receipt, so a seller cannot count one payment twice, nor a buyer claim it twice.
   */
  async add (receipt: Receipt, options?: AbortOptions): Promise<void> {
    return this.serial(async () => { await this.addNow(receipt, options) })
  }

  private async addNow (receipt: Receipt, options?: AbortOptions): Promise<void> {
    const escrowKey = this.key('escrow', Buffer.from(receipt.record.escrow).toString('base64url'))
    if (await this.datastore.has(escrowKey, options)) {
      const known = utf8.decode(await this.datastore.get(escrowKey, options))
      if (known === receipt.id.toString()) return
      throw new ReceiptReplayError(`escrow ${receipt.record.escrow} already backs receipt ${known}`)
    }
    const batch = this.datastore.batch()
    batch.put(escrowKey, new TextEncoder().encode(receipt.id.toString()))
    const ownedKey = this.ownedKey(receipt.record.buyer, receipt.record.listing)
    if (!(await this.datastore.has(ownedKey, options))) batch.put(ownedKey, receipt.bytes)
    await batch.commit(options)
  }

  /** The receipt `buyer` holds for `listing`, if any (verified again on the way out). */
  async get (buyer: Uint8Array, listing: CID, options?: AbortOptions): Promise<Receipt | undefined> {
    const key = this.ownedKey(buyer, listing)
    if (!(await this.datastore.has(key, options))) return undefined
    return verifyReceipt(await this.datastore.get(key, options), { buyer })
  }

  /**
   * Throws `AlreadyPurchasedError` when `buyer` already holds a receipt for `listing`. Policy: the
   * buyer's daemon calls this before placing an escrow, so nobody pays twice for the same key.
   */
  async assertNotPurchased (buyer: Uint8Array, listing: CID, options?: AbortOptions): Promise<void> {
    const held = await this.get(buyer, listing, options)
    if (held != null) throw new AlreadyPurchasedError(`already bought ${listing.toString()}: receipt ${held.id.toString()}`)
  }

  /**
   * Accepts a verified reissue request once: throws `ReceiptReplayError` when its nonce was seen.
   * Nonces older than the request lifetime are forgotten by {@link prune}, since such requests
   * are refused for their age anyway.
   */
  async useReissueRequest (request: ReissueRecord, options?: AbortOptions): Promise<void> {
    return this.serial(async () => { await this.useNow(request, options) })
  }

  private async useNow (request: ReissueRecord, options?: AbortOptions): Promise<void> {
    const key = this.key('nonce', hex(request.buyer), hex(request.nonce))
    if (await this.datastore.has(key, options)) throw new ReceiptReplayError('this reissue request was already used')
    const time = new Uint8Array(8)
    new DataView(time.buffer).setBigUint64(0, BigInt(request.time))
    await this.datastore.put(key, time, options)
  }

  /** Forgets reissue nonces that can no longer be replayed; returns how many. */
  async prune (now: number, options?: AbortOptions): Promise<number> {
    let n = 0
    for await (const { key, value } of this.datastore.query({ prefix: `${this.prefix}/nonce` }, options)) {
      const time = Number(new DataView(value.buffer, value.byteOffset, 8).getBigUint64(0))
      if (now - time > 2 * REISSUE_MAX_AGE_MS) {
        await this.datastore.delete(key, options)
        n++
      }
    }
    return n
  }

  private async serial<T> (fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn)
    this.queue = run.catch(() => {})
    return run
  }

  private ownedKey (buyer: Uint8Array, listing: CID): Key {
    return this.key('owned', hex(buyer), listing.toString())
  }

  private key (...parts: string[]): Key {
    return new Key(`${this.prefix}/${parts.join('/')}`)
  }
}
