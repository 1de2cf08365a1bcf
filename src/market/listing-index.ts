/**
 * The local index of verified listings: persisted in the repo's datastore (one entry per item,
 * holding the envelope bytes of its current version), with an in-memory search index rebuilt on
 * start. It keeps the highest sequence per publisher+kind+name, refuses older versions, hides
 * expired and revoked ones, and answers text search with filters. The envelope bytes stay on
 * disk (read back for results and the catalogue); memory holds the fields search needs.
 * Admission control (admission.ts) bounds what one peer or one key without stake can make it
 * store, and a timer prunes expired and superseded items.
 */
import { defaultLogger } from '@libp2p/logger'
import type { AbortOptions, Logger, Startable } from '@libp2p/interface'
import { Key } from 'interface-datastore'
import type { Datastore } from 'interface-datastore'
import type { AddOptions, AddResult, ListingIndexComponents, ListingIndexInit, SearchHit, SearchOptions } from './listing-index-types.ts'
import { CID } from 'multiformats'
import { NotStartedError } from '../errors.ts'
import { Admission } from './admission.ts'
import { MAX_VALIDITY_MS } from './constants.ts'
import { StaleListingError } from './errors.ts'
import { peerIdOf } from './keys.ts'
import { assertCurrent, decodeListingUnsafe, verifyListing } from './listing.ts'
import type { Listing } from './listing.ts'
import type { ListingKind, ListingRecord } from './listing-schema.ts'
import { listingKeyString, selectListingRecord } from './record.ts'
import { ByteCache } from './byte-cache.ts'
import { TextIndex, tokenize } from './text-index.ts'
import { flatString } from '../strings.ts'
import { TopK } from './top-k.ts'
import { FormerIds } from './former-ids.ts'

export type { AddOptions, AddResult, ListingIndexComponents, ListingIndexInit, SearchHit, SearchOptions } from './listing-index-types.ts'

interface Doc {
  /** Its position in this run's catalogue order (the cursor counts these). */
  num: number
  /** Its slot in the text index while it is shown; -1 once hidden (the slot is used again). */
  slot: number
  id: string
  /** The envelope's size in bytes (the bytes themselves are in the datastore). */
  size: number
  /** Whether the publisher had stake or a registered neuron when the listing was stored. */
  staked: boolean
  /** The peer that handed it to us, for admission control; undefined for our own and those loaded at start. */
  source?: string
  item: string
  publisher: string
  kind: ListingKind
  license: string
  task: string | null
  tags: string[]
  price: bigint
  created: number
  /**
   * The time that ranks the listing "newest first": its `created`, but never later than when this
   * index first saw it. Policy: `created` is the publisher's to set, up to MAX_CLOCK_SKEW_MS ahead,
   * and a listing dated ahead would otherwise sit on top of every browse and tie-break for minutes.
   */
  ranked: number
  expires: number
  seq: number
  state: ListingRecord['state']
}

/**
 * Policy: 16 MiB of envelopes are kept in memory, the most recently used: a page of results
 * is read from the datastore once, popular listings not at all (a LevelDB read costs ~70 µs,
 * 20 of them more than a whole search), while memory stays bounded whatever the index holds.
 */
const ENVELOPE_CACHE_BYTES = 16 * 1024 * 1024

/** The local listing index (a libp2p-style `Startable` service). */
export class ListingIndex implements Startable {
  private readonly datastore: Datastore
  private readonly log: Logger
  private readonly prefix: string
  private readonly now: () => number
  private started = false
  private heads = new Map<string, Doc>()
  private byId = new Map<string, Doc>()
  /** The current version of each item, by `num` (ascending: the catalogue order). */
  private docs = new Map<number, Doc>()
  private nextNum = 0
  /** Shown docs by text index slot. */
  private bySlot: Array<Doc | undefined> = []
  private instance = newInstance()
  private text = new TextIndex()
  /** Visible docs per publisher peer id and per tag: candidate sets for searches without words. */
  private byPublisher = new Map<string, Set<Doc>>()
  private byTag = new Map<string, Set<Doc>>()
  /** Browse pools sorted newest first, built on demand and dropped when their pool changes. */
  private sortedPools = new Map<string, Doc[]>()
  private queue: Promise<unknown> = Promise.resolve()
  private readonly init: ListingIndexInit
  private admission: Admission<Doc>
  private pruneTimer: ReturnType<typeof setInterval> | undefined
  /** The envelopes read or stored last, within a byte budget: search results without a datastore read. */
  private cache = new ByteCache(ENVELOPE_CACHE_BYTES)
  /** Ids of superseded versions, by item (former-ids.ts). */
  private former: FormerIds

