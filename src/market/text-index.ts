/**
 * An in-memory inverted index with BM25 ranking over weighted fields, rebuilt from the
 * datastore when the listing index opens. Documents are small integers (slots, from
 * {@link TextIndex.allocate}); removed documents are marked dead and skipped, the postings are
 * compacted once dead ones dominate, and the slots of the compacted ones are used again, so the
 * index's memory follows the live documents, not how many ever came and went.
 */

/** Field weights: a word in the name counts more than one in the description. */
export const FIELD_WEIGHTS = { name: 3, tags: 2, task: 2, description: 1 } as const

/** The text fields of one document. */
export type TextFields = { [K in keyof typeof FIELD_WEIGHTS]: string }

const STOP_WORDS = new Set(['a', 'an', 'and', 'are', 'as', 'at', 'be', 'by', 'for', 'from', 'in', 'is', 'it', 'of', 'on', 'or', 'the', 'this', 'to', 'with'])
const MAX_TOKENS_PER_FIELD = 512
const MAX_QUERY_WORDS = 32
const K1 = 1.2
const B = 0.75

/** Lower-cases and splits text into searchable words (letters and digits, 1..64 characters). */
export function tokenize (text: string): string[] {
  const out: string[] = []
  for (const t of text.toLowerCase().split(/[^\p{L}\p{N}]+/u)) {
    if (t.length === 0 || t.length > 64 || STOP_WORDS.has(t)) continue
    out.push(t)
    if (out.length >= MAX_TOKENS_PER_FIELD) break
  }
  return out
}

interface Posting { docs: number[], weights: number[] }

/** The inverted index. */
export class TextIndex {
  private readonly postings = new Map<string, Posting>()
  private readonly lengths: number[] = []
  private readonly alive: boolean[] = []
  private liveCount = 0
  private deadInPostings = 0
  /** Slots removed since the last compaction (their postings remain until it). */
  private dead: number[] = []
  /** Slots free for {@link allocate}. */
  private free: number[] = []
  private next = 0
  private generation = 0
  private marks = new Uint32Array(0)
  private hits = new Uint16Array(0)
  private scores = new Float64Array(0)
  private totalLength = 0

  /** Number of live documents. */
  get size (): number {
    return this.liveCount
  }

  /** A slot for a new document: one freed by a compaction, else the next never used. */
  allocate (): number {
    return this.free.pop() ?? this.next++
  }

  /** Indexes document `doc` (a slot from {@link allocate}, or a number never used before). */
  add (doc: number, fields: TextFields): void {
    if (doc >= this.next) this.next = doc + 1
    const weights = new Map<string, number>()
    let length = 0
    for (const field of Object.keys(FIELD_WEIGHTS) as Array<keyof TextFields>) {
      const tokens = tokenize(fields[field])
      length += tokens.length
      for (const t of tokens) weights.set(t, (weights.get(t) ?? 0) + FIELD_WEIGHTS[field])
    }
    for (const [t, w] of weights) {
      let p = this.postings.get(t)
      if (p == null) { p = { docs: [], weights: [] }; this.postings.set(t, p) }
      p.docs.push(doc)
      p.weights.push(w)
    }
    this.lengths[doc] = length
    this.alive[doc] = true
    this.liveCount++
    this.totalLength += length
  }

  /** Removes a document. */
  remove (doc: number): void {
    if (this.alive[doc] !== true) return
    this.alive[doc] = false
    this.liveCount--
    this.deadInPostings++
    this.totalLength -= this.lengths[doc]
    this.dead.push(doc)
    this.compactIfNeeded()
  }

  /** Whether `doc` is live. */
  has (doc: number): boolean {
    return this.alive[doc] === true
  }

  /**
   * Scores the live documents that contain every query word and calls `visit(doc, score)` for
   * each (BM25). Visits nothing for a query with no searchable words.
   */
  search (text: string, visit: (doc: number, score: number) => void): void {
    // Policy: a query's cost is bounded by its first MAX_QUERY_WORDS distinct words.
    const words = [...new Set(tokenize(text))].slice(0, MAX_QUERY_WORDS)
    const lists: Posting[] = []
    for (const w of words) {
      const p = this.postings.get(w)
      if (p == null) return
      lists.push(p)
    }
    if (lists.length === 0) return
    lists.sort((a, b) => a.docs.length - b.docs.length)
    this.ensureScratch()
    const gen = ++this.generation
    const { hits, scores } = this
    const avg = this.liveCount === 0 ? 1 : Math.max(1, this.totalLength / this.liveCount)
    const n = this.liveCount
    lists.forEach((p, k) => {
      // df counts dead entries too until the next compaction: a small, bounded distortion
      const df = p.docs.length
      const idf = Math.log(1 + (n - df + 0.5) / (df + 0.5))
      for (let j = 0; j < p.docs.length; j++) {
        const doc = p.docs[j]
        if (!this.alive[doc]) continue
        if (k === 0) {
          this.marks[doc] = gen
          hits[doc] = 0
          scores[doc] = 0
        } else if (this.marks[doc] !== gen || hits[doc] !== k) continue
        const w = p.weights[j]
        scores[doc] += idf * (w * (K1 + 1)) / (w + K1 * (1 - B + B * this.lengths[doc] / avg))
        hits[doc] = k + 1
      }
    })
    for (const doc of lists[0].docs) {
      if (this.marks[doc] === gen && hits[doc] === lists.length) visit(doc, scores[doc])
    }
  }

  /** Per-document scratch arrays for {@link search}, reused across queries (generation-marked). */
  private ensureScratch (): void {
    const need = this.alive.length
    if (this.marks.length >= need) return
    const size = Math.max(need, this.marks.length * 2, 1024)
    const marks = new Uint32Array(size)
    marks.set(this.marks)
    this.marks = marks
    this.hits = new Uint16Array(size)
    this.scores = new Float64Array(size)
  }

  /** Drops postings of dead documents when they are most of the index. */
  compactIfNeeded (): void {
    if (this.deadInPostings < 1024 || this.deadInPostings < this.liveCount) return
    this.deadInPostings = 0
    for (const d of this.dead) this.free.push(d)
    this.dead = []
    for (const [t, p] of this.postings) {
      const docs: number[] = []
      const weights: number[] = []
      p.docs.forEach((d, j) => { if (this.alive[d]) { docs.push(d); weights.push(p.weights[j]) } })
      if (docs.length === 0) this.postings.delete(t)
      else this.postings.set(t, { docs, weights })
    }
  }
}
