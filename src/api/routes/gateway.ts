/**
 * The gateway: `GET|HEAD /ipfs/<cid>[/<path>]` as the IPFS trustless gateway specification
 * describes (`application/vnd.ipld.raw`, `application/vnd.ipld.car`, or `?format=raw|car`),
 * plus plain file responses with single `Range` support (206/416) and a directory listing;
 * and the same content on its own origin at `http://<cid>.ipfs.localhost:<port>/<path>`.
 *
 * Hostile content and hostile pages are the normal case here:
 * - every root has its own origin (the subdomain); browsers asking the shared path origin for a
 *   page are redirected there, and everything the path origin serves is sandboxed;
 * - a cross-site request, or any request with `gateway.localOnly`, reads local blocks only;
 * - other requests fetch only the blocks they read (a Range touches the blocks covering it),
 *   and at most `gateway.maxFetchBytes` bytes from the network each;
 * - a client that goes away ends the response and aborts the fetch it started.
 *
 * @see https://specs.ipfs.tech/http-gateways/trustless-gateway/
 * @see https://specs.ipfs.tech/http-gateways/subdomain-gateway/
 */
import { parseCidPath, writeChunksTo } from '../../store/index.ts'
import { InvalidHostError, MalformedPathError, RangeNotSatisfiableError, RouteNotFoundError } from '../errors.ts'
import { query } from '../server.ts'
import { budgetedReader, FetchBudget, fetchWithin, localOnlyReader, notHeldLocally } from './gateway-fetch.ts'
import { listingHtml } from './gateway-html.ts'
import { encodePath, isBrowserNavigation, isCrossSite, parseGatewayHost, subdomainLabel } from './gateway-origin.ts'
import type { LocalReason } from './gateway-fetch.ts'
import type { GatewayHost } from './gateway-origin.ts'
import type { AgoraConfig } from '../../config.ts'
import type { AgoraNode, ProviderHint } from '../../node.ts'
import type { BlockReader, Lent, LsEntry } from '../../store/index.ts'
import type { RequestContext, Route } from '../server.ts'
import type { CID } from 'multiformats/cid'

/** What the gateway needs. */
export interface GatewayRouteDeps {
  node: AgoraNode
  /** Local-only switch and per-request fetch cap. @default node.config.gateway */
  config?: AgoraConfig['gateway']
  /** Host names, besides the loopback ones, that are this gateway's own origin. @default [] */
  hosts?: readonly string[]
}

type Format = 'raw' | 'car' | 'file'

function formatOf (ctx: RequestContext): Format {
  const f = query(ctx, 'format')
  if (f === 'raw' || f === 'car') return f
  const accept = ctx.req.headers.accept ?? ''
  if (accept.includes('application/vnd.ipld.raw')) return 'raw'
  if (accept.includes('application/vnd.ipld.car')) return 'car'
  return 'file'
}

const TYPES: Record<string, string> = {
  txt: 'text/plain; charset=utf-8',
  md: 'text/markdown; charset=utf-8',
  json: 'application/json',
  html: 'text/html; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  svg: 'image/svg+xml',
  pdf: 'application/pdf'
}

function contentType (path: string): string {
  const ext = /\.([a-z0-9]+)$/i.exec(path)?.[1]?.toLowerCase()
  return (ext != null ? TYPES[ext] : undefined) ?? 'application/octet-stream'
}

/** Parse one `bytes=` range against `size`; undefined for none/multi-range (served whole). */
export function parseRange (header: string | undefined, size: number): { start: number, end: number } | undefined {
  if (header == null) return undefined
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim())
  if (m == null) return undefined
  let start: number
  let end: number
  if (m[1] === '') {
    if (m[2] === '') return undefined
    start = Math.max(0, size - Number(m[2]))
    end = size - 1
  } else {
    start = Number(m[1])
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1)
  }
  if (start >= size || start > end || (m[1] === '' && Number(m[2]) === 0)) {
    throw new RangeNotSatisfiableError(`range ${header} outside 0-${size - 1}`)
  }
  return { start, end }
}

/** Percent-decode a URL path; a malformed escape is a `MalformedPathError` (400). */
export function decodePath (raw: string): string {
  try {
    return decodeURIComponent(raw)
  } catch (err) {
    throw new MalformedPathError(`malformed %-escape in the request path ${JSON.stringify(raw.slice(0, 120))}`, { cause: err })
  }
}

/** One request, once its origin, root and path are known. */
interface Job {
  node: AgoraNode
  ctx: RequestContext
  cid: CID
  /** Decoded content path below `cid`, no leading or trailing slash. */
  path: string
  /** URL path of the root in this origin: `/ipfs/<cid>` on the path gateway, `` on a subdomain. */
  base: string
  format: Format
  /** Where blocks come from: the repo only, or the repo and the network within the budget. */
  blocks: BlockReader
  /** Set when this request may not fetch from the network. */
  local?: LocalReason
  budget: FetchBudget
  /** The root's providers, looked up at most once per request. */
  providers: ProviderHint
}

