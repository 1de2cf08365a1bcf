/**
 * Admission control of the listing index: what one peer, or one key without stake, can make this
 * peer store, and how fast.
 *
 * Listings cost nothing to make (any ed25519 key signs one), so without bounds one connection
 * filled a victim's disk and memory with valid listings. The rules, in the order they are checked:
 *
 * 1. **Rate per source.** Each peer that hands us listings of publishers without stake (by
 *    gossip, the catalogue or the DHT) has a token bucket of `perSource.ratePerSecond` of them a
 *    second and `perSource.burst` in reserve; a listing over it is refused
 *    (`ListingAdmissionError`, `ignore`d by gossip, as it may come from an honest relay). The
 *    burst is the source's whole budget, so an honest catalogue pull is never slowed; the rate
 *    bounds how fast a flood can churn the unstaked listings through evictions.
 * 2. **Budgets per publisher.** A publisher without stake or a registered neuron keeps at most
 *    `unstakedPublisher` listings and bytes here; one with stake `stakedPublisher`.
 * 3. **Budget per source.** The listings of unstaked publishers that one peer handed us count
 *    against that peer's `perSource` budget (count and bytes). Staked publishers' listings do
 *    not count: nobody can make them for free.
 * 4. **Ceilings.** The unstaked listings together stay within `unstaked`, and all listings within
 *    `total`. At a ceiling a new listing evicts, in this order: an unstaked listing that came
 *    from the source holding the most unstaked listings here, its oldest first (so a flood
 *    evicts itself before anyone else). Listings of staked publishers are never evicted for
 *    unstaked ones, nor are listings without a source (our own, and those loaded at start). When
 *    nothing can be evicted the new listing is refused.
 *
 * Defaults fit a real market: 500,000 listings and 2 GiB in all, of which up to 200,000 and
 * 512 MiB from publishers without stake; a source may bring 20,000 unstaked listings (128 MiB)
 * at 500 a second once its burst of 20,000 is spent, so a catalogue pull from an honest peer
 * runs at full speed; an
 * unstaked publisher 1,000 listings (16 MiB), a staked one 20,000 (256 MiB).
 */
import { ListingAdmissionError } from './errors.ts'

/** A count and a byte size. */
export interface Budget {
  listings: number
  bytes: number
}

/** The limits of {@link Admission}. */
export interface AdmissionLimits {
  total: Budget
  unstaked: Budget
  perSource: Budget & { ratePerSecond: number, burst: number }
  unstakedPublisher: Budget
  stakedPublisher: Budget
}

/** The default limits (see the module comment). */
export const DEFAULT_ADMISSION_LIMITS: AdmissionLimits = Object.freeze({
  total: { listings: 500_000, bytes: 2 * 1024 ** 3 },
  unstaked: { listings: 200_000, bytes: 512 * 1024 ** 2 },
  perSource: { listings: 20_000, bytes: 128 * 1024 ** 2, ratePerSecond: 500, burst: 20_000 },
  unstakedPublisher: { listings: 1_000, bytes: 16 * 1024 ** 2 },
  stakedPublisher: { listings: 20_000, bytes: 256 * 1024 ** 2 }
})

/** One stored listing as admission control sees it. */
export interface Admitted {
  publisher: string
  size: number
  staked: boolean
  /** The peer that handed it to us; undefined for our own and those loaded at start. */
  source?: string
}

/** What a new listing would replace (another version of the same item), if anything. */
export interface Candidate extends Admitted {
  replaces?: Admitted
}

class Tally implements Budget {
  listings = 0
  bytes = 0
  add (a: Admitted, sign: 1 | -1): void { this.listings += sign; this.bytes += sign * a.size }
  /** Whether adding `n` listings of `bytes` more stays within `b`. */
  fits (b: Budget, n: number, bytes: number): boolean { return this.listings + n <= b.listings && this.bytes + bytes <= b.bytes }
}

/** Policy: at most this many sources keep a rate bucket; the least recently used go first. */
const MAX_BUCKETS = 16_384

/**
 * The bookkeeping of admission control for one index. The index calls {@link admit} before it
 * stores a listing (which returns what must be evicted first), then {@link added} and
 * {@link removed} as it changes its store.
 */
export class Admission<T extends Admitted> {
  readonly limits: AdmissionLimits
  private readonly now: () => number
  private readonly all = new Tally()
  private readonly unstaked = new Tally()
  private readonly publishers = new Map<string, Tally>()
  private readonly sources = new Map<string, { tally: Tally, docs: Set<T> }>()
  private readonly buckets = new Map<string, { tokens: number, at: number }>()

  constructor (limits: Partial<AdmissionLimits> = {}, now: () => number = Date.now) {
    this.limits = { ...DEFAULT_ADMISSION_LIMITS, ...limits }
    this.now = now
  }

  /** Listings and bytes held in all and from unstaked publishers. */
  get usage (): { total: Budget, unstaked: Budget } {
    return { total: { listings: this.all.listings, bytes: this.all.bytes }, unstaked: { listings: this.unstaked.listings, bytes: this.unstaked.bytes } }
  }

