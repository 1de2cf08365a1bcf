/**
 * The best `k` items of a stream in O(n log k), without sorting everything (a bounded min-heap
 * on "worse first").
 */
export function topK<T> (items: Iterable<T>, k: number, compare: (a: T, b: T) => number): T[] {
  // compare(a, b) < 0 when a ranks before (is better than) b
  if (k <= 0) return []
  const heap: T[] = []
  const worse = (i: number, j: number): boolean => compare(heap[i], heap[j]) > 0
  const swap = (i: number, j: number): void => { const t = heap[i]; heap[i] = heap[j]; heap[j] = t }
  const down = (i: number): void => {
    for (;;) {
      const l = 2 * i + 1
      const r = l + 1
      let m = i
      if (l < heap.length && worse(l, m)) m = l
      if (r < heap.length && worse(r, m)) m = r
      if (m === i) return
      swap(i, m)
      i = m
    }
  }
  for (const item of items) {
    if (heap.length < k) {
      heap.push(item)
      for (let i = heap.length - 1; i > 0;) {
        const p = (i - 1) >> 1
        if (!worse(i, p)) break
        swap(i, p)
        i = p
      }
    } else if (compare(item, heap[0]) < 0) {
      heap[0] = item
      down(0)
    }
  }
  return heap.sort(compare)
}