  constructor (components: ListingIndexComponents, init: ListingIndexInit = {}) {
    this.datastore = components.datastore
    this.log = (components.logger ?? defaultLogger()).forComponent('agora:market:index')
    this.prefix = init.prefix ?? '/market/listings'
    this.now = init.now ?? Date.now
    this.init = init
    this.admission = new Admission(init.admission, this.now)
    this.former = new FormerIds(this.datastore, this.prefix + '-former')
  }

  /** Listings and bytes held, in all and from publishers without stake (admission.ts). */
  get usage (): Admission<Doc>['usage'] {
    return this.admission.usage
  }

  /** Whether {@link start} has run. */
  isStarted (): boolean {
    return this.started
  }

  /**
   * Loads every stored item and rebuilds the search index. Policy: entries are not re-verified
   * (each was verified before it was written, and the repo is as trusted as the hotkey beside
   * it); an entry that no longer decodes is logged and skipped, never deleted.
   */
  async start (options?: AbortOptions): Promise<void> {
    if (this.started) return
    this.reset()
    let skipped = 0
    for await (const { key, value } of this.datastore.query({ prefix: this.prefix + '/' }, options)) {
      try {
        const listing = decodeListingUnsafe(value, { trusted: true })
        const item = key.toString().slice(this.prefix.length)
        if (item !== itemOf(listing.record)) throw new Error(`stored under ${item}`)
        this.admission.added(this.insert(listing, item, undefined, this.isStaked(listing)))
      } catch (err) {
        skipped++
        this.log.error('skipping unreadable listing entry %s - %e', key.toString(), err)
      }
    }
    await this.former.load(item => this.heads.has(item), this.log, options)
    this.started = true
    const every = this.init.pruneIntervalMs ?? 10 * 60_000
    if (every > 0) {
      this.pruneTimer = setInterval(() => { this.prune().catch(err => { this.log.error('prune failed - %e', err) }) }, every)
      this.pruneTimer.unref?.()
    }
    this.log('loaded %d items (%d visible), skipped %d', this.heads.size, this.byId.size, skipped)
  }

  /** Drops the in-memory index; the datastore is left as it is. */
  async stop (): Promise<void> {
    if (this.pruneTimer != null) clearInterval(this.pruneTimer)
    this.pruneTimer = undefined
    await this.queue
    this.reset()
    this.started = false
  }

  /** Number of visible (active, unexpired) listings. */
  get size (): number {
    return this.text.size
  }

  /**
   * Verifies listing bytes (size, schema, signature, expiry) and stores them if they are the
   * newest version of their item. Throws the verification errors, or `StaleListingError` when a
   * newer (or an equally new, better-ranked) version is known. A revocation supersedes every lower
   * sequence; only its publisher can list the item again, with a higher one.
   */
  async add (bytes: Uint8Array, options?: AddOptions): Promise<AddResult> {
    this.assertStarted()
    const listing = verifyListing(bytes, { now: this.now() })
    return this.serial(async () => this.store(listing, options))
  }

  /**
   * Charges the source of a listing not yet verified (its publisher read from the decoded,
   * unverified record) against admission control's rate and budget, so what a flood brings
   * beyond them is refused before its signature is checked. Pass `charged: true` to the add that
   * follows. Throws `ListingAdmissionError`.
   */
  charge (publisher: Uint8Array, from: string | undefined): void {
    this.admission.charge({ source: from, staked: this.init.isStaked?.(publisher) === true })
  }

  /**
   * Adds a listing whose bytes the caller has just verified with `verifyListing` (the gossip or
   * DHT validator did), so the signature is not checked twice. Expiry and sequence still are.
   */
  async addUnsafe (listing: Listing, options?: AddOptions): Promise<AddResult> {
    this.assertStarted()
    assertCurrent(listing.record, this.now())
    return this.serial(async () => this.store(listing, options))
  }

  /**
   * The sequence of the stored current version of an item, by its DHT key string, or undefined.
   * Synchronous, for `listingValidator({ knownSequence })`; undefined before start.
   */
  knownSequence (key: string): number | undefined {
    return this.heads.get(key)?.seq
  }

  /** A visible listing by id (CID or its string). */
  async get (id: CID | string, options?: AbortOptions): Promise<Listing | undefined> {
    this.assertStarted()
    const doc = this.byId.get(id.toString())
    if (doc == null || !this.visible(doc)) return undefined
    options?.signal?.throwIfAborted()
    return this.load(doc, options)
  }

