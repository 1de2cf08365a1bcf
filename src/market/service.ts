/**
 * The market as a node service: the local listing index over the repo datastore (loaded in the
 * background, so the daemon serves at once), the DHT validator and selector, the gossip topic,
 * the catalogue protocol, a DHT record per listing, periodic re-announcement of our own
 * listings, and (with the ledger, found as `services.get(LEDGER)`) purchases. The API builds the
 * `/api/v0/market/*` routes over it.
 */
import { logger } from '@libp2p/logger'
import { dhtRecordKey, guardTopic } from '../dht/index.ts'
import { LEDGER } from '../ledger/index.ts'
import { DEFAULT_ADMISSION_LIMITS } from './admission.ts'
import { serviceKey } from '../service.ts'
import { CATALOGUE_PROTOCOL, DEFAULT_CATALOGUE_LIMITS, catalogueHandler, pullCatalogue } from './catalogue.ts'
import { DHT_NAMESPACE, MAX_LISTING_BYTES } from './constants.ts'
import { equalBytes } from './envelope.ts'
import { FraudCheckBusyError, ListingNotFoundError, RecordTooLargeError } from './errors.ts'
import { checkFraudClaim, decodeFraudReport, FraudBook, MAX_FRAUD_REPORT_BYTES } from './fraud.ts'
import { FRAUD_TOPIC, fraudTopicValidator, MARKET_TOPIC, listingTopicValidator } from './gossip.ts'
import { ContentKeyStore } from './keystore.ts'
import { decodeListingUnsafe, verifyListing } from './listing.ts'
import { ListingIndex } from './listing-index.ts'
import { Publisher } from './publisher.ts'
import { ReceiptBook } from './receipt-book.ts'
import { listingKey, listingValidator, selectListingRecord } from './record.ts'
import { Trade } from './trade.ts'
import { listingView } from './view.ts'
import type { CatalogueAnswer, CatalogueCursor, CatalogueLimits, PullResult } from './catalogue.ts'
import type { FraudReport } from './fraud.ts'
import type { IngestStatus, ReportStatus } from './gossip.ts'
import type { ListingView } from './view.ts'
import type { Listing } from './listing.ts'
import type { AnnounceResult } from './publisher.ts'
import type { AdmissionLimits } from './admission.ts'
import type { AgoraConfig } from '../config.ts'
import type { NodeComponents, NodeService, NodeServiceFactory, ServiceLookup } from '../service.ts'
import type { AbortOptions, PeerId } from '@libp2p/interface'

export type { AnnounceResult } from './publisher.ts'

const log = logger('agora:market')

/** The registry key of the market (`node.services.get(MARKET)`). */
export const MARKET = serviceKey<MarketService>('market')

/** Listings received while the index loads, kept to be indexed once it is ready. */
const MAX_PENDING = 10_000
/** Policy: fraud reports checked at once (each reads one chunk, at most 16 MiB), one per sending peer. */
const MAX_FRAUD_CHECKS = 4
/** Policy: time to fetch what one fraud report names. */
const FRAUD_CHECK_TIMEOUT_MS = 60_000
const utf8 = new TextEncoder()

/** How to build the market service. */
export interface MarketServiceInit {
  /** Re-announce our own listings (gossip + DHT) this often, ms. @default 600_000 */
  announceInterval?: number
  /**
   * Pull from a random connected peer the listings it indexed since our last pull from it, this
   * often, ms: what gossip missed arrives within about this time. @default 60_000
   */
  syncInterval?: number
  /** Limits of one catalogue exchange. @default DEFAULT_CATALOGUE_LIMITS */
  catalogue?: Partial<CatalogueLimits>
  /** Time limit of one DHT put, ms. @default 30_000 */
  dhtTimeout?: number
}

/** The components the market uses. */
export type MarketComponents = Pick<NodeComponents, 'privateKey' | 'libp2p' | 'datastore' | 'repoPath' | 'content' | 'onWarning' | 'config'>

