/**
 * Purchases on the ledger. Seller side: on every block, escrows opened to our hotkey are
 * delivered (the content key sealed to the escrow's recipient plus a signed receipt, in a
 * `deliver` transaction signed with our hotkey). Buyer side: a quote (price, seller, our hotkey
 * as recipient, or "already bought"), then waiting for the delivery of an escrow, checking the
 * key against the listing's commitment, fetching the ciphertext and decrypting it; later
 * downloads reuse the receipt and the stored delivery without paying again.
 */
import { logger } from '@libp2p/logger'
import { Key } from 'interface-datastore'
import { toAddress } from '../ledger/index.ts'
import { decryptListing } from './decrypt-out.ts'
import { DeliveryTimeoutError, LedgerUnavailableError, ListingNotFoundError, PurchaseError } from './errors.ts'
import { openSealedKey, sealContentKey } from './key-seal.ts'
import { acceptDelivery, decodeDelivery, encodeDelivery, prepareDelivery } from './purchase.ts'
import { amountDue } from './receipt.ts'
import type { DecryptOptions, WrittenFile } from './decrypt-out.ts'
import type { ContentKeyStore } from './keystore.ts'
import type { Listing } from './listing.ts'
import type { ListingIndex } from './listing-index.ts'
import type { ReceiptBook } from './receipt-book.ts'
import type { FetchOptions } from '../dht/index.ts'
import type { LedgerService } from '../ledger/index.ts'
import type { NodeContent } from '../service.ts'
import type { AbortOptions } from '@libp2p/interface'
import type { Datastore } from 'interface-datastore'

const log = logger('agora:market:trade')

/** What a buyer needs to pay for a listing. */
export interface Quote {
  listing: Listing
  /** A receipt is held: download again without paying. */
  owned: boolean
  /** The seller's account (the publisher hotkey's address). */
  seller: string
  /** Our daemon's hotkey (hex): the escrow's recipient, to which the key is sealed. */
  recipient: string
  chainId: string
  /** Rao. */
  amount: bigint
}

/** What {@link Trade.receive} did. */
export interface Received {
  /** `delivery`: from the escrow just paid; `receipt`: a purchase made earlier. */
  source: 'delivery' | 'receipt'
  escrow: string
  files: WrittenFile[]
}

/** What purchases work with (the market service hands over its own parts). */
export interface TradeComponents {
  index: ListingIndex
  /** Content keys of our paid listings (seller side). */
  keys: ContentKeyStore
  receipts: ReceiptBook
  content: NodeContent
  /** Where a buyer keeps the deliveries it accepted. */
  datastore: Datastore
  /** Our hotkey's public key: the seller of our listings, the recipient of our escrows. */
  hotkey: Uint8Array
  /** Our hotkey's 32-byte seed: receipts are signed and sealed keys opened with it. */
  secret: Uint8Array
  /** Resolves once the listing index is loaded. */
  ready: (options?: AbortOptions) => Promise<void>
  /** The chain, when this daemon runs one. */
  ledger?: LedgerService
}

/** Seller and buyer ends of purchases (see the module comment). */
export class Trade {
  readonly #svc: TradeComponents
  readonly #secret: Uint8Array
  readonly #inflight = new Set<string>()
  readonly #onBlock = (): void => { this.deliverDue().catch(err => { log.error('delivering failed - %e', err) }) }

  constructor (components: TradeComponents) {
    this.#svc = components
    this.#secret = components.secret
  }

  /** The ledger service, if this daemon runs a chain. */
  get ledger (): LedgerService | undefined {
    return this.#svc.ledger
  }

