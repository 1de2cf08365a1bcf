/**
 * Purchases on the ledger (the chain's rules are in src/ledger/tx/escrow.ts).
 *
 * Seller side, on every block: escrows opened to our hotkey for a current paid listing of ours
 * with its commitment are delivered once (the content key sealed to the escrow's one-time
 * recipient, and a signed receipt); an escrow we refuse is never retried; a delivery whose
 * dispute window ended unanswered is claimed.
 *
 * Buyer side: a quote makes a one-time key for the purchase (kept in the datastore before the
 * buyer pays, so a crash loses nothing) and names our hotkey as the escrow's agent. Once the
 * seller delivers, we open the key and check it against the commitment: a good key is accepted
 * at once (the seller is paid), a bad one is disputed by revealing the one-time secret (the
 * chain refunds the buyer). An unfinished purchase of ours is found again by the next quote, so
 * `agora buy` run twice pays once; later downloads reuse the stored delivery.
 */
import { logger } from '@libp2p/logger'
import { Key } from 'interface-datastore'
import { toAddress } from '../ledger/index.ts'
import { decryptListing } from './decrypt-out.ts'
import { randomBytes } from '@noble/hashes/utils.js'
import { DeliveryDisputedError, DeliveryTimeoutError, LedgerUnavailableError, ListingFraudError, ListingNotFoundError, PurchaseError } from './errors.ts'
import { createFraudReport } from './fraud.ts'
import { openSealedKey, sealContentKey, sealPublicKeyOf } from '../seal.ts'
import { decodeDelivery, encodeDelivery, prepareDelivery } from './purchase.ts'
import { decodeListingUnsafe } from './listing.ts'
import { amountDue, verifyReceipt } from './receipt.ts'
import type { DecryptOptions, WrittenFile } from './decrypt-out.ts'
import type { FraudBook, FraudReport } from './fraud.ts'
import type { ContentKeyStore } from './keystore.ts'
import type { Listing } from './listing.ts'
import type { Receipt } from './receipt.ts'
import type { ListingIndex } from './listing-index.ts'
import type { ReceiptBook } from './receipt-book.ts'
import type { FetchOptions } from '../dht/index.ts'
import type { LedgerService, TxBody } from '../ledger/index.ts'
import type { NodeContent } from '../service.ts'
import type { AbortOptions } from '@libp2p/interface'
import type { Datastore } from 'interface-datastore'

const log = logger('agora:market:trade')

/** What a buyer needs to pay for a listing. */
export interface Quote {
  listing: Listing
  /** The id asked for names an earlier version: `listing` is the current one. */
  superseded: boolean
  /** Earlier versions of this item we bought (each downloads on its own id; this one is a new purchase). */
  ownedEarlier: string[]
  /** This listing was bought and delivered: download again without paying. */
  owned: boolean
  /** An escrow of ours for this listing that is not finished: carry on with it, do not pay again. */
  pending?: string
  /** The seller's account (the publisher hotkey's address). */
  seller: string
  /** Our daemon's hotkey address: the escrow's agent, which accepts or disputes the delivery. */
  agent: string
  /** The one-time public key of a new purchase (hex): the escrow's recipient (zeros when owned or pending). */
  recipient: string
  /** The listing's key commitment (hex). */
  commitment: string
  chainId: string
  /** Rao. */
  amount: bigint
}

/** A purchase made through this daemon ({@link Trade.purchases}). */
export interface Purchase {
  escrow: string
  /** The listing id (a CID string). */
  listing: string
  /** The listing's name (from the index, or the envelope kept of what was bought). */
  name?: string
  seller: string
  /** The coldkey that paid. */
  buyer: string
  /** Rao. */
  amount: bigint
  state: ChainEscrow['state']
  openedAt: number
  deadline: number
  /** 0 until delivered. */
  deliveredAt: number
  /** 0 while held. */
  closedAt: number
  /** The delivered key was checked and kept here: the listing downloads again without paying. */
  received: boolean
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
  /** Where a buyer keeps its one-time keys and the deliveries it accepted. */
  datastore: Datastore
  /** Our hotkey's public key: the seller of our listings, the agent of our escrows. */
  hotkey: Uint8Array
  /** Our hotkey's 32-byte seed: receipts are signed with it. */
  secret: Uint8Array
  /** Resolves once the listing index is loaded. */
  ready: (options?: AbortOptions) => Promise<void>
  /** The chain, when this daemon runs one. */
  ledger?: LedgerService
  /** Verified fraud reports: a reported listing is not bought. */
  fraud: Pick<FraudBook, 'get'>
  /** Checks, keeps and gossips a report of ours. */
  report: (report: FraudReport, options?: AbortOptions) => Promise<void>
}

