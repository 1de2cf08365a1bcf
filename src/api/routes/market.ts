/**
 * Market routes of the API (`/api/v0/market/…`): status, publish, update, revoke, search, show,
 * quote, receive, purchases, mine. Built by the API when the node runs the market service.
 */
import { isAbsolute } from 'node:path'
import { InvalidParametersError } from '../../errors.ts'
import { isAddress } from '../../ledger/index.ts'
import { ListingNotFoundError } from '../../market/index.ts'
import { ndjson, query, sendJson } from '../server.ts'
import type { RequestContext, Route } from '../server.ts'
import type { MarketService, PublishParameters, PublishResult } from '../../market/index.ts'
import type { AgoraNode } from '../../node.ts'
import type { CID } from 'multiformats/cid'

type ListingKind = PublishParameters['kind']
type PriceUnit = NonNullable<PublishParameters['unit']>

/** What the market routes need: the market, and the node for provider counts. */
export interface MarketRouteDeps {
  market: MarketService
  node: AgoraNode
}

function kindOf (v: string | undefined): ListingKind | undefined {
  if (v == null) return undefined
  if (v !== 'model' && v !== 'dataset') throw new InvalidParametersError(`kind must be model or dataset, got ${v}`)
  return v
}

function raoOf (v: string | undefined, what: string): bigint | undefined {
  if (v == null) return undefined
  if (!/^\d{1,20}$/.test(v)) throw new InvalidParametersError(`${what} must be a whole number of rao, got ${v}`)
  return BigInt(v)
}

function intOf (v: string | undefined, what: string): number | undefined {
  if (v == null) return undefined
  const n = Number(v)
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidParametersError(`${what} must be a non-negative integer, got ${v}`)
  return n
}

function pathOf (v: string | undefined, what: string): string | undefined {
  if (v == null) return undefined
  if (!isAbsolute(v)) throw new InvalidParametersError(`${what} must be an absolute path on the daemon's machine`)
  return v
}

function signal (ctx: RequestContext, ms: number): AbortSignal {
  return AbortSignal.any([ctx.signal, AbortSignal.timeout(ms)])
}

function unitOf (v: string | undefined): PriceUnit | undefined {
  if (v == null) return undefined
  if (v !== 'download' && v !== 'gib') throw new InvalidParametersError(`unit must be download or gib, not ${JSON.stringify(v)}`)
  return v
}

/** The listing fields shared by publish and update, from the query string. */
function listingParams (ctx: RequestContext): Partial<PublishParameters> {
  const all = (n: string): string[] | undefined => { const v = ctx.url.searchParams.getAll(n); return v.length === 0 ? undefined : v }
  return {
    path: pathOf(query(ctx, 'path'), 'path'),
    license: query(ctx, 'license'),
    version: query(ctx, 'version'),
    price: raoOf(query(ctx, 'price'), 'price'),
    unit: unitOf(query(ctx, 'unit')),
    tags: all('tag'),
    task: query(ctx, 'task'),
    card: pathOf(query(ctx, 'card'), 'card'),
    description: query(ctx, 'description'),
    expires: intOf(query(ctx, 'expires'), 'expires')
  }
}

function published (svc: MarketService, r: PublishResult): Record<string, unknown> {
  return { listing: svc.view(r.listing), gossip: r.gossip, dht: r.dht, providedTo: r.providedTo }
}

