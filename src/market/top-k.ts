/**
 * The best `k` of a stream of scored items in O(n log k) without sorting them all: a bounded
 * heap whose root is the worst item kept.
 */
export class TopK<T> {
  private readonly items: T[] = []
  private readonly scores: number[] = []
  private readonly k: number
  private readonly before: (a: T, sa: number, b: T, sb: number) => boolean

  /**
   * @param k - how many to keep
   * @param before - whether (a, sa) ranks before (is better than) (b, sb)
   */
  constructor (k: number, before: (a: T, sa: number, b: T, sb: number) => boolean) {
    this.k = k
    this.before = before
  }

  /** Offers one item. */
  push (item: T, score: number): void {
    const { items, scores } = this
    if (items.length < this.k) {
      items.push(item)
      scores.push(score)
      this.up(items.length - 1)
    } else if (this.k > 0 && this.before(item, score, items[0], scores[0])) {
      items[0] = item
      scores[0] = score
      this.down(0)
    }
  }

  /** The kept items, best first. */
  sorted (): Array<[T, number]> {
    const out = this.items.map((item, i): [T, number] => [item, this.scores[i]])
    return out.sort(([a, sa], [b, sb]) => this.before(a, sa, b, sb) ? -1 : this.before(b, sb, a, sa) ? 1 : 0)
  }

  /** Whether slot i is worse than slot j (so it belongs nearer the root). */
  private worse (i: number, j: number): boolean {
    return this.before(this.items[j], this.scores[j], this.items[i], this.scores[i])
  }

  private swap (i: number, j: number): void {
    const { items, scores } = this
    const t = items[i]; items[i] = items[j]; items[j] = t
    const s = scores[i]; scores[i] = scores[j]; scores[j] = s
  }

  private up (i: number): void {
    while (i > 0) {
      const p = (i - 1) >> 1
      if (!this.worse(i, p)) return
      this.swap(i, p)
      i = p
    }
  }

  private down (i: number): void {
    const n = this.items.length
    for (;;) {
      const l = 2 * i + 1
      const r = l + 1
      let m = i
      if (l < n && this.worse(l, m)) m = l
      if (r < n && this.worse(r, m)) m = r
      if (m === i) return
      this.swap(i, m)
      i = m
    }
  }
}