type ChainEscrow = NonNullable<ReturnType<LedgerService['ledger']['escrow']>>

/** Seller and buyer ends of purchases (see the module comment). */
export class Trade {
  readonly #svc: TradeComponents
  readonly #secret: Uint8Array
  /** Escrows being delivered, delivered or refused by us (never tried twice while running). */
  readonly #handled = new Set<string>()
  readonly #claiming = new Set<string>()
  readonly #onBlock = (): void => {
    this.deliverDue().catch(err => { log.error('delivering failed - %e', err) })
    this.claimDue().catch(err => { log.error('claiming failed - %e', err) })
  }

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

  async #submit (chain: LedgerService, body: TxBody): Promise<number> {
    const tx = { chainId: chain.ledger.genesis.chainId, signer: chain.hotkey.address, nonce: chain.ledger.nextNonce(chain.hotkey.address), body }
    const { hash } = await chain.submit(chain.hotkey.sign(tx))
    return (await chain.waitForTx(hash)).block
  }

  /** Seller: delivers every open escrow addressed to us that was not handled yet. */
  async deliverDue (): Promise<number> {
    const chain = this.ledger
    if (chain == null || !this.#svc.index.isStarted()) return 0
    let n = 0
    for (const e of chain.ledger.escrowsFor(chain.hotkey.address, 'open')) {
      if (this.#handled.has(e.id)) continue
      this.#handled.add(e.id)
      n++
      this.#deliver(chain, e).catch(err => {
        log.error('delivery of escrow %s failed - %e', e.id, err)
        this.#handled.delete(e.id) // retried on the next block while the window is open
      })
    }
    return n
  }

  /** Seller: claims every delivery of ours whose dispute window has ended. */
  async claimDue (): Promise<number> {
    const chain = this.ledger
    if (chain == null) return 0
    const height = chain.ledger.status().height
    const window = chain.ledger.genesis.params.disputeWindow
    let n = 0
    for (const e of chain.ledger.escrowsFor(chain.hotkey.address, 'delivered')) {
      if (height <= e.deliveredAt + window || this.#claiming.has(e.id)) continue
      this.#claiming.add(e.id)
      n++
      this.#submit(chain, { kind: 'claim', escrow: e.id })
        .then(block => { log('claimed escrow %s in block %d', e.id, block) })
        .catch(err => { log.error('claiming escrow %s failed - %e', e.id, err) })
        .finally(() => { this.#claiming.delete(e.id) })
    }
    return n
  }

  async #deliver (chain: LedgerService, e: ChainEscrow & { id: string }): Promise<void> {
    const svc = this.#svc
    // Policy: only current paid listings of ours, with the commitment the escrow names, are
    // delivered; anything else is refused once and its escrow runs out and refunds.
    const listing = await svc.index.get(e.listing)
    const commitment = listing?.record.keyCommitment
    if (listing == null || listing.record.access !== 'paid' || commitment == null || Buffer.compare(Buffer.from(commitment), Buffer.from(e.commitment)) !== 0) {
      log('escrow %s is for %s, not a current paid listing of ours with that commitment: refused', e.id, e.listing)
      return
    }
    const contentKey = await svc.keys.get(commitment)
    let receipt
    try {
      receipt = (await prepareDelivery({ listing, contentKey, buyer: e.recipient, escrow: e.id, amount: e.amount, sellerSecret: this.#secret, book: svc.receipts })).receipt
    } catch (err) {
      if ((err as Error).name !== 'ReceiptReplayError') throw err
      // a receipt was recorded before a crash or a dropped tx: deliver that same receipt again
      receipt = await svc.receipts.get(e.recipient, listing.id)
      if (receipt == null || receipt.record.escrow !== e.id) throw err
    }
    const key = sealContentKey({ contentKey, recipient: e.recipient, listingId: listing.id })
    const block = await this.#submit(chain, { kind: 'deliver', escrow: e.id, key, receipt: receipt.bytes })
    log('delivered escrow %s (%s) in block %d', e.id, listing.id, block)
  }

  /**
   * Buyer: what to pay for `id`, with a fresh one-time key for the escrow; or that we own it
   * already; or the escrow of ours still under way for it.
   */
  async quote (id: string, options: AbortOptions = {}): Promise<Quote> {
    const chain = this.#chain()
    const { listing, superseded, formerIds } = await this.#find(id, options)
    const commitment = listing.record.keyCommitment
    if (listing.record.access !== 'paid' || commitment == null) throw new PurchaseError(`${id} is free: fetch it with agora get ${listing.record.root.toString()}`)
    const owned = await this.#svc.datastore.has(ownedKey(listing.id.toString()), options)
    const seller = toAddress(listing.record.publisher)
    const pending = owned ? undefined : await this.#pending(chain, seller, listing.id.toString(), options)
    const reported = this.#svc.fraud.get(listing.id)
    if (reported != null && !owned && pending == null) {
      throw new ListingFraudError(`${id} was reported: its committed key does not decrypt chunk ${reported.record.chunk} of ${listing.record.files[reported.record.file]?.path ?? 'a file'} (verified fraud report ${reported.id.toString()}); not bought`)
    }
    // a new purchase gets a one-time key, on disk before anyone can pay to its public key
    let recipient: Uint8Array = new Uint8Array(32)
    if (!owned && pending == null) {
      const seed = randomBytes(32)
      recipient = sealPublicKeyOf(seed)
      await this.#svc.datastore.put(purchaseKeyKey(recipient), seed, options)
    }
    // Policy: a purchase is of one version (each version has its own content key): a later
    // version of something bought is bought anew; the earlier one stays downloadable
    const ownedEarlier: string[] = []
    if (!owned) for (const former of formerIds) if (await this.#svc.datastore.has(ownedKey(former), options)) ownedEarlier.push(former)
    return { listing, superseded, ownedEarlier, owned, pending, seller, agent: chain.hotkey.address, recipient: hex(recipient), commitment: hex(commitment), chainId: chain.ledger.genesis.chainId, amount: amountDue(listing.record) }
  }

  /** An escrow for `listing` with us as agent and a one-time key we hold, not refunded or failed. */
  async #pending (chain: LedgerService, seller: string, listing: string, options: AbortOptions): Promise<string | undefined> {
    // committed escrows, then one in the block being built (paid a moment ago, before a kill)
    const ours = [...chain.ledger.escrowsByAgent(chain.hotkey.address), ...chain.ledger.openingEscrows().filter(e => e.agent === chain.hotkey.address)]
    for (const e of ours) {
      if (e.listing !== listing || e.seller !== seller || !UNFINISHED.has(e.state)) continue
      if (await this.#svc.datastore.has(purchaseKeyKey(e.recipient), options)) return e.id
    }
    return undefined
  }

  /**
   * Buyer: the purchases made through this daemon (escrows naming our hotkey as agent whose
   * one-time key we hold), oldest first, with their state on the chain and whether the key was
   * received and checked here; `buyer` keeps those paid by one coldkey.
   */
  async purchases (options: AbortOptions & { buyer?: string } = {}): Promise<Purchase[]> {
    const chain = this.#chain()
    const out: Purchase[] = []
    for (const e of chain.ledger.escrowsByAgent(chain.hotkey.address)) {
      if (options.buyer != null && e.buyer !== options.buyer) continue
      if (!await this.#svc.datastore.has(purchaseKeyKey(e.recipient), options)) continue
      const listing = await this.#find(e.listing, options).then(f => f.listing, () => undefined)
      out.push({
        escrow: e.id,
        listing: e.listing,
        name: listing?.record.name,
        seller: e.seller,
        buyer: e.buyer,
        amount: e.amount,
        state: e.state,
        openedAt: e.openedAt,
        deadline: e.deadline,
        deliveredAt: e.deliveredAt,
        closedAt: e.closedAt,
        received: await this.#svc.datastore.has(purchaseKey(e.id), options)
      })
    }
    return out
  }

  /**
   * The listing `id` names: the current version of its item (also for the id of a version it
   * superseded, `superseded: true`), else one we bought and keep (revoked, expired or replaced
   * since: what was paid for stays downloadable).
   */
  async #find (id: string, options: AbortOptions): Promise<{ listing: Listing, superseded: boolean, formerIds: string[] }> {
    await this.#svc.ready(options)
    const found = await this.#svc.index.resolve(id, options)
    if (found != null) return found
    let bought: Uint8Array | undefined
    try { bought = await this.#svc.datastore.get(boughtKey(id), options) } catch {}
    if (bought != null) return { listing: decodeListingUnsafe(bought, { trusted: true }), superseded: false, formerIds: [] }
    throw new ListingNotFoundError(`no current listing ${id} in the local index (see agora market search)`)
  }

  async #listing (id: string, options: AbortOptions): Promise<Listing> {
    return (await this.#find(id, options)).listing
  }

  /**
   * Buyer: with `escrow`, waits for its delivery (`DeliveryTimeoutError` once its deadline has
   * passed undelivered: the buyer then takes a refund), judges the key (accept, or dispute and
   * `DeliveryDisputedError`) and records the delivery; without, uses the delivery of an earlier
   * purchase. Then fetches the ciphertext and decrypts it to `out`.
   */
  async receive (id: string, escrow: string | undefined, out: string, options: DecryptOptions & { onProgress?: FetchOptions['onProgress'] } = {}): Promise<Received> {
    const chain = this.#chain()
    const listing = await this.#listing(id, options)
    const commitment = listing.record.keyCommitment
    if (commitment == null) throw new PurchaseError(`${id} is not a paid listing`)
    let key: Uint8Array
    let source: Received['source'] = 'receipt'
    let held: string | undefined
    try { held = new TextDecoder().decode(await this.#svc.datastore.get(ownedKey(listing.id.toString()), options)) } catch {}
    if (held != null) {
      escrow = held
      const { sealedKey } = decodeDelivery(await this.#payload(chain, escrow, options))
      const e = chain.ledger.escrow(escrow)
      if (e == null) throw new PurchaseError(`escrow ${escrow} is not on this chain`)
      key = openSealedKey({ sealed: sealedKey, recipientSecret: await this.#seed(e.recipient, options), listingId: listing.id, commitment })
    } else {
      if (escrow == null) throw new PurchaseError(`no purchase of ${id} here: buy it first (agora buy ${id})`)
      key = await this.#judge(chain, escrow, listing, commitment, options)
      source = 'delivery'
    }
    await this.#svc.content.fetch(listing.record.root, { signal: options.signal, onProgress: options.onProgress })
    let files: WrittenFile[]
    try {
      files = await decryptListing({ store: this.#svc.content.local }, listing, key, out, options)
    } catch (err) {
      throw await this.#reportIfFraud(err, listing, key, options)
    }
    return { source, escrow, files }
  }

  /**
   * The key matched the commitment (checked when it was opened) and the ciphertext is the one
   * the listing names (blocks are verified by CID): a chunk that does not decrypt is the
   * seller's fraud, which the chain cannot judge. Report it; the error to throw.
   */
  async #reportIfFraud (err: unknown, listing: Listing, key: Uint8Array, options: AbortOptions): Promise<unknown> {
    const e = err as { name?: string, file?: number, chunk?: number, message?: string }
    if ((e.name !== 'DecryptionError' && e.name !== 'CiphertextFormatError') || e.file == null) return err
    const held = this.#svc.fraud.get(listing.id)
    if (held != null) return new ListingFraudError(`the seller's committed key does not decrypt this listing: it was reported (fraud report ${held.id.toString()})`, { cause: err })
    const report = createFraudReport({ listing, key, file: e.file, chunk: e.chunk ?? 0 }, this.#secret)
    const path = listing.record.files[e.file]?.path ?? `file ${e.file}`
    try {
      await this.#svc.report(report, options)
    } catch (reportErr) {
      log.error('the fraud report %s of %s was not published - %e', report.id, listing.id, reportErr)
      return new ListingFraudError(`the seller's committed key does not decrypt ${path} (${e.message ?? ''}); the fraud report could not be published: ${(reportErr as Error).message}`, { cause: err })
    }
    return new ListingFraudError(`the seller's committed key does not decrypt ${path} (${e.message ?? ''}): a signed fraud report (${report.id.toString()}) was published and marks the listing and its seller on every peer; the chain paid the seller, as the key matched the listing's commitment`, { cause: err })
  }

  /** Waits for the delivery of `escrow`, accepts a good key or disputes a bad one, records it. */
  async #judge (chain: LedgerService, escrow: string, listing: Listing, commitment: Uint8Array, options: AbortOptions): Promise<Uint8Array> {
    const e = await this.#waitDelivered(chain, escrow, listing, options)
    const seed = await this.#seed(e.recipient, options)
    let key: Uint8Array
    try {
      key = openSealedKey({ sealed: e.key, recipientSecret: seed, listingId: listing.id, commitment })
    } catch (err) {
      const name = (err as Error).name
      if (name !== 'SealedKeyError' && name !== 'KeyCommitmentMismatchError') throw err
      if (e.state !== 'delivered') throw err
      const block = await this.#submit(chain, { kind: 'dispute', escrow, secret: seed })
      throw new DeliveryDisputedError(`the seller delivered a key that does not open the listing (${(err as Error).message}): disputed in block ${block}, the escrow is refunded`, { cause: err })
    }
    if (e.state === 'delivered') {
      const block = await this.#submit(chain, { kind: 'accept', escrow })
      log('accepted escrow %s in block %d', escrow, block)
    }
    // the receipt lets us prove the purchase to the seller later; a bad one costs us nothing now
    try {
      await this.#svc.receipts.add(verifyReceipt(e.receipt, { listing, buyer: e.recipient }), options)
    } catch (err) {
      log('the receipt of escrow %s was not kept - %e', escrow, err)
    }
    await this.#svc.datastore.put(purchaseKey(escrow), encodeDelivery({ sealedKey: e.key, receipt: { bytes: e.receipt } as Receipt }), options)
    await this.#svc.datastore.put(boughtKey(listing.id.toString()), listing.bytes, options)
    await this.#svc.datastore.put(ownedKey(listing.id.toString()), new TextEncoder().encode(escrow), options)
    return key
  }

  async #seed (recipient: Uint8Array, options: AbortOptions): Promise<Uint8Array> {
    try {
      return await this.#svc.datastore.get(purchaseKeyKey(recipient), options)
    } catch (err) {
      throw new PurchaseError(`the one-time key ${hex(recipient)} of this purchase is not held by this daemon`, { cause: err })
    }
  }

  /** The delivery payload of an escrow: stored locally, else read from the ledger. */
  async #payload (chain: LedgerService, escrow: string, options: AbortOptions): Promise<Uint8Array> {
    try {
      return await this.#svc.datastore.get(purchaseKey(escrow), options)
    } catch {
      const e = chain.ledger.escrow(escrow)
      if (e == null || e.key.length === 0) throw new PurchaseError(`escrow ${escrow} has no delivery`)
      return encodeDelivery({ sealedKey: e.key, receipt: { bytes: e.receipt } as Receipt })
    }
  }

  async #waitDelivered (chain: LedgerService, id: string, listing: Listing, options: AbortOptions): Promise<ChainEscrow> {
    while (true) {
      options.signal?.throwIfAborted()
      const e = chain.ledger.escrow(id)
      if (e != null) {
        if (e.listing !== listing.id.toString()) throw new PurchaseError(`escrow ${id} is for ${e.listing}, not ${listing.id.toString()}`)
        if (e.agent !== chain.hotkey.address) throw new PurchaseError(`escrow ${id} names another agent than this daemon's hotkey`)
        if (e.state === 'delivered' || e.state === 'accepted' || e.state === 'paid') return e
        if (e.state === 'refunded') throw new PurchaseError(`escrow ${id} was refunded`)
        if (e.state === 'failed') throw new DeliveryDisputedError(`escrow ${id} was disputed and refunded`)
        if (chain.ledger.status().height > e.deadline) throw new DeliveryTimeoutError(`the seller did not deliver escrow ${id} by block ${e.deadline}: take a refund`)
      }
      await nextBlock(chain, options)
    }
  }
}

/** States in which an escrow is still a purchase under way (or done), not one to pay again. */
const UNFINISHED = new Set<string>(['open', 'delivered', 'accepted', 'paid'])

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

function purchaseKey (escrow: string): Key {
  return new Key(`/market/purchases/${escrow}`)
}

function purchaseKeyKey (recipient: Uint8Array): Key {
  return new Key(`/market/purchase-keys/${hex(recipient)}`)
}

/** The listing envelope a purchase was of (kept: a revoke or an update does not take it away). */
function boughtKey (listing: string): Key {
  return new Key(`/market/bought/${listing}`)
}

function ownedKey (listing: string): Key {
  return new Key(`/market/owned/${listing}`)
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