/** The market routes over a market service. */
export function marketRoutes ({ market: svc, node }: MarketRouteDeps): Route[] {
  const arg = (ctx: RequestContext): string => {
    const v = query(ctx, 'arg')
    if (v == null || v === '') throw new InvalidParametersError('missing ?arg=<listing id>')
    return v
  }
  return [
    {
      method: 'GET',
      path: '/api/v0/market/status',
      handler: async (ctx) => {
        const ready = svc.state === 'ready'
        sendJson(ctx.res, { state: svc.state, listings: ready ? svc.index.size : null, usage: ready ? svc.index.usage : null, catalogue: svc.pulls, hotkey: Buffer.from(svc.hotkey).toString('hex') })
      }
    },
    {
      method: 'POST',
      path: '/api/v0/market/publish',
      handler: async (ctx) => {
        const p = listingParams(ctx)
        const kind = kindOf(query(ctx, 'kind'))
        const name = query(ctx, 'name')
        if (p.path == null || kind == null || name == null || p.license == null) throw new InvalidParametersError('publish needs path, kind, name and license')
        const r = await svc.publisher.publish({ ...p, path: p.path, kind, name, license: p.license }, { signal: signal(ctx, 3_600_000) })
        sendJson(ctx.res, published(svc, r))
      }
    },
    {
      method: 'POST',
      path: '/api/v0/market/update',
      handler: async (ctx) => {
        const r = await svc.publisher.update(arg(ctx), listingParams(ctx), { signal: signal(ctx, 3_600_000) })
        sendJson(ctx.res, published(svc, r))
      }
    },
    {
      method: 'POST',
      path: '/api/v0/market/revoke',
      handler: async (ctx) => { sendJson(ctx.res, published(svc, await svc.publisher.revoke(arg(ctx), { signal: signal(ctx, 60_000) }))) }
    },
    {
      method: 'GET',
      path: '/api/v0/market/search',
      handler: async (ctx) => {
        if (svc.state !== 'ready') { sendJson(ctx.res, { state: svc.state, hits: [] }); return }
        const hits = await svc.index.search(query(ctx, 'q') ?? '', {
          kind: kindOf(query(ctx, 'kind')),
          tag: query(ctx, 'tag'),
          license: query(ctx, 'license'),
          task: query(ctx, 'task'),
          maxPrice: raoOf(query(ctx, 'max-price'), 'max-price'),
          publisher: query(ctx, 'publisher'),
          limit: intOf(query(ctx, 'limit'), 'limit'),
          offset: intOf(query(ctx, 'offset'), 'offset'),
          signal: signal(ctx, 10_000)
        })
        sendJson(ctx.res, { state: svc.state, hits: hits.map(h => ({ score: h.score, listing: svc.view(h.listing) })) })
      }
    },
    {
      method: 'GET',
      path: '/api/v0/market/show',
      handler: async (ctx) => {
        await svc.ready({ signal: signal(ctx, 60_000) })
        const found = await svc.index.resolve(arg(ctx))
        if (found == null) throw new ListingNotFoundError(`no current listing ${arg(ctx)} in the local index (expired, revoked or not yet seen)`)
        const l = found.listing
        const providers = await countProviders(node, l.record.root, signal(ctx, intOf(query(ctx, 'timeout'), 'timeout') ?? 5000))
        sendJson(ctx.res, { listing: svc.view(l), providers, ...(found.superseded ? { superseded: arg(ctx) } : {}), formerIds: found.formerIds })
      }
    },
    {
      method: 'GET',
      path: '/api/v0/market/quote',
      handler: async (ctx) => {
        const q = await svc.trade.quote(arg(ctx), { signal: signal(ctx, 60_000) })
        sendJson(ctx.res, { listing: svc.view(q.listing), superseded: q.superseded, ownedEarlier: q.ownedEarlier, owned: q.owned, pending: q.pending, seller: q.seller, agent: q.agent, recipient: q.recipient, commitment: q.commitment, chainId: q.chainId, amount: q.amount })
      }
    },
    {
      method: 'POST',
      path: '/api/v0/market/receive',
      handler: async (ctx) => {
        const escrow = query(ctx, 'escrow')
        if (escrow != null && !/^[0-9a-f]{64}$/.test(escrow)) throw new InvalidParametersError('escrow must be a transaction hash (64 hex)')
        const out = pathOf(query(ctx, 'out'), 'out')
        if (out == null) throw new InvalidParametersError('missing ?out=<absolute path>')
        const write = ndjson(ctx.res)
        // keep the response alive while the seller's delivery is awaited
        const beat = setInterval(() => { write({ type: 'waiting' }).catch(() => {}) }, 5000)
        let bytes = 0
        try {
          const r = await svc.trade.receive(arg(ctx), escrow, out, {
            signal: ctx.signal,
            force: query(ctx, 'force') === 'true',
            intoDirectory: query(ctx, 'into') === 'true',
            onProgress: (e) => { if (e.type === 'agora:fetch:block') { bytes += e.bytes; write({ type: 'progress', bytes }).catch(() => {}) } }
          })
          clearInterval(beat)
          await write({ type: 'done', ...r })
        } catch (err) {
          clearInterval(beat)
          await write({ type: 'error', error: { name: (err as Error).name, message: (err as Error).message } })
        }
        ctx.res.end()
      }
    },
    {
      method: 'GET',
      path: '/api/v0/market/purchases',
      handler: async (ctx) => {
        const buyer = query(ctx, 'buyer')
        if (buyer != null && !isAddress(buyer)) throw new InvalidParametersError('buyer must be an SS58 address')
        const list = await svc.trade.purchases({ buyer, signal: signal(ctx, 60_000) })
        sendJson(ctx.res, { purchases: list.map(p => ({ ...p, amount: p.amount.toString() })) })
      }
    },
    {
      method: 'GET',
      path: '/api/v0/market/mine',
      handler: async (ctx) => {
        await svc.ready({ signal: signal(ctx, 60_000) })
        const mine = await svc.index.listMine(svc.hotkey)
        sendJson(ctx.res, { listings: mine.map(l => svc.view(l)) })
      }
    }
  ]
}

/** Providers of `root` found within the signal's time (ourselves included when we hold it). */
async function countProviders (node: AgoraNode, root: CID, signal: AbortSignal): Promise<number> {
  let n = await node.repo.blockstore.has(root) ? 1 : 0
  try {
    for await (const p of node.findProviders(root, { signal })) {
      if (p.id.equals(node.network.peerId)) continue
      if (++n >= 20) break
    }
  } catch {}
  return n
}
