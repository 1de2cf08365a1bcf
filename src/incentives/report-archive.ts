/**
 * The validator's published evidence: the report batch of each closed round is stored in the
 * repo as one dag-cbor block, pinned and announced on the DHT, so anyone can fetch it by CID
 * (`agora get <cid> -o batch.cbor`, the gateway's `?format=raw`) and check every signed report
 * in it (`openReportBatch`). Outlier validators become visible. Policy: the batches of the last
 * `keep` rounds are kept; older ones are unpinned (gc removes them).
 */
import { Key } from 'interface-datastore'
import { CID } from 'multiformats/cid'
import type { ReportBatch } from './probe-report.ts'
import type { NodeComponents, NodeContent } from '../service.ts'
import type { AbortOptions } from '@libp2p/interface'

/** One published batch. */
export interface PublishedBatch {
  round: number
  cid: string
  reports: number
}

const INDEX_KEY = new Key('/incentives/published-batches')

/** What the archive uses: the repo's stores, and pinning (which announces) from the content interface. */
export interface ReportArchiveComponents extends Pick<NodeComponents, 'datastore' | 'blockstore'> {
  content: Pick<NodeContent, 'pin' | 'unpin'>
}

/** Stores, pins and announces report batches; remembers the last `keep` of them across restarts. */
export class ReportArchive {
  readonly #c: ReportArchiveComponents
  readonly #keep: number
  #published: PublishedBatch[] | undefined

  constructor (components: ReportArchiveComponents, keep = 64) {
    if (!Number.isSafeInteger(keep) || keep < 1) throw new RangeError('keep must be a positive integer')
    this.#c = components
    this.#keep = keep
  }

  /** The published batches, oldest first. */
  async list (options?: AbortOptions): Promise<PublishedBatch[]> {
    if (this.#published == null) {
      try {
        this.#published = JSON.parse(new TextDecoder().decode(await this.#c.datastore.get(INDEX_KEY, options))) as PublishedBatch[]
      } catch (err) {
        if ((err as Error).name !== 'NotFoundError') throw err
        this.#published = []
      }
    }
    return [...this.#published]
  }

  /** Store, pin and announce each batch; unpin what falls out of the last `keep`. */
  async publish (batches: readonly ReportBatch[], options: AbortOptions = {}): Promise<PublishedBatch[]> {
    const list = await this.list(options)
    const added: PublishedBatch[] = []
    for (const b of batches) {
      await this.#c.blockstore.put(b.cid, b.bytes, options)
      await this.#c.content.pin(b.cid, options)
      const entry = { round: b.round, cid: b.cid.toString(), reports: b.reports.length }
      added.push(entry)
      list.push(entry)
    }
    const dropped = list.splice(0, Math.max(0, list.length - this.#keep))
    // the index is written before unpinning: a crash in between leaves a pin too many, never a lost one
    await this.#c.datastore.put(INDEX_KEY, new TextEncoder().encode(JSON.stringify(list)), options)
    this.#published = list
    for (const d of dropped) {
      if (!list.some(e => e.cid === d.cid)) await this.#c.content.unpin(CID.parse(d.cid), options)
    }
    return added
  }
}
