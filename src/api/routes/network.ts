/**
 * Network routes of the API: id, peers, connect, find providers.
 */
import { InvalidParametersError } from '../../errors.ts'
import { parseCid } from '../../store/index.ts'
import { ndjson, query, sendJson } from '../server.ts'
import type { AgoraNode } from '../../node.ts'
import type { Route } from '../server.ts'

/** What the network routes need. */
export interface NetworkRouteDeps { node: AgoraNode }

/** Routes: `/api/v0/id`, `/api/v0/swarm/{peers,connect}`, `/api/v0/dht/findprovs`. */
export function networkRoutes ({ node }: NetworkRouteDeps): Route[] {
  return [
    {
      method: 'GET',
      path: '/api/v0/id',
      handler: async (ctx) => { sendJson(ctx.res, node.id()) }
    },
    {
      method: 'GET',
      path: '/api/v0/swarm/peers',
      handler: async (ctx) => { sendJson(ctx.res, { peers: node.peers() }) }
    },
    {
      method: 'POST',
      path: '/api/v0/swarm/connect',
      handler: async (ctx) => {
        const addr = query(ctx, 'arg')
        if (addr == null || !addr.startsWith('/')) throw new InvalidParametersError('missing or invalid ?arg=<multiaddr with /p2p/>')
        let peer
        try {
          peer = await node.connect(addr, { signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(30_000)]) })
        } catch (err) {
          if ((err as Error).name === 'InvalidMultiaddrError' || (err as Error).name === 'InvalidParametersError') throw new InvalidParametersError((err as Error).message, { cause: err })
          throw err
        }
        sendJson(ctx.res, peer)
      }
    },
    {
      method: 'GET',
      path: '/api/v0/dht/findprovs',
      handler: async (ctx) => {
        const cid = parseCid(query(ctx, 'arg') ?? '')
        const ms = Number(query(ctx, 'timeout') ?? 30_000)
        const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(Number.isFinite(ms) && ms > 0 ? ms : 30_000)])
        const write = ndjson(ctx.res)
        try {
          for await (const p of node.findProviders(cid, { signal })) {
            await write({ type: 'provider', peerId: p.id.toString(), addrs: p.multiaddrs.map(String) })
          }
        } catch (err) {
          if ((err as Error).name !== 'AbortError' && (err as Error).name !== 'TimeoutError') {
            await write({ type: 'error', error: { name: (err as Error).name, message: (err as Error).message } })
          }
        }
        await write({ type: 'done' })
        ctx.res.end()
      }
    }
  ]
}