function commonHeaders (job: Job): Record<string, string> {
  return {
    // Header values must be ASCII without controls: the path goes out percent-encoded.
    'x-ipfs-path': `/ipfs/${job.cid.toString()}${job.path !== '' ? '/' + encodePath(job.path) : ''}`,
    'cache-control': 'public, max-age=29030400, immutable',
    'access-control-allow-origin': '*'
  }
}

function redirect (ctx: RequestContext, location: string): void {
  ctx.res.writeHead(301, { location, 'content-length': '0' })
  ctx.res.end()
}

function trimSlashes (p: string): string {
  return p.replace(/^\/+/, '').replace(/\/+$/, '')
}

/** Chunks the caller keeps, as lent chunks for {@link writeChunksTo}. */
async function * lend (it: AsyncIterable<Uint8Array>): AsyncGenerator<Lent> {
  for await (const bytes of it) yield { bytes, release: () => {} }
}

async function * prepend<T> (first: T, rest: AsyncIterable<T>): AsyncGenerator<T> {
  yield first
  yield * rest
}

async function serveRaw (job: Job): Promise<void> {
  const { node, ctx, cid, path, blocks } = job
  const o = { signal: ctx.signal, blocks }
  const target = path === '' ? cid : (await node.store.stat(cid, path, o)).cid
  const bytes = await node.store.block(target, o)
  ctx.res.writeHead(200, {
    ...commonHeaders(job),
    'content-type': 'application/vnd.ipld.raw',
    'content-length': String(bytes.byteLength),
    'content-disposition': `attachment; filename="${target.toString()}.bin"`,
    etag: `"${target.toString()}.raw"`
  })
  ctx.res.end(ctx.req.method === 'HEAD' ? undefined : bytes)
}

async function serveCar (job: Job): Promise<void> {
  const { node, ctx, cid, path } = job
  const target = path === '' ? cid : (await node.store.stat(cid, path, { signal: ctx.signal, blocks: job.blocks })).cid
  const headers = {
    ...commonHeaders(job),
    'content-type': 'application/vnd.ipld.car; version=1; order=dfs; dups=n',
    'content-disposition': `attachment; filename="${cid.toString()}.car"`,
    etag: `"${target.toString()}.car"`
  }
  if (ctx.req.method === 'HEAD') { ctx.res.writeHead(200, headers); ctx.res.end(); return }
  if (job.local == null) await fetchWithin(node, cid, target, job.budget, job.providers, { signal: ctx.signal })
  const it = node.store.car(cid, path, { signal: ctx.signal })
  try {
    const first = await it.next()
    ctx.res.writeHead(200, headers)
    if (first.done !== true) await writeChunksTo(ctx.res, lend(prepend(first.value, it)), { signal: ctx.signal })
  } finally {
    await it.return(undefined)
  }
  ctx.res.end()
}

async function serveListing (job: Job, target: CID): Promise<void> {
  const { node, ctx, cid, path } = job
  const entries: LsEntry[] = []
  for await (const e of node.store.ls(target, '', { signal: ctx.signal, blocks: job.blocks })) entries.push(e)
  const body = listingHtml({ title: `/ipfs/${cid.toString()}${path !== '' ? '/' + path : ''}`, base: `${job.base}/${path}`, entries })
  ctx.res.writeHead(200, { ...commonHeaders(job), 'content-type': 'text/html; charset=utf-8', 'content-length': String(Buffer.byteLength(body)), etag: `"DirIndex-${target.toString()}"` })
  ctx.res.end(ctx.req.method === 'HEAD' ? undefined : body)
}

async function serveFile (job: Job): Promise<void> {
  const { node, ctx, cid, path } = job
  const st = await node.store.stat(cid, path, { signal: ctx.signal, blocks: job.blocks })
  if (st.type === 'directory') { await serveListing(job, st.cid); return }
  const size = st.size
  let range: { start: number, end: number } | undefined
  try {
    range = parseRange(ctx.req.headers.range, size)
  } catch {
    ctx.res.writeHead(416, { ...commonHeaders(job), 'content-range': `bytes */${size}` })
    ctx.res.end()
    return
  }
  const headers = { ...commonHeaders(job), 'content-type': contentType(path), 'accept-ranges': 'bytes', etag: `"${st.cid.toString()}"` }
  const head = (): void => {
    if (range == null) ctx.res.writeHead(200, { ...headers, 'content-length': String(size) })
    else ctx.res.writeHead(206, { ...headers, 'content-length': String(range.end - range.start + 1), 'content-range': `bytes ${range.start}-${range.end}/${size}` })
  }
  if (ctx.req.method === 'HEAD') { head(); ctx.res.end(); return }
  let blocks: BlockReader | undefined
  if (job.local == null && range == null) {
    // The whole file: one parallel fetch of its DAG (within the budget), then served locally.
    await fetchWithin(node, cid, st.cid, job.budget, job.providers, { signal: ctx.signal })
  } else if (job.local == null) {
    // Policy: a range fetches only the blocks covering it, read lazily through the file reader.
    blocks = job.blocks
  }
  const chunks = node.store.read(st.cid, '', { offset: range?.start, length: range == null ? undefined : range.end - range.start + 1, signal: ctx.signal, blocks })
  try {
    const first = await chunks.next()
    head()
    // Verified blocks in reused buffers, each given back once the socket has taken its bytes.
    if (first.done !== true) await writeChunksTo(ctx.res, prepend(first.value, chunks), { signal: ctx.signal })
  } finally {
    await chunks.return(undefined)
  }
  ctx.res.end()
}

