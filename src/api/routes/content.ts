/**
 * Content routes of the API: add, fetch (with progress), cat, ls, get, stat.
 */
import { isAbsolute } from 'node:path'
import { assertProfile } from '../../config.ts'
import { InvalidParametersError } from '../../errors.ts'
import { parseCidPath, writeChunksTo } from '../../store/index.ts'
import { ndjson, query, sendJson } from '../server.ts'
import { fetchSummary, progressTracker } from './progress.ts'
import type { AgoraNode } from '../../node.ts'
import type { RequestContext, Route } from '../server.ts'
import type { ImportProfile } from '../../config.ts'

/** What the content routes need. */
export interface ContentRouteDeps { node: AgoraNode }

function arg (ctx: RequestContext): ReturnType<typeof parseCidPath> {
  const a = query(ctx, 'arg')
  if (a == null) throw new InvalidParametersError('missing ?arg=<cid>[/path]')
  return parseCidPath(a)
}

function intParam (ctx: RequestContext, name: string): number | undefined {
  const v = query(ctx, name)
  if (v == null) return undefined
  const n = Number(v)
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidParametersError(`?${name} must be a non-negative integer`)
  return n
}

function readOpts (ctx: RequestContext): { signal: AbortSignal, timeout?: number, providers: string[] } {
  return { signal: ctx.signal, timeout: intParam(ctx, 'timeout'), providers: ctx.url.searchParams.getAll('provider') }
}

function absPath (ctx: RequestContext, name: string): string {
  const p = query(ctx, name)
  // Policy: the API only takes absolute paths; the token holder is the repo owner, so reading and
  // writing files as the daemon's user grants nothing the owner does not already have.
  if (p == null || !isAbsolute(p)) throw new InvalidParametersError(`?${name} must be an absolute path`)
  return p
}

/** Run `fn` streaming NDJSON; an error after the first line becomes a `{ type: 'error' }` line. */
async function streamed (ctx: RequestContext, fn: (write: (v: unknown) => Promise<void>) => Promise<unknown>): Promise<void> {
  const write = ndjson(ctx.res)
  try {
    await write({ type: 'done', ...(await fn(write) as object) })
  } catch (err) {
    await write({ type: 'error', error: { name: (err as Error).name, message: (err as Error).message } })
  }
  ctx.res.end()
}

/** `first` (already pulled from `rest`) followed by the rest; `rest` is closed however the copy ends. */
async function * prepend<T> (first: IteratorResult<T>, rest: AsyncGenerator<T>): AsyncGenerator<T> {
  if (first.done === true) return
  try {
    yield first.value
    yield * rest
  } finally {
    await rest.return(undefined)
  }
}

/** Routes: `/api/v0/add`, `/fetch`, `/cat`, `/ls`, `/get`, `/stat`. */
export function contentRoutes ({ node }: ContentRouteDeps): Route[] {
  return [
    {
      method: 'POST',
      path: '/api/v0/add',
      handler: async (ctx) => {
        const profile = query(ctx, 'profile') ?? node.config.import.profile
        assertProfile(profile)
        const pin = query(ctx, 'pin') !== 'false'
        const path = query(ctx, 'path') != null ? absPath(ctx, 'path') : undefined
        await streamed(ctx, async (write) => {
          let last = 0
          const onProgress = (p: { bytes: number, total?: number }): void => {
            if (Date.now() - last < 200) return
            last = Date.now()
            write({ type: 'progress', ...p }).catch(() => {})
          }
          const o = { profile: profile as ImportProfile, pin, onProgress, signal: ctx.signal }
          const r = path != null ? await node.add(path, o) : await node.addStream(ctx.req, o)
          return { cid: r.cid.toString(), size: r.size, name: r.name, profile: r.profile, pinned: pin, providedTo: r.providedTo }
        })
      }
    },
    {
      method: 'POST',
      path: '/api/v0/fetch',
      handler: async (ctx) => {
        const { cid, path } = arg(ctx)
        await streamed(ctx, async (write) => {
          const o = readOpts(ctx)
          const st = await node.store.stat(cid, path, { ...o, blocks: node.blocks({ ...o, root: cid }) })
          const tracker = progressTracker(st.dagSize, write)
          const { target, result } = await node.fetchPath(cid, path, { ...o, onProgress: tracker.onProgress })
          tracker.flush()
          return { cid: target.toString(), size: st.size, dagSize: st.dagSize, ...(result == null ? {} : fetchSummary(result)) }
        })
      }
    },
    {
      method: 'GET',
      path: '/api/v0/cat',
      handler: async (ctx) => {
        const { cid, path } = arg(ctx)
        const o = readOpts(ctx)
        const offset = intParam(ctx, 'offset')
        const length = intParam(ctx, 'length')
        const { target } = await node.fetchPath(cid, path, o)
        const it = node.store.read(target, '', { offset, length, signal: ctx.signal })
        // Pull the first chunk before the status line, so a bad CID is a proper error status.
        const first = await it.next()
        ctx.res.writeHead(200, { 'content-type': 'application/octet-stream' })
        // Verified blocks in reused buffers, each given back once the socket has taken its bytes.
        await writeChunksTo(ctx.res, prepend(first, it), { signal: ctx.signal })
        ctx.res.end()
      }
    },
    {
      method: 'GET',
      path: '/api/v0/ls',
      handler: async (ctx) => {
        const { cid, path } = arg(ctx)
        const o = readOpts(ctx)
        const entries = []
        for await (const e of node.store.ls(cid, path, { ...o, blocks: node.blocks({ ...o, root: cid }) })) {
          entries.push({ name: e.name, cid: e.cid.toString(), size: e.size, type: e.type })
        }
        sendJson(ctx.res, { entries })
      }
    },
    {
      method: 'POST',
      path: '/api/v0/get',
      handler: async (ctx) => {
        const { cid, path } = arg(ctx)
        const output = absPath(ctx, 'output')
        const o = readOpts(ctx)
        const { target } = await node.fetchPath(cid, path, o)
        const r = await node.store.get(target, '', output, { signal: ctx.signal, force: query(ctx, 'force') === 'true' })
        sendJson(ctx.res, r)
      }
    },
    {
      method: 'GET',
      path: '/api/v0/stat',
      handler: async (ctx) => {
        const { cid, path } = arg(ctx)
        const o = readOpts(ctx)
        const st = await node.store.stat(cid, path, { ...o, blocks: node.blocks({ ...o, root: cid }) })
        sendJson(ctx.res, { cid: st.cid.toString(), type: st.type, size: st.size, dagSize: st.dagSize })
      }
    }
  ]
}