/** The market service (see the module comment). */
export class MarketService implements NodeService {
  readonly name = 'market'
  readonly index: ListingIndex
  readonly keys: ContentKeyStore
  readonly receipts: ReceiptBook
  /** Verified fraud reports: the marks of listings and publishers. */
  readonly fraud: FraudBook
  readonly publisher: Publisher
  /** Purchases (needs the ledger service). */
  readonly trade: Trade
  readonly #components: MarketComponents
  /** Our hotkey seed: the daemon signs listings and receipts with it. */
  readonly #secret: Uint8Array
  readonly #init: MarketServiceInit
  readonly #limits: CatalogueLimits
  readonly #stopping = new AbortController()
  #pending: Array<{ listing: Listing, from: string | undefined }> = []
  #loading?: Promise<void>
  #timer?: ReturnType<typeof setInterval>
  #unguard: () => void = () => {}
  #unguardFraud: () => void = () => {}
  /** Peers whose fraud report is being checked. */
  readonly #checking = new Set<string>()
  #syncTimer?: ReturnType<typeof setInterval>
  readonly #pulling = new Set<string>()
  /** Per peer, where its catalogue stood at our last pull (the most recent peers only). */
  readonly #cursors = new Map<string, CatalogueCursor>()
  readonly #onConnect = (e: CustomEvent<PeerId>): void => { this.#pullFrom(e.detail) }
  /** Figures of the catalogue pulls, for status. */
  readonly pulls = { peers: 0, accepted: 0, refused: 0, failed: 0 }