  start (): void {
    this.ledger?.ledger.events.addEventListener('block', this.#onBlock)
  }

  stop (): void {
    this.ledger?.ledger.events.removeEventListener('block', this.#onBlock)
  }

  #chain (): LedgerService {
    const l = this.ledger
    if (l == null) throw new LedgerUnavailableError('this daemon runs no chain: purchases need one (start it with --dev or --genesis <file>)')
    return l
  }

  /** Seller: delivers every open escrow addressed to us that is not being delivered yet. */
  async deliverDue (): Promise<number> {
    const chain = this.ledger
    if (chain == null || !this.#svc.index.isStarted()) return 0
    let n = 0
    for (const e of chain.ledger.escrowsFor(chain.hotkey.address, 'open')) {
      if (this.#inflight.has(e.id)) continue
      this.#inflight.add(e.id)
      n++
      this.#deliver(chain, e).catch(err => {
        log.error('delivery of escrow %s failed - %e', e.id, err)
        this.#inflight.delete(e.id) // retried on the next block while the window is open
      })
    }
    return n
  }

  async #deliver (chain: LedgerService, e: { id: string, listing: string, recipient: Uint8Array, amount: bigint, deadline: number }): Promise<void> {
    const svc = this.#svc
    // Policy: only current listings of ours are delivered; for anything else the buyer's escrow
    // runs out and refunds.
    const listing = await svc.index.get(e.listing)
    if (listing == null || listing.record.access !== 'paid' || listing.record.keyCommitment == null) {
      log('escrow %s is for %s, not a current paid listing of ours: left to refund', e.id, e.listing)
      return
    }
    const contentKey = await svc.keys.get(listing.record.keyCommitment)
    let payload: Uint8Array
    try {
      const d = await prepareDelivery({ listing, contentKey, buyer: e.recipient, escrow: e.id, amount: e.amount, sellerSecret: this.#secret, book: svc.receipts })
      payload = encodeDelivery(d)
    } catch (err) {
      if ((err as Error).name !== 'ReceiptReplayError') throw err
      // a receipt was recorded before a crash or a dropped tx: deliver that same receipt again
      const receipt = await svc.receipts.get(e.recipient, listing.id)
      if (receipt == null || receipt.record.escrow !== e.id) throw err
      payload = encodeDelivery({ sealedKey: sealContentKey({ contentKey, recipient: e.recipient, listingId: listing.id }), receipt })
    }
    const tx = { chainId: chain.ledger.genesis.chainId, signer: chain.hotkey.address, nonce: chain.ledger.nextNonce(chain.hotkey.address), body: { kind: 'deliver' as const, escrow: e.id, payload } }
    const { hash } = await chain.submit(chain.hotkey.sign(tx))
    const { block } = await chain.waitForTx(hash)
    log('delivered escrow %s (%s) in block %d', e.id, listing.id, block)
  }

  /** Buyer: what to pay for `id`, or that we own it already. */
  async quote (id: string, options: AbortOptions = {}): Promise<Quote> {
    const chain = this.#chain()
    const listing = await this.#listing(id, options)
    if (listing.record.access !== 'paid') throw new PurchaseError(`${id} is free: fetch it with agora get ${listing.record.root.toString()}`)
    const me = this.#svc.hotkey
    const owned = await this.#svc.receipts.get(me, listing.id, options) != null
    return { listing, owned, seller: toAddress(listing.record.publisher), recipient: Buffer.from(me).toString('hex'), chainId: chain.ledger.genesis.chainId, amount: amountDue(listing.record) }
  }

  async #listing (id: string, options: AbortOptions): Promise<Listing> {
    await this.#svc.ready(options)
    const l = await this.#svc.index.get(id, options)
    if (l == null) throw new ListingNotFoundError(`no current listing ${id} in the local index (see agora market search)`)
    return l
  }

  /**
   * Buyer: with `escrow`, waits for its delivery (`DeliveryTimeoutError` once its deadline has
   * passed undelivered: the buyer then takes a refund), accepts it (receipt, key commitment) and
   * records it; without, uses the receipt of an earlier purchase. Then fetches the ciphertext and
   * decrypts it to `out`.
   */
  async receive (id: string, escrow: string | undefined, out: string, options: DecryptOptions & { onProgress?: FetchOptions['onProgress'] } = {}): Promise<Received> {
    const chain = this.#chain()
    const listing = await this.#listing(id, options)
    const commitment = listing.record.keyCommitment
    if (commitment == null) throw new PurchaseError(`${id} is not a paid listing`)
    let key: Uint8Array
    let source: Received['source'] = 'receipt'
    const me = this.#svc.hotkey
    const held = await this.#svc.receipts.get(me, listing.id, options)
    if (held != null) {
      escrow = held.record.escrow
      const { sealedKey } = decodeDelivery(await this.#payload(chain, escrow, options))
      key = openSealedKey({ sealed: sealedKey, recipientSecret: this.#secret, listingId: listing.id, commitment })
    } else {
      if (escrow == null) throw new PurchaseError(`no receipt for ${id}: buy it first (agora buy ${id})`)
      const payload = await this.#waitDelivered(chain, escrow, listing, options)
      const d = decodeDelivery(payload)
      const r = await acceptDelivery({ listing, sealedKey: d.sealedKey, receipt: d.receipt, buyerSecret: this.#secret, book: this.#svc.receipts }, options)
      if (r.receipt.record.escrow !== escrow) throw new PurchaseError('the receipt names another escrow')
      await this.#svc.datastore.put(purchaseKey(escrow), payload, options)
      key = r.contentKey
      source = 'delivery'
    }
    await this.#svc.content.fetch(listing.record.root, { signal: options.signal, onProgress: options.onProgress })
    const files = await decryptListing({ store: this.#svc.content.local }, listing, key, out, options)
    return { source, escrow, files }
  }

  /** The delivery payload of an escrow: stored locally, else read from the ledger. */
  async #payload (chain: LedgerService, escrow: string, options: AbortOptions): Promise<Uint8Array> {
    try {
      return await this.#svc.datastore.get(purchaseKey(escrow), options)
    } catch {
      const e = chain.ledger.escrow(escrow)
      if (e?.state !== 'delivered') throw new PurchaseError(`escrow ${escrow} has no delivery`)
      return e.payload
    }
  }

  async #waitDelivered (chain: LedgerService, id: string, listing: Listing, options: AbortOptions): Promise<Uint8Array> {
    while (true) {
      options.signal?.throwIfAborted()
      const e = chain.ledger.escrow(id)
      if (e != null) {
        if (e.listing !== listing.id.toString()) throw new PurchaseError(`escrow ${id} is for ${e.listing}, not ${listing.id.toString()}`)
        if (e.recipient == null || Buffer.compare(Buffer.from(e.recipient), Buffer.from(this.#svc.hotkey)) !== 0) throw new PurchaseError(`escrow ${id} is not addressed to this daemon's hotkey`)
        if (e.state === 'delivered') return e.payload
        if (e.state === 'refunded') throw new PurchaseError(`escrow ${id} was refunded`)
        if (chain.ledger.status().height > e.deadline) throw new DeliveryTimeoutError(`the seller did not deliver escrow ${id} by block ${e.deadline}: take a refund`)
      }
      await nextBlock(chain, options)
    }
  }
}

function purchaseKey (escrow: string): Key {
  return new Key(`/market/purchases/${escrow}`)
}

async function nextBlock (chain: LedgerService, options: AbortOptions): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const done = (): void => { clearTimeout(t); chain.ledger.events.removeEventListener('block', done); options.signal?.removeEventListener('abort', abort); resolve() }
    const abort = (): void => { done(); reject(options.signal?.reason) }
    // a block every few seconds; the timer also covers a follower that catches up silently
    const t = setTimeout(done, 2000)
    chain.ledger.events.addEventListener('block', done)
    options.signal?.addEventListener('abort', abort, { once: true })
  })
}