  /**
   * A listing by id, also by the id of a version it superseded: the current visible version of
   * the item, whether `id` named an earlier one, and the ids of the versions it superseded
   * (newest first). Undefined when neither is known.
   */
  async resolve (id: CID | string, options?: AbortOptions): Promise<{ listing: Listing, superseded: boolean, formerIds: string[] } | undefined> {
    const doc = this.byId.get(id.toString()) ?? this.heads.get(this.former.itemOf(id.toString()) ?? '')
    if (doc == null || !this.visible(doc)) return undefined
    const listing = await this.load(doc, options)
    return { listing, superseded: doc.id !== id.toString(), formerIds: this.former.of(doc.item) }
  }

  /** The stored current version of an item, whatever its state (revoked, expired). */
  async head (publisher: Uint8Array, kind: ListingKind, name: string, options?: AbortOptions): Promise<Listing | undefined> {
    this.assertStarted()
    const doc = this.heads.get(listingKeyString(publisher, kind, name))
    options?.signal?.throwIfAborted()
    return doc == null ? undefined : this.load(doc, options)
  }

  /** The visible listings of one publisher, newest first. */
  async listMine (publisher: Uint8Array | string, options?: AbortOptions): Promise<Listing[]> {
    return (await this.search('', { ...options, publisher, limit: Number.MAX_SAFE_INTEGER })).map(h => h.listing)
  }

  /**
   * Text search with filters. Every word of `text` must occur in the name, tags, task or
   * description; results are ranked by BM25 (name words weigh most), then newest first. An empty
   * `text` lists every visible listing that passes the filters, newest first.
   */
  async search (text: string, options: SearchOptions = {}): Promise<SearchHit[]> {
    this.assertStarted()
    const filter = this.filterOf(options)
    const limit = options.limit ?? 20
    const offset = options.offset ?? 0
    const best = new TopK<Doc>(offset + limit, (a, sa, b, sb) =>
      sa !== sb ? sa > sb : a.ranked !== b.ranked ? a.ranked > b.ranked : a.id < b.id)
    if (tokenize(text).length > 0) {
      const bySlot = this.bySlot
      this.text.search(text, (slot, score) => { const d = bySlot[slot]; if (d != null && filter(d)) best.push(d, score) })
    } else {
      // the pool is sorted in the result order already: stop once the page is full
      const want = offset + limit
      let found = 0
      for (const d of this.browsePool(options)) {
        if (found >= want) break
        if (filter(d)) { best.push(d, 0); found++ }
      }
    }
    const hits: SearchHit[] = []
    for (const [doc, score] of best.sorted().slice(offset)) hits.push({ listing: await this.load(doc, options), score })
    return hits
  }

  /**
   * The envelope bytes of every item's current version that has not expired, revocations
   * included, for the catalogue protocol to hand to a new peer.
   */
  async * current (options?: AbortOptions): AsyncGenerator<Uint8Array> {
    this.assertStarted()
    const now = this.now()
    for (const doc of [...this.heads.values()]) {
      options?.signal?.throwIfAborted()
      if (doc.expires > now) {
        const bytes = await this.currentBytes(doc, options)
        if (bytes != null) yield bytes
      }
    }
  }

  /**
   * Where this index's catalogue stands: `position` counts the versions indexed so far, in the
   * order they came; `instance` names this run of the index (a new one at every start), so a
   * position is meaningful only with the instance it came from.
   */
  get cursor (): { instance: Uint8Array, position: number } {
    return { instance: this.instance, position: this.nextNum }
  }

  /**
   * {@link current} restricted to the versions indexed at or after `position` (see
   * {@link cursor}): what a peer that pulled up to there has not seen from this index.
   */
  async * since (position: number, options?: AbortOptions): AsyncGenerator<Uint8Array> {
    this.assertStarted()
    const now = this.now()
    // a Map iterates in insertion order (ascending num) and visits entries added meanwhile
    for (const doc of this.docs.values()) {
      options?.signal?.throwIfAborted()
      if (doc.num < position) continue
      if (this.heads.get(doc.item) === doc && doc.expires > now) {
        const bytes = await this.currentBytes(doc, options)
        if (bytes != null) yield bytes
      }
    }
  }

