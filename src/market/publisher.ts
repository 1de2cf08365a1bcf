/**
 * Our own listings: publish (import, encrypt for paid goods, sign, index, announce), update (a
 * new version) and revoke. The daemon signs with its hotkey; the CLI only calls the API.
 */
import { generateContentKey } from './chunk-cipher.ts'
import { equalBytes } from './envelope.ts'
import { ListingNotFoundError, PublishError } from './errors.ts'
import { createListing, revokeListing, updateListing } from './listing.ts'
import { PAID_ENCRYPTION, checkListingParameters, importContent } from './publish.ts'
import type { ContentKeyStore } from './keystore.ts'
import type { Listing, CreateListingParameters } from './listing.ts'
import type { ListingIndex } from './listing-index.ts'
import type { ListingKind, PriceUnit } from './listing-schema.ts'
import type { NodeContent } from '../service.ts'
import type { AbortOptions } from '@libp2p/interface'

/** Where a listing was announced. */
export interface AnnounceResult {
  /** Peers the gossip message was sent to. */
  gossip: number
  /** Peers that stored the DHT record (PUT_VALUE responses). */
  dht: number
}

/** What the publisher works with (the market service hands over its own parts). */
export interface PublisherComponents {
  index: ListingIndex
  /** Content keys of our paid listings. */
  keys: ContentKeyStore
  content: NodeContent
  /** The repo directory: paid goods are encrypted into a staging directory inside it. */
  repoPath: string
  /** Our hotkey's public key: the publisher key of our listings. */
  hotkey: Uint8Array
  /** Our hotkey's 32-byte seed: listings are signed with it. */
  secret: Uint8Array
  /** Resolves once the listing index is loaded. */
  ready: (options?: AbortOptions) => Promise<void>
  /** Gossip and a DHT record for a listing. */
  announce: (listing: Listing, options?: AbortOptions) => Promise<AnnounceResult>
}

/** What a publisher states for a new listing. */
export interface PublishParameters {
  /** File or directory to list. */
  path: string
  kind: ListingKind
  name: string
  /** SPDX id or `unspecified`. */
  license: string
  version?: string
  /** Price in rao; above 0 makes the listing paid (encrypted). @default 0n */
  price?: bigint
  /** What the price buys: one download, or each started GiB of the files. @default 'download' */
  unit?: PriceUnit
  tags?: string[]
  task?: string
  /** A README (markdown) file: imported as is, its CID goes in the listing. */
  card?: string
  description?: string
  /** Expiry, ms since the epoch. @default 30 days after creation */
  expires?: number
}

/** Changes for a new version; `path` replaces the content. */
export type UpdateParameters = Partial<Omit<PublishParameters, 'kind' | 'name'>>

type ContentFields = Pick<CreateListingParameters, 'root' | 'files' | 'access' | 'keyCommitment' | 'encryption'>

/** What publishing did. */
export interface PublishResult extends AnnounceResult {
  listing: Listing
  /** Peers that took the provider record of the content root. */
  providedTo: number
}

/** Publishes, updates and revokes this peer's listings. */
export class Publisher {
  readonly #svc: PublisherComponents
  readonly #secret: Uint8Array

  constructor (components: PublisherComponents) {
    this.#svc = components
    this.#secret = components.secret
  }