  /**
   * Charges a listing's source for it before its signature is checked (rule 1), so a flood costs
   * a decode per listing, not a signature check: the source's rate, and whether it has already
   * filled its budget (rule 3). Listings of staked publishers and without a source pass. Then
   * {@link admit} with `charged` does not take from the rate a second time.
   *
   * @throws ListingAdmissionError
   */
  charge (c: { source?: string, staked: boolean }): void {
    if (c.source == null || c.staked) return
    this.take(c.source)
    const src = this.sources.get(c.source)?.tally
    if (src != null && !src.fits(this.limits.perSource, 1, 0)) {
      throw new ListingAdmissionError(`peer ${c.source} has used its budget of listings from publishers without stake`)
    }
  }

  /**
   * Decides on a new listing (or a new version of a held one). Returns the held listings to evict
   * before storing it, or throws `ListingAdmissionError` naming the rule that refused it.
   */
  admit (c: Candidate, charged = false): T[] {
    if (c.source != null && !c.staked && !charged) this.take(c.source)
    const old = c.replaces
    const n = old == null ? 1 : 0
    const grow = c.size - (old?.size ?? 0)
    const pub = this.publishers.get(c.publisher) ?? new Tally()
    if (!pub.fits(c.staked ? this.limits.stakedPublisher : this.limits.unstakedPublisher, n, grow)) {
      throw new ListingAdmissionError(`publisher ${c.publisher} has used its budget of listings here`)
    }
    if (!c.staked && c.source != null) {
      const src = this.sources.get(c.source)?.tally ?? new Tally()
      const back = old != null && !old.staked && old.source === c.source
      if (!src.fits(this.limits.perSource, back ? 0 : 1, back ? grow : c.size)) {
        throw new ListingAdmissionError(`peer ${c.source} has used its budget of listings from publishers without stake`)
      }
    }
    // what the ceilings need freed, then the evictions that free it
    const evict: T[] = []
    const freed = new Tally()
    const freedUnstaked = new Tally()
    const over = (): boolean => {
      if (!c.staked && !fitsAfter(this.unstaked, freedUnstaked, this.limits.unstaked, old != null && !old.staked ? 0 : 1, c.size - (old != null && !old.staked ? old.size : 0))) return true
      return !fitsAfter(this.all, freed, this.limits.total, n, grow)
    }
    const victims = this.victims(old)
    while (over()) {
      const v = victims.next()
      if (v.done === true) throw new ListingAdmissionError('the listing index is full of listings that outrank this one')
      evict.push(v.value)
      freed.add(v.value, 1)
      freedUnstaked.add(v.value, 1)
    }
    return evict
  }

  /** Counts a stored listing. */
  added (doc: T): void {
    this.count(doc, 1)
  }

  /** Uncounts a listing that was replaced, pruned or evicted. */
  removed (doc: T): void {
    this.count(doc, -1)
  }

  private count (doc: T, sign: 1 | -1): void {
    this.all.add(doc, sign)
    let pub = this.publishers.get(doc.publisher)
    if (pub == null) { pub = new Tally(); this.publishers.set(doc.publisher, pub) }
    pub.add(doc, sign)
    if (pub.listings === 0) this.publishers.delete(doc.publisher)
    if (doc.staked) return
    this.unstaked.add(doc, sign)
    if (doc.source == null) return
    let src = this.sources.get(doc.source)
    if (src == null) { src = { tally: new Tally(), docs: new Set() }; this.sources.set(doc.source, src) }
    src.tally.add(doc, sign)
    if (sign === 1) src.docs.add(doc)
    else src.docs.delete(doc)
    if (src.tally.listings === 0) this.sources.delete(doc.source)
  }

  /** Unstaked listings with a source, the largest source's oldest first; never `keep`. */
  private * victims (keep: Admitted | undefined): Generator<T> {
    const taken = new Set<T>()
    const left = new Map<string, number>([...this.sources].map(([s, v]) => [s, v.tally.listings]))
    while (true) {
      let best: string | undefined
      for (const [s, k] of left) if (k > 0 && (best == null || k > left.get(best)!)) best = s
      if (best == null) return
      const docs = this.sources.get(best)?.docs
      let found: T | undefined
      for (const d of docs ?? []) {
        if (d !== keep && !taken.has(d)) { found = d; break }
      }
      if (found == null) { left.set(best, 0); continue }
      taken.add(found)
      left.set(best, left.get(best)! - 1)
      yield found
    }
  }

  /** Takes one token from `source`'s bucket, or throws. */
  private take (source: string): void {
    const { ratePerSecond, burst } = this.limits.perSource
    const now = this.now()
    let b = this.buckets.get(source)
    if (b == null) {
      if (this.buckets.size >= MAX_BUCKETS) this.buckets.delete(this.buckets.keys().next().value as string)
      b = { tokens: burst, at: now }
    }
    this.buckets.delete(source) // re-inserted below: the map's order is least recently used first
    b.tokens = Math.min(burst, b.tokens + (now - b.at) * ratePerSecond / 1000)
    b.at = now
    this.buckets.set(source, b)
    if (b.tokens < 1) throw new ListingAdmissionError(`peer ${source} sends listings faster than ${ratePerSecond} a second`)
    b.tokens -= 1
  }
}

function fitsAfter (held: Tally, freed: Tally, b: Budget, n: number, bytes: number): boolean {
  return held.listings - freed.listings + n <= b.listings && held.bytes - freed.bytes + bytes <= b.bytes
}