async function serve (job: Job): Promise<void> {
  try {
    if (job.format === 'raw') await serveRaw(job)
    else if (job.format === 'car') await serveCar(job)
    else await serveFile(job)
  } catch (err) {
    if (job.local != null && (err as Error).name === 'BlockNotFoundError') throw notHeldLocally(`${job.cid.toString()}${job.path !== '' ? '/' + job.path : ''}`, job.local, err)
    throw err
  }
}

/**
 * Policy: the path origin (`127.0.0.1:<port>/ipfs/…`) is shared by every root, so nothing it
 * serves may run there: `Content-Security-Policy: sandbox` with no `allow-*` token gives each
 * response an opaque origin with no scripts, forms, popups or plugins (viewing text, images, PDF
 * and media needs none of them). Content that needs to run belongs on its subdomain.
 */
const PATH_ORIGIN_HEADERS = { 'content-security-policy': 'sandbox', 'x-content-type-options': 'nosniff' }

/** A request on the path origin: `/ipfs/<cid>[/<path>]`, or a redirect of a browser to the subdomain. */
function pathRequest (ctx: RequestContext, where: Extract<GatewayHost, { kind: 'path' }>): { cid: CID, path: string, base: string } | undefined {
  for (const [k, v] of Object.entries(PATH_ORIGIN_HEADERS)) ctx.res.setHeader(k, v)
  const m = /^\/ipfs\/(.+)$/.exec(ctx.url.pathname)
  if (m == null) throw new RouteNotFoundError(`no route for ${ctx.url.pathname.slice(0, 120)}`)
  const { cid, path } = parseCidPath(decodePath(m[1]))
  const label = subdomainLabel(cid)
  if (where.localhost && label != null && formatOf(ctx) === 'file' && isBrowserNavigation(ctx.req)) {
    redirect(ctx, `http://${label}.ipfs.${where.host ?? 'localhost'}/${encodePath(path)}${ctx.url.search}`)
    return undefined
  }
  return { cid, path, base: `/ipfs/${cid.toString()}` }
}

/** A request on a root's own origin; canonical labels only (others are redirected). */
function subdomainRequest (ctx: RequestContext, where: Extract<GatewayHost, { kind: 'subdomain' }>): { cid: CID, path: string, base: string } | undefined {
  ctx.res.setHeader('x-content-type-options', 'nosniff')
  const label = subdomainLabel(where.cid)
  if (label == null) throw new InvalidHostError(`CID ${where.cid.toString()} does not fit one DNS label in base32`)
  if (label !== where.label) {
    redirect(ctx, `http://${label}.${where.host.slice(where.label.length + 1)}${ctx.url.pathname}${ctx.url.search}`)
    return undefined
  }
  return { cid: where.cid, path: trimSlashes(decodePath(ctx.url.pathname)), base: '' }
}

/** Routes: `GET|HEAD /ipfs/<cid>[/<path>]`, and `GET|HEAD /<path>` on `<cid>.ipfs.localhost`. */
export function gatewayRoutes ({ node, config, hosts }: GatewayRouteDeps): Route[] {
  const cfg = config ?? node.config.gateway
  return [{
    method: ['GET', 'HEAD'],
    path: /^\/.*$/,
    handler: async (ctx) => {
      const where = parseGatewayHost(ctx.req.headers.host, hosts)
      const req = where.kind === 'subdomain' ? subdomainRequest(ctx, where) : pathRequest(ctx, where)
      if (req == null) return
      const budget = new FetchBudget(cfg.maxFetchBytes)
      const local: LocalReason | undefined = cfg.localOnly ? 'local-only' : isCrossSite(ctx.req, where) ? 'cross-site' : undefined
      const providers = node.providerHint(req.cid, { signal: ctx.signal })
      const blocks = local != null ? localOnlyReader(node, local) : budgetedReader(node, req.cid, budget, providers, { signal: ctx.signal })
      await serve({ node, ctx, ...req, format: formatOf(ctx), blocks, local, budget, providers })
    }
  }]
}