  /**
   * Publishes a new item. Fields are checked before any content is imported (a bad listing is
   * refused with `InvalidListingError` / `UnknownLicenseError`); an item we already list is
   * refused with `PublishError` (use {@link update}).
   */
  async publish (p: PublishParameters, options: AbortOptions = {}): Promise<PublishResult> {
    const svc = this.#svc
    await svc.ready(options)
    const fields = this.#fields(p)
    await checkListingParameters({ kind: p.kind, name: p.name, ...fields }, this.#secret)
    const head = await svc.index.head(svc.hotkey, p.kind, p.name, options)
    if (head != null && head.record.state !== 'revoked') {
      throw new PublishError(`${p.kind} ${p.name} is already listed as ${head.id.toString()}: publish a new version with agora market update`)
    }
    const content = await this.#content(p.path, fields.price ?? 0n, options)
    const card = p.card == null ? null : (await svc.content.add(p.card, { signal: options.signal })).cid
    const listing = createListing({ kind: p.kind, name: p.name, ...fields, ...content.fields, card, seq: head == null ? 0 : head.record.seq + 1 }, this.#secret)
    return this.#commit(listing, true, options)
  }

  /** A new version of one of our listings (`seq + 1`, `parent` = `id`). */
  async update (id: string, p: UpdateParameters, options: AbortOptions = {}): Promise<PublishResult> {
    const prev = await this.#own(id, options)
    const fields = this.#fields({ ...p, license: p.license ?? prev.record.license })
    const price = fields.price ?? prev.record.price
    const changes: Partial<CreateListingParameters> = { ...dropUndefined(fields) }
    if (p.path != null) {
      await checkListingParameters({ ...prev.record, ...changes, price }, this.#secret)
      const content = await this.#content(p.path, price, options)
      Object.assign(changes, content.fields)
    } else if ((price > 0n) !== (prev.record.access === 'paid')) {
      throw new PublishError('changing between free and paid needs the content again (--path): paid goods are published encrypted')
    }
    if (p.card != null) changes.card = (await this.#svc.content.add(p.card, { signal: options.signal })).cid
    return this.#commit(updateListing(prev, changes, this.#secret), p.path != null, options)
  }

  /** Withdraws one of our listings: a revocation that replaces every older version. */
  async revoke (id: string, options: AbortOptions = {}): Promise<PublishResult> {
    return this.#commit(revokeListing(await this.#own(id, options), this.#secret), false, options)
  }

  async #own (id: string, options: AbortOptions): Promise<Listing> {
    await this.#svc.ready(options)
    // the id of an earlier version names its item too
    const l = (await this.#svc.index.resolve(id, options))?.listing
    if (l == null) throw new ListingNotFoundError(`no current listing ${id} (see agora market ls --mine)`)
    if (!equalBytes(l.record.publisher, this.#svc.hotkey)) throw new PublishError(`listing ${id} was published by another peer`)
    return l
  }

  #fields (p: Partial<PublishParameters>): Omit<CreateListingParameters, 'kind' | 'name' | 'root'> {
    return {
      license: p.license ?? 'unspecified',
      version: p.version,
      price: p.price,
      unit: p.unit,
      tags: p.tags,
      task: p.task,
      description: p.description,
      expires: p.expires
    }
  }

  /** Imports the content; for a paid listing with a fresh key, stored (0600) before anything is announced. */
  async #content (path: string, price: bigint, options: AbortOptions): Promise<{ fields: ContentFields }> {
    if (price <= 0n) {
      const c = await importContent(this.#importer(), path, undefined, options)
      return { fields: { root: c.root, files: c.files, access: 'open', keyCommitment: null, encryption: null } }
    }
    const key = generateContentKey()
    const keyCommitment = await this.#svc.keys.put(key)
    const c = await importContent(this.#importer(), path, key, options)
    return { fields: { root: c.root, files: c.files, access: 'paid', keyCommitment, encryption: PAID_ENCRYPTION } }
  }

  /** What `importContent` imports into: the local store, staging inside the repo. */
  #importer (): Parameters<typeof importContent>[0] {
    return { repo: { path: this.#svc.repoPath }, store: this.#svc.content.local }
  }

  /** Indexes and announces the listing, then provides its content (when it is new). */
  async #commit (listing: Listing, provide: boolean, options: AbortOptions): Promise<PublishResult> {
    await this.#svc.index.add(listing.bytes, options)
    const [announced, providedTo] = await Promise.all([this.#svc.announce(listing, options), provide ? this.#provide(listing, options) : 0])
    return { listing, providedTo, ...announced }
  }

  /** Peers that took the provider record of the root; with none, the node retries when one connects. */
  async #provide (listing: Listing, options: AbortOptions): Promise<number> {
    const content = this.#svc.content
    const peers = (await content.provide(listing.record.root, options).catch(() => ({ peers: 0 }))).peers
    if (peers === 0) await content.pin(listing.record.root, options)
    return peers
  }
}

function dropUndefined<T extends object> (o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>
}
