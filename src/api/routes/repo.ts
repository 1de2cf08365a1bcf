/**
 * Repo routes of the API: pins, stat, gc, verify.
 */
import { InvalidParametersError } from '../../errors.ts'
import { parseCid } from '../../store/index.ts'
import { query, sendJson } from '../server.ts'
import type { AgoraNode } from '../../node.ts'
import type { RequestContext, Route } from '../server.ts'

/** What the repo routes need. */
export interface RepoRouteDeps { node: AgoraNode }

function cidArg (ctx: RequestContext): ReturnType<typeof parseCid> {
  const a = query(ctx, 'arg')
  if (a == null) throw new InvalidParametersError('missing ?arg=<cid>')
  return parseCid(a)
}

/** Routes: `/api/v0/pin/{add,rm,ls}`, `/api/v0/repo/{stat,gc,verify}`. */
export function repoRoutes ({ node }: RepoRouteDeps): Route[] {
  return [
    {
      method: 'POST',
      path: '/api/v0/pin/add',
      handler: async (ctx) => {
        const cid = cidArg(ctx)
        const t = query(ctx, 'timeout')
        await node.pin(cid, { signal: ctx.signal, timeout: t == null ? undefined : Number(t) })
        sendJson(ctx.res, { pinned: cid.toString() })
      }
    },
    {
      method: 'POST',
      path: '/api/v0/pin/rm',
      handler: async (ctx) => {
        const cid = cidArg(ctx)
        await node.unpin(cid, { signal: ctx.signal })
        sendJson(ctx.res, { unpinned: cid.toString() })
      }
    },
    {
      method: 'GET',
      path: '/api/v0/pin/ls',
      handler: async (ctx) => {
        const pins = []
        for await (const p of node.store.pins.ls({ signal: ctx.signal })) pins.push({ cid: p.cid.toString(), type: p.type, created: p.created })
        sendJson(ctx.res, { pins })
      }
    },
    {
      method: 'GET',
      path: '/api/v0/repo/stat',
      handler: async (ctx) => { sendJson(ctx.res, await node.store.repoStat({ signal: ctx.signal })) }
    },
    {
      method: 'POST',
      path: '/api/v0/repo/gc',
      handler: async (ctx) => { sendJson(ctx.res, await node.store.gc({ signal: ctx.signal })) }
    },
    {
      method: 'POST',
      path: '/api/v0/repo/verify',
      handler: async (ctx) => { sendJson(ctx.res, await node.store.verify({ signal: ctx.signal })) }
    }
  ]
}
