import type { FetchProgressEvent, FetchResult } from '../../dht/index.ts'

/** A fetch result as JSON. */
export function fetchSummary (r: FetchResult): { blocksFetched: number, bytesFetched: number, blocksSkipped: number, providers: FetchResult['providers'] } {
  return { blocksFetched: r.blocksFetched, bytesFetched: r.bytesFetched, blocksSkipped: r.blocksSkipped, providers: r.providers }
}

/** Aggregates fetch events into `{ type: 'progress' }` lines, at most one per 200 ms. */
export function progressTracker (total: number, write: (v: unknown) => Promise<void>): { onProgress: (e: FetchProgressEvent) => void, flush: () => void } {
  const s = { bytes: 0, blocks: 0, skipped: 0, providers: 0 }
  let last = 0
  const flush = (): void => {
    last = Date.now()
    write({ type: 'progress', total, ...s }).catch(() => {})
  }
  return {
    onProgress: (e) => {
      if (e.type === 'agora:fetch:block') { s.bytes += e.bytes; s.blocks++ } else if (e.type === 'agora:fetch:skip') s.skipped++
      else if (e.type === 'agora:fetch:provider-connected') s.providers++
      if (Date.now() - last >= 200) flush()
    },
    flush
  }
}