  /**
   * Hides listings that expired and deletes stored items that can no longer be superseded by a
   * replayed older version (older than their creation plus the longest validity). Returns how
   * many were hidden or deleted.
   */
  async prune (options?: AbortOptions): Promise<number> {
    this.assertStarted()
    return this.serial(async () => {
      const now = this.now()
      let n = 0
      for (const doc of [...this.heads.values()]) {
        if (doc.slot >= 0 && !this.visible(doc)) { this.hide(doc); n++ }
        // Policy: keep a superseding head (revoked or expired) until no older version can be valid.
        if (now >= doc.expires && now >= doc.created + MAX_VALIDITY_MS) {
          await this.former.forget(doc.item, options)
          await this.datastore.delete(this.keyOf(doc.item), options)
          this.cache.delete(doc.item)
          this.heads.delete(doc.item)
          this.docs.delete(doc.num)
          this.admission.removed(doc)
          this.init.onDrop?.(doc.item)
          n++
        }
      }
      this.text.compactIfNeeded()
      return n
    })
  }

  private async store (listing: Listing, options?: AddOptions): Promise<AddResult> {
    const item = itemOf(listing.record)
    const old = this.heads.get(item)
    if (old != null) {
      if (old.id === listing.id.toString()) return { listing, status: 'unchanged' }
      if (old.seq > listing.record.seq) throw new StaleListingError(`sequence ${listing.record.seq} is older than the known ${old.seq}`)
      if (old.seq === listing.record.seq) {
        if (selectListingRecord(new Uint8Array(), [await this.bytesOf(old, options), listing.bytes]) === 0) {
          throw new StaleListingError(`another version with sequence ${old.seq} is preferred`)
        }
      }
    }
    const publisher = peerIdOf(listing.record.publisher)
    const staked = this.isStaked(listing)
    const evict = this.admission.admit({ publisher, size: listing.bytes.byteLength, staked, source: options?.from, replaces: old }, options?.charged === true)
    for (const doc of evict) await this.evict(doc, options)
    await this.datastore.put(this.keyOf(item), listing.bytes, options)
    this.cache.set(item, listing.bytes)
    if (old != null) {
      await this.former.replaced(old.id, item, options)
      if (old.slot >= 0) this.hide(old) // superseded: dropped, its text postings until the next compaction
      this.docs.delete(old.num)
      this.admission.removed(old)
    }
    this.admission.added(this.insert(listing, item, options?.from, staked))
    const status = listing.record.state === 'revoked' ? 'revoked' : old == null ? 'added' : 'updated'
    this.log.trace('%s %s seq %d', status, item, listing.record.seq)
    return { listing, status }
  }

  /** Deletes a stored item to make room (admission.ts decides which). */
  private async evict (doc: Doc, options?: AbortOptions): Promise<void> {
    await this.former.forget(doc.item, options)
    await this.datastore.delete(this.keyOf(doc.item), options)
    this.cache.delete(doc.item)
    if (doc.slot >= 0) this.hide(doc)
    this.heads.delete(doc.item)
    this.docs.delete(doc.num)
    this.admission.removed(doc)
    this.init.onDrop?.(doc.item)
    this.log('evicted %s from %s (%d bytes) for room', doc.id, doc.source, doc.size)
  }

  private isStaked (listing: Listing): boolean {
    return this.init.isStaked?.(listing.record.publisher) === true
  }

  private insert (listing: Listing, key: string, source: string | undefined, staked: boolean): Doc {
    const r = listing.record
    const item = flatString(key)
    const doc: Doc = {
      num: this.nextNum++,
      slot: -1,
      id: flatString(listing.id.toString()),
      size: listing.bytes.byteLength,
      staked,
      source,
      item,
      publisher: peerIdOf(r.publisher), // memoised: one shared string per publisher
      kind: r.kind,
      license: r.license.toLowerCase(),
      task: r.task,
      tags: r.tags,
      price: r.price,
      created: r.created,
      ranked: Math.min(r.created, this.now()),
      expires: r.expires,
      seq: r.seq,
      state: r.state
    }
    this.heads.set(item, doc)
    this.docs.set(doc.num, doc)
    if (!this.visible(doc)) return doc
    doc.slot = this.text.allocate()
    this.bySlot[doc.slot] = doc
    this.byId.set(doc.id, doc)
    addTo(this.byPublisher, doc.publisher, doc)
    for (const t of doc.tags) addTo(this.byTag, t, doc)
    this.invalidate(doc)
    this.text.add(doc.slot, { name: r.name, tags: r.tags.join(' '), task: r.task ?? '', description: r.description })
    return doc
  }

