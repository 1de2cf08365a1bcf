/**
 * A small HTTP server over `node:http`: a table of routes built by factory functions, an
 * optional bearer-token guard, a per-request abort signal, and error → status mapping.
 */
import { createServer } from 'node:http'
import { timingSafeEqual, createHash } from 'node:crypto'
import { logger } from '@libp2p/logger'
import { errorBody, MethodNotAllowedError, RouteNotFoundError, statusOf, UnauthorizedError } from './errors.ts'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

const log = logger('agora:api')

/** What a route handler gets. */
export interface RequestContext {
  req: IncomingMessage
  res: ServerResponse
  url: URL
  /** Capture groups of the route's path pattern. */
  params: string[]
  /** Aborted when the client goes away or the server stops. */
  signal: AbortSignal
}

/** One route. */
export interface Route {
  method: 'GET' | 'POST' | 'HEAD' | Array<'GET' | 'POST' | 'HEAD'>
  /** Exact path, or a pattern whose groups become `params`. */
  path: string | RegExp
  handler: (ctx: RequestContext) => Promise<void>
}

/** How to build a server. */
export interface HttpServerInit {
  host: string
  port: number
  routes: Route[]
  /** When set, every request needs `Authorization: Bearer <token>`. @default undefined (no guard) */
  token?: string
}

/** A started or stopped HTTP server. */
export interface HttpServer {
  start: () => Promise<{ host: string, port: number }>
  stop: () => Promise<void>
  /** `http://host:port` once started. */
  url: () => string
  /** Requests whose handler has not returned yet (a client that went away must not leave one behind). */
  inFlight: () => number
}

function tokenMatches (header: string | undefined, token: string): boolean {
  const m = /^Bearer\s+(\S+)$/i.exec(header ?? '')
  if (m == null) return false
  // Policy: compare digests in constant time so the token cannot be guessed byte by byte.
  const a = createHash('sha256').update(m[1]).digest()
  const b = createHash('sha256').update(token).digest()
  return timingSafeEqual(a, b)
}

function match (routes: Route[], method: string, path: string): { route: Route, params: string[] } {
  let pathMatched = false
  for (const route of routes) {
    let params: string[] | undefined
    if (typeof route.path === 'string') {
      if (route.path === path) params = []
    } else {
      const m = route.path.exec(path)
      if (m != null) params = m.slice(1)
    }
    if (params == null) continue
    pathMatched = true
    const methods = Array.isArray(route.method) ? route.method : [route.method]
    if (methods.includes(method as 'GET') || (method === 'HEAD' && methods.includes('GET'))) return { route, params }
  }
  if (pathMatched) throw new MethodNotAllowedError(`${method} not allowed on ${path}`)
  throw new RouteNotFoundError(`no route for ${path}`)
}

/** Send an error as JSON, or cut the response if it has already started. */
export function sendError (res: ServerResponse, err: unknown): void {
  if (res.headersSent) {
    res.destroy(err as Error)
    return
  }
  const body = JSON.stringify(errorBody(err))
  res.writeHead(statusOf(err), { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
  res.end(body)
}

/** Send a JSON value (bigints as strings). */
export function sendJson (res: ServerResponse, value: unknown, status = 200): void {
  const body = JSON.stringify(value, (_k, v: unknown) => typeof v === 'bigint' ? v.toString() : v)
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
  res.end(body)
}

/** Create the server (not yet listening). */
export function createHttpServer (init: HttpServerInit): HttpServer {
  const closing = new AbortController()
  let server: Server | undefined
  let bound: { host: string, port: number } | undefined
  let active = 0

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    active++
    try {
      await handleOne(req, res)
    } finally {
      active--
    }
  }

  const handleOne = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const ac = new AbortController()
    const onClose = (): void => { if (!res.writableFinished) ac.abort(new Error('client went away')) }
    res.on('close', onClose)
    const signal = AbortSignal.any([ac.signal, closing.signal])
    try {
      if (init.token != null && !tokenMatches(req.headers.authorization, init.token)) {
        throw new UnauthorizedError('missing or wrong API token (Authorization: Bearer <token from the repo api.token>)')
      }
      const url = new URL(req.url ?? '/', 'http://localhost')
      const { route, params } = match(init.routes, req.method ?? 'GET', url.pathname)
      await route.handler({ req, res, url, params, signal })
    } catch (err) {
      if (signal.aborted && res.destroyed) return
      log('%s %s failed - %e', req.method, req.url, err)
      sendError(res, err)
    } finally {
      res.off('close', onClose)
    }
  }

  return {
    start: async () => {
      if (bound != null) return bound
      server = createServer((req, res) => { handle(req, res).catch(() => {}) })
      // Keep-alive sockets would hold stop() open; requests are short or streamed.
      server.keepAliveTimeout = 1000
      await new Promise<void>((resolve, reject) => {
        server?.once('error', reject)
        server?.listen(init.port, init.host, () => { server?.off('error', reject); resolve() })
      })
      const a = server.address() as AddressInfo
      bound = { host: a.address, port: a.port }
      return bound
    },
    stop: async () => {
      closing.abort(new Error('server stopping'))
      if (server == null) return
      const s = server
      server = undefined
      bound = undefined
      await new Promise<void>(resolve => { s.close(() => { resolve() }); s.closeAllConnections() })
    },
    inFlight: () => active,
    url: () => {
      if (bound == null) throw new Error('server not started')
      return `http://${bound.host.includes(':') ? `[${bound.host}]` : bound.host}:${bound.port}`
    }
  }
}

/** A request query parameter, or undefined. */
export function query (ctx: RequestContext, name: string): string | undefined {
  return ctx.url.searchParams.get(name) ?? undefined
}

/** Start an NDJSON response and return a line writer that honours backpressure. */
export function ndjson (res: ServerResponse): (value: unknown) => Promise<void> {
  res.writeHead(200, { 'content-type': 'application/x-ndjson' })
  return async (value) => {
    const ok = res.write(JSON.stringify(value, (_k, v: unknown) => typeof v === 'bigint' ? v.toString() : v) + '\n')
    if (!ok && !res.destroyed) await new Promise(resolve => res.once('drain', resolve))
  }
}