  /**
   * @param services - the services created before the market: with the ledger (`LEDGER`) it
   * sells and buys; without, purchases fail with `LedgerUnavailableError`
   */
  constructor (components: MarketComponents, init: MarketServiceInit = {}, services?: ServiceLookup) {
    this.#components = components
    this.#init = init
    this.#limits = { ...DEFAULT_CATALOGUE_LIMITS, ...init.catalogue }
    this.#secret = components.privateKey.raw.subarray(0, 32)
    // Policy: "staked" is a hotkey the chain knows (it has stake or a registered neuron); without
    // a running ledger every publisher counts as unstaked.
    const ledger = services?.get(LEDGER)
    this.index = new ListingIndex({ datastore: components.datastore }, {
      admission: admissionLimits(components.config.market),
      isStaked: publisher => ledger?.isRunning() === true && ledger.ledger.knowsHotkey(publisher),
      // an item the index let go of is not kept by the DHT either (kad-dht keeps records until overwritten)
      onDrop: item => {
        Promise.resolve(components.datastore.delete(dhtRecordKey(utf8.encode(item)))).catch(err => { log('deleting the DHT record of %s failed - %e', item, err) })
      }
    })
    this.keys = new ContentKeyStore(components.repoPath)
    this.receipts = new ReceiptBook({ datastore: components.datastore })
    this.fraud = new FraudBook({ datastore: components.datastore })
    const own = { index: this.index, keys: this.keys, content: components.content, hotkey: this.hotkey, secret: this.#secret, ready: async (o?: AbortOptions) => this.ready(o) }
    this.publisher = new Publisher({ ...own, repoPath: components.repoPath, announce: async (l, o) => this.announce(l, o) })
    this.trade = new Trade({ ...own, receipts: this.receipts, datastore: components.datastore, ledger: services?.get(LEDGER), fraud: this.fraud, report: async (r, o) => { await this.reportFraud(r, o) } })
  }

  /** Our hotkey (the publisher key of our listings). */
  get hotkey (): Uint8Array { return this.#components.privateKey.publicKey.raw }

  /** `indexing` while the index loads from the datastore, then `ready`. */
  get state (): 'indexing' | 'ready' { return this.index.isStarted() ? 'ready' : 'indexing' }

  async start (): Promise<void> {
    const libp2p = this.#components.libp2p
    const pubsub = libp2p.services.pubsub
    // a rejected listing costs its sender score (topic-guard.ts), as the ledger's topics do
    this.#unguard = guardTopic(pubsub, MARKET_TOPIC, listingTopicValidator(async (b, from) => this.ingest(b, from)))
    pubsub.subscribe(MARKET_TOPIC)
    this.#unguardFraud = guardTopic(pubsub, FRAUD_TOPIC, fraudTopicValidator(async (b, from) => this.receiveReport(b, from)))
    pubsub.subscribe(FRAUD_TOPIC)
    await libp2p.handle(CATALOGUE_PROTOCOL, catalogueHandler((from, o) => this.#catalogue(from, o), this.#limits), { maxInboundStreams: 4 })
    libp2p.addEventListener('peer:connect', this.#onConnect)
    // Policy: the index loads in the background (≈16 s at 100k listings) so the daemon serves
    // content at once; incoming listings are verified and queued meanwhile.
    this.#loading = this.#load()
    this.#timer = setInterval(() => { this.reannounce().catch(err => { log.error('re-announce failed - %e', err) }) }, this.#init.announceInterval ?? 600_000)
    this.#timer.unref?.()
    this.#syncTimer = setInterval(() => { this.#syncOne().catch(err => { log('catalogue sync failed - %e', err) }) }, this.#init.syncInterval ?? 60_000)
    this.#syncTimer.unref?.()
    this.trade.start()
  }

  async stop (): Promise<void> {
    this.#stopping.abort(new Error('market stopping'))
    this.trade.stop()
    clearInterval(this.#timer)
    clearInterval(this.#syncTimer)
    const libp2p = this.#components.libp2p
    libp2p.removeEventListener('peer:connect', this.#onConnect)
    libp2p.services.pubsub.unsubscribe(MARKET_TOPIC)
    libp2p.services.pubsub.unsubscribe(FRAUD_TOPIC)
    this.#unguard()
    this.#unguardFraud()
    await libp2p.unhandle(CATALOGUE_PROTOCOL)
    await this.#loading
    await this.index.stop()
  }

  async #load (): Promise<void> {
    try {
      await this.fraud.start({ signal: this.#stopping.signal })
      await this.index.start({ signal: this.#stopping.signal })
    } catch (err) {
      if (!this.#stopping.signal.aborted) { log.error('loading the listing index failed - %e', err); this.#components.onWarning(`the listing index failed to load: ${(err as Error).message}`) }
      return
    }
    const pending = this.#pending
    this.#pending = []
    for (const { listing: l, from } of pending) await this.index.addUnsafe(l, { from }).catch(err => { log('queued listing refused - %e', err) })
    log('listing index ready: %d listings (%d received while loading)', this.index.size, pending.length)
    for (const p of this.#components.libp2p.getPeers()) this.#pullFrom(p)
    // escrows opened to us while we were down
    await this.trade.deliverDue().catch(err => { log.error('delivering failed - %e', err) })
  }

  /** The JSON view of a listing, with its fraud marks (fraud.ts). */
  view (listing: Listing): ListingView {
    return listingView(listing, this.fraud.marks(listing))
  }

  /**
   * A fraud report from the network: size, signature and schema, then the claim, checked
   * against the listing in our index by reading the chunk it names (at most
   * `MAX_FRAUD_CHECKS` at once, one per peer). Verified, it is kept and marks the listing and
   * its publisher. Throws the decoding errors and `FraudReportError` for a false report;
   * `ListingNotFoundError` or `FraudCheckBusyError` when it cannot be checked now, and the
   * fetch's errors when the chunk could not be read.
   */
  async receiveReport (bytes: Uint8Array, from?: string, options: AbortOptions = {}): Promise<ReportStatus> {
    if (bytes.length > MAX_FRAUD_REPORT_BYTES) throw new RecordTooLargeError(`fraud report of ${bytes.length} bytes, the limit is ${MAX_FRAUD_REPORT_BYTES}`)
    const report = decodeFraudReport(bytes)
    const held = this.fraud.get(report.record.listing)
    if (held != null) {
      // the report we hold travels on; another one about the same listing is not checked again
      if (held.id.equals(report.id)) return 'known'
      throw new FraudCheckBusyError(`${report.record.listing.toString()} is reported already`)
    }
    if (!this.index.isStarted()) throw new FraudCheckBusyError('the listing index is loading')
    const listing = await this.index.get(report.record.listing.toString(), options)
    if (listing == null) throw new ListingNotFoundError(`no current listing ${report.record.listing.toString()} here to check the report against`)
    const who = from ?? 'us'
    if (this.#checking.has(who) || this.#checking.size >= MAX_FRAUD_CHECKS) throw new FraudCheckBusyError('fraud reports are being checked')
    this.#checking.add(who)
    try {
      const signal = AbortSignal.any([AbortSignal.timeout(FRAUD_CHECK_TIMEOUT_MS), this.#stopping.signal, ...(options.signal != null ? [options.signal] : [])])
      const content = this.#components.content
      await checkFraudClaim(report, listing, async (cid, offset, length, o) => content.readRange(listing.record.root, cid, offset, length, o), { signal })
    } finally {
      this.#checking.delete(who)
    }
    if (await this.fraud.add(report, options)) {
      log('verified fraud report %s: %s/%s of %s does not decrypt with its committed key', report.id, listing.record.kind, listing.record.name, listing.id)
      this.#components.onWarning(`fraud report verified: listing ${listing.id.toString()} (${listing.record.name}) does not decrypt with the key it committed to`)
    }
    return 'verified'
  }

  /** Our own report (a purchase that did not decrypt): checked like any other, kept, gossiped. */
  async reportFraud (report: FraudReport, options: AbortOptions = {}): Promise<{ gossip: number }> {
    await this.receiveReport(report.bytes, undefined, options)
    return { gossip: await this.#publishReport(report) }
  }

  async #publishReport (report: FraudReport): Promise<number> {
    try {
      return (await this.#components.libp2p.services.pubsub.publish(FRAUD_TOPIC, report.bytes)).recipients.length
    } catch (err) {
      log('gossip of fraud report %s failed - %e', report.id, err)
      return 0
    }
  }

  /** Resolves once the index is loaded (rejects on abort). */
  async ready (options: AbortOptions = {}): Promise<void> {
    while (!this.index.isStarted()) {
      options.signal?.throwIfAborted()
      this.#stopping.signal.throwIfAborted()
      await new Promise(resolve => setTimeout(resolve, 50))
    }
  }

  /**
   * Listing bytes from the network: size, then signature, schema and expiry, then the index
   * (which refuses older sequences). Throws the verification errors.
   */
  async ingest (bytes: Uint8Array, from?: string, options: { charged?: boolean } = {}): Promise<IngestStatus> {
    if (bytes.length > MAX_LISTING_BYTES) throw new RecordTooLargeError(`listing of ${bytes.length} bytes, the limit is ${MAX_LISTING_BYTES}`)
    // Policy: the source is charged before the signature is checked (admission.ts, rule 1).
    if (options.charged !== true) this.charge(bytes, from)
    const listing = verifyListing(bytes)
    if (!this.index.isStarted()) {
      if (this.#pending.length >= MAX_PENDING) return 'unchanged'
      this.#pending.push({ listing, from })
      return 'queued'
    }
    // `from` (a peer id, or 'dht' for records put to us) is what admission control budgets.
    const r = await this.index.addUnsafe(listing, { from, charged: from != null })
    if (r.status !== 'unchanged') log('%s %s/%s seq %d from %s', r.status, listing.record.kind, listing.record.name, listing.record.seq, from ?? 'us')
    return r.status
  }

  /**
   * Charges the source of listing bytes not yet verified against admission control's rate and
   * budget (a decode, no signature check). Throws `ListingAdmissionError`, or the decoding error.
   */
  charge (bytes: Uint8Array, from: string | undefined): void {
    if (from != null && this.index.isStarted()) this.index.charge(decodeListingUnsafe(bytes).record.publisher, from)
  }

  /** What the catalogue protocol sends: our listings since `from` (all of them if it is not ours). */
  #catalogue (from: CatalogueCursor | undefined, options: AbortOptions): CatalogueAnswer {
    const index = this.index
    if (!index.isStarted()) return { listings: [], next: { instance: new Uint8Array(8), position: 0 } }
    const next = index.cursor
    const ours = from != null && equalBytes(from.instance, next.instance)
    return { listings: ours ? index.since(from.position, options) : index.current(options), next }
  }

  /**
   * A catalogue pull since the last one from a random connected peer that serves the catalogue
   * (as identify told us) and is not being pulled from.
   */
  async #syncOne (): Promise<void> {
    const libp2p = this.#components.libp2p
    const peers: PeerId[] = []
    for (const p of libp2p.getPeers()) {
      if (this.#pulling.has(p.toString())) continue
      const protocols = await libp2p.peerStore.get(p).then(x => x.protocols, (): string[] => [])
      if (protocols.includes(CATALOGUE_PROTOCOL)) peers.push(p)
    }
    if (peers.length > 0) this.#pullFrom(peers[Math.floor(Math.random() * peers.length)])
  }

  #pullFrom (peer: PeerId): void {
    const id = peer.toString()
    if (!this.index.isStarted() || this.#pulling.has(id)) return
    this.#pulling.add(id)
    this.pullCatalogue(peer)
      .then(r => { if (r.received > 0) log('catalogue of %p: %o', peer, r) })
      .catch(err => { this.pulls.failed++; log('catalogue pull from %p failed - %e', peer, err) })
      .finally(() => { this.#pulling.delete(id) })
  }

  /**
   * Pulls into the index the listings `peer` holds: every current one the first time, then those
   * it indexed since the last pull (all again if it restarted since).
   */
  async pullCatalogue (peer: PeerId, options: AbortOptions = {}): Promise<PullResult> {
    const signal = AbortSignal.any([this.#stopping.signal, ...(options.signal != null ? [options.signal] : [])])
    const id = peer.toString()
    const r = await pullCatalogue(this.#components.libp2p, peer, async (b, from) => this.ingest(b, from), this.#limits, { signal, from: this.#cursors.get(id) })
    if (r.next != null) {
      // Policy: remember the cursors of the 4096 most recently pulled peers
      this.#cursors.delete(id)
      this.#cursors.set(id, r.next)
      if (this.#cursors.size > 4096) this.#cursors.delete(this.#cursors.keys().next().value as string)
    }
    this.pulls.peers++
    this.pulls.accepted += r.accepted
    this.pulls.refused += r.refused
    return r
  }

  /** Announces a listing: gossip to all peers and a DHT record under its item key. */
  async announce (listing: Listing, options: AbortOptions = {}): Promise<AnnounceResult> {
    const libp2p = this.#components.libp2p
    let gossip = 0
    try {
      gossip = (await libp2p.services.pubsub.publish(MARKET_TOPIC, listing.bytes)).recipients.length
    } catch (err) {
      log.error('gossip of %s failed - %e', listing.id, err)
    }
    // kad-dht's put does not throw when peers refuse: the PUT_VALUE responses say how many stored it
    let dht = 0
    const signal = AbortSignal.any([AbortSignal.timeout(this.#init.dhtTimeout ?? 30_000), this.#stopping.signal, ...(options.signal != null ? [options.signal] : [])])
    try {
      for await (const ev of libp2p.services.dht.put(listingKey(listing.record), listing.bytes, { signal })) {
        if (ev.name === 'PEER_RESPONSE' && ev.messageName === 'PUT_VALUE') dht++
      }
    } catch (err) {
      log('DHT put of %s ended - %e', listing.id, err)
    }
    return { gossip, dht }
  }

  /** Announces every current listing of ours again (revocations included), and the fraud reports we made. */
  async reannounce (options: AbortOptions = {}): Promise<number> {
    if (!this.index.isStarted()) return 0
    for (const r of this.fraud.all()) if (equalBytes(r.record.reporter, this.hotkey)) await this.#publishReport(r)
    let n = 0
    for await (const bytes of this.index.current(options)) {
      const l = decodeListingUnsafe(bytes, { trusted: true })
      if (!equalBytes(l.record.publisher, this.hotkey)) continue
      await this.announce(l, options)
      n++
    }
    return n
  }
}

/** Admission control's limits from the daemon's `market` config. */
export function admissionLimits (c: AgoraConfig['market']): AdmissionLimits {
  return {
    total: { listings: c.maxListings, bytes: c.maxListingBytes },
    unstaked: { listings: c.maxUnstakedListings, bytes: c.maxUnstakedBytes },
    perSource: { listings: c.perPeerListings, bytes: c.perPeerBytes, ratePerSecond: c.perPeerRate, burst: c.perPeerBurst },
    unstakedPublisher: DEFAULT_ADMISSION_LIMITS.unstakedPublisher,
    stakedPublisher: DEFAULT_ADMISSION_LIMITS.stakedPublisher
  }
}

/** The market's node service factory (every daemon runs it; it uses the ledger when given first). */
export function marketService (init: MarketServiceInit = {}): NodeServiceFactory<MarketService> {
  let svc: MarketService | undefined
  // Policy: refuse records below the sequence our index knows (kad-dht overwrites on PUT).
  const validate = listingValidator({ knownSequence: k => svc?.index.knownSequence(k) })
  return {
    key: MARKET,
    optional: [LEDGER],
    dhtValidators: {
      [DHT_NAMESPACE]: async (key, value) => {
        // Policy: the DHT stores a record only if the index admits it, so what kad-dht keeps of
        // the market namespace is within admission control's budgets too (the DHT counts as
        // one source); rate and budget are charged before the signature is checked.
        if (value.length > MAX_LISTING_BYTES) throw new RecordTooLargeError(`listing of ${value.length} bytes, the limit is ${MAX_LISTING_BYTES}`)
        svc?.charge(value, 'dht')
        await validate(key, value)
        // a valid record put to us or read by us also goes into the index; refused, it is not stored
        await svc?.ingest(value, 'dht', { charged: true })
      }
    },
    dhtSelectors: { [DHT_NAMESPACE]: selectListingRecord },
    create: (components, services) => {
      svc = new MarketService(components, init, services)
      return svc
    }
  }
}