  /** The smallest candidate set for a search without words, newest first. */
  private browsePool (o: SearchOptions): Doc[] {
    const publisher = o.publisher instanceof Uint8Array ? peerIdOf(o.publisher) : o.publisher
    const key = publisher != null ? `p/${publisher}` : o.tag != null ? `t/${o.tag}` : 'all'
    let pool = this.sortedPools.get(key)
    if (pool == null) {
      const set = publisher != null ? this.byPublisher.get(publisher) : o.tag != null ? this.byTag.get(o.tag) : null
      pool = set != null ? [...set] : set === undefined ? [] : [...this.docs.values()].filter(d => d.slot >= 0)
      pool.sort((a, b) => b.ranked - a.ranked || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      this.sortedPools.set(key, pool)
    }
    return pool
  }

  /** Drops the sorted pools that contain `doc`. */
  private invalidate (doc: Doc): void {
    this.sortedPools.delete('all')
    this.sortedPools.delete(`p/${doc.publisher}`)
    for (const t of doc.tags) this.sortedPools.delete(`t/${t}`)
  }

  private hide (doc: Doc): void {
    this.byPublisher.get(doc.publisher)?.delete(doc)
    for (const t of doc.tags) this.byTag.get(t)?.delete(doc)
    this.invalidate(doc)
    this.text.remove(doc.slot)
    this.bySlot[doc.slot] = undefined
    doc.slot = -1
    this.byId.delete(doc.id)
  }

  private visible (doc: Doc): boolean {
    return doc.state === 'active' && doc.expires > this.now()
  }

  private filterOf (o: SearchOptions): (d: Doc) => boolean {
    const publisher = o.publisher instanceof Uint8Array ? peerIdOf(o.publisher) : o.publisher
    const license = o.license?.toLowerCase()
    const now = this.now()
    return d => d.slot >= 0 && d.expires > now &&
      (o.kind == null || d.kind === o.kind) &&
      (o.tag == null || d.tags.includes(o.tag)) &&
      (o.task == null || d.task === o.task) &&
      (license == null || d.license === license) &&
      (o.maxPrice == null || d.price <= o.maxPrice) &&
      (publisher == null || d.publisher === publisher)
  }

  private async load (doc: Doc, options?: AbortOptions): Promise<Listing> {
    return decodeListingUnsafe(await this.bytesOf(doc, options), { id: CID.parse(doc.id), trusted: true })
  }

  /**
   * The bytes of `doc` if it is still its item's current version once they are read (a store,
   * an eviction or a prune may run while the catalogue is being served), else undefined.
   */
  private async currentBytes (doc: Doc, options?: AbortOptions): Promise<Uint8Array | undefined> {
    try {
      const bytes = await this.bytesOf(doc, options)
      return this.heads.get(doc.item) === doc ? bytes : undefined
    } catch (err) {
      if (this.heads.get(doc.item) !== doc) return undefined
      throw err
    }
  }

  /** A current version's envelope bytes, from the datastore. */
  private async bytesOf (doc: Doc, options?: AbortOptions): Promise<Uint8Array> {
    const cached = this.cache.get(doc.item)
    if (cached != null) return cached
    const bytes = await this.datastore.get(this.keyOf(doc.item), options)
    this.cache.set(doc.item, bytes)
    return bytes
  }

  private keyOf (item: string): Key {
    return new Key(this.prefix + item)
  }

  private reset (): void {
    this.heads = new Map()
    this.byId = new Map()
    this.byPublisher = new Map()
    this.byTag = new Map()
    this.sortedPools = new Map()
    this.docs = new Map()
    this.nextNum = 0
    this.bySlot = []
    this.instance = newInstance()
    this.text = new TextIndex()
    this.admission = new Admission(this.init.admission, this.now)
    this.cache = new ByteCache(ENVELOPE_CACHE_BYTES)
    this.former.clear()
  }

  private assertStarted (): void {
    if (!this.started) throw new NotStartedError('the listing index is not started')
  }

  private async serial<T> (fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn)
    this.queue = run.catch(() => {})
    return run
  }
}

/** Factory in the libp2p service style: `listingIndex(init)(components)`. */
export function listingIndex (init: ListingIndexInit = {}): (components: ListingIndexComponents) => ListingIndex {
  return (components) => new ListingIndex(components, init)
}

function addTo (map: Map<string, Set<Doc>>, key: string, doc: Doc): void {
  let set = map.get(key)
  if (set == null) { set = new Set(); map.set(key, set) }
  set.add(doc)
}

/** A random name for one run of an index (see `cursor`). */
function newInstance (): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(8))
}

function itemOf (record: ListingRecord): string {
  return listingKeyString(record.publisher, record.kind, record.name)
}
