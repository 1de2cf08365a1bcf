/**
 * The ids of superseded listing versions, so an old id still finds its item (`ListingIndex.resolve`).
 *
 * Policy: only versions the index held and saw replaced count, never the `parent` a listing
 * claims (anyone could name another publisher's id as its parent); each item keeps its last
 * {@link MAX_FORMER_IDS}, stored beside the listings (one small JSON list per item) and dropped
 * with the item.
 */
import { Key } from 'interface-datastore'
import { flatString } from '../strings.ts'
import type { AbortOptions } from '@libp2p/interface'
import type { Datastore } from 'interface-datastore'
import type { Logger } from '@libp2p/logger'

/** The superseded ids an item remembers, newest first. */
export const MAX_FORMER_IDS = 32

/** Former ids → item, and item → former ids (newest first). */
export class FormerIds {
  readonly #datastore: Datastore
  readonly #prefix: string
  #items = new Map<string, string>()
  #ids = new Map<string, string[]>()

  /** @param prefix - datastore key prefix (not under the listings' own prefix) */
  constructor (datastore: Datastore, prefix: string) {
    this.#datastore = datastore
    this.#prefix = prefix
  }

  /** Loads the stored lists of the items `has` still holds; unreadable ones are logged and skipped. */
  async load (has: (item: string) => boolean, log: Logger, options?: AbortOptions): Promise<void> {
    for await (const { key, value } of this.#datastore.query({ prefix: this.#prefix + '/' }, options)) {
      const item = key.toString().slice(this.#prefix.length)
      let ids: unknown
      try {
        ids = JSON.parse(new TextDecoder().decode(value))
      } catch (err) {
        log.error('skipping unreadable former ids %s - %e', key.toString(), err)
        continue
      }
      if (!has(item) || !Array.isArray(ids)) continue
      for (const id of ids.slice(0, MAX_FORMER_IDS).reverse()) if (typeof id === 'string') this.#remember(id, item)
    }
  }

  /** The item a former id names. */
  itemOf (id: string): string | undefined { return this.#items.get(id) }

  /** An item's former ids, newest first. */
  of (item: string): string[] { return [...(this.#ids.get(item) ?? [])] }

  /** `id` was replaced in `item`: remember it (in memory and on disk). */
  async replaced (id: string, item: string, options?: AbortOptions): Promise<void> {
    this.#remember(id, item)
    await this.#datastore.put(this.#key(item), new TextEncoder().encode(JSON.stringify(this.#ids.get(item) ?? [])), options)
  }

  /** The item is gone: forget its former ids. */
  async forget (item: string, options?: AbortOptions): Promise<void> {
    for (const id of this.#ids.get(item) ?? []) this.#items.delete(id)
    if (this.#ids.delete(item)) await this.#datastore.delete(this.#key(item), options)
  }

  clear (): void {
    this.#items = new Map()
    this.#ids = new Map()
  }

  #remember (id: string, item: string): void {
    const ids = [flatString(id), ...(this.#ids.get(item) ?? []).filter(x => x !== id)]
    for (const dropped of ids.splice(MAX_FORMER_IDS)) this.#items.delete(dropped)
    this.#ids.set(item, ids)
    this.#items.set(ids[0], item)
  }

  #key (item: string): Key {
    return new Key(this.#prefix + item)
  }
}
