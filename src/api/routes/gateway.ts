/**
 * The gateway: `GET|HEAD /ipfs/<cid>[/<path>]` as the IPFS trustless gateway specification
 * describes (`application/vnd.ipld.raw`, `application/vnd.ipld.car`, or `?format=raw|car`),
 * plus plain file responses with single `Range` support (206/416) and a directory listing.
 *
 * @see https://specs.ipfs.tech/http-gateways/trustless-gateway/
 */
import { parseCidPath, writeChunksTo } from '../../store/index.ts'
import { RangeNotSatisfiableError } from '../errors.ts'
import { query } from '../server.ts'
import type { AgoraNode } from '../../node.ts'
import type { RequestContext, Route } from '../server.ts'
import type { CID } from 'multiformats/cid'

/** What the gateway needs. */
export interface GatewayRouteDeps { node: AgoraNode }

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

function commonHeaders (cid: CID, path: string): Record<string, string> {
  return {
    'x-ipfs-path': `/ipfs/${cid.toString()}${path !== '' ? '/' + path : ''}`,
    'x-content-type-options': 'nosniff',
    'cache-control': 'public, max-age=29030400, immutable',
    'access-control-allow-origin': '*'
  }
}

async function pipeOut (ctx: RequestContext, it: AsyncIterable<Uint8Array>): Promise<void> {
  if (ctx.req.method === 'HEAD') { ctx.res.end(); return }
  for await (const chunk of it) {
    if (!ctx.res.write(chunk)) await new Promise(resolve => ctx.res.once('drain', resolve))
  }
  ctx.res.end()
}

async function serveFile (node: AgoraNode, ctx: RequestContext, cid: CID, path: string, target: CID): Promise<void> {
  const st = await node.store.stat(target)
  if (st.type === 'directory') {
    const rows: string[] = []
    for await (const e of node.store.ls(target)) {
      const href = `/ipfs/${cid.toString()}/${path !== '' ? path + '/' : ''}${encodeURIComponent(e.name)}`
      rows.push(`<li><a href="${href}">${escapeHtml(e.name)}</a> ${e.type} ${e.size}</li>`)
    }
    const body = `<!doctype html><title>/ipfs/${cid.toString()}/${escapeHtml(path)}</title><ul>${rows.join('')}</ul>\n`
    ctx.res.writeHead(200, { ...commonHeaders(cid, path), 'content-type': 'text/html; charset=utf-8', etag: `"DirIndex-${target.toString()}"` })
    ctx.res.end(ctx.req.method === 'HEAD' ? undefined : body)
    return
  }
  const size = st.size
  let range: { start: number, end: number } | undefined
  try {
    range = parseRange(ctx.req.headers.range, size)
  } catch (err) {
    ctx.res.writeHead(416, { ...commonHeaders(cid, path), 'content-range': `bytes */${size}` })
    ctx.res.end()
    return
  }
  const headers = { ...commonHeaders(cid, path), 'content-type': contentType(path), 'accept-ranges': 'bytes', etag: `"${target.toString()}"` }
  if (range == null) {
    ctx.res.writeHead(200, { ...headers, 'content-length': String(size) })
  } else {
    ctx.res.writeHead(206, { ...headers, 'content-length': String(range.end - range.start + 1), 'content-range': `bytes ${range.start}-${range.end}/${size}` })
  }
  if (ctx.req.method === 'HEAD') { ctx.res.end(); return }
  // Verified blocks in reused buffers, each given back once the socket has taken its bytes.
  const chunks = node.store.read(target, '', { offset: range?.start, length: range == null ? undefined : range.end - range.start + 1, signal: ctx.signal })
  await writeChunksTo(ctx.res, chunks, { signal: ctx.signal })
  ctx.res.end()
}

function escapeHtml (s: string): string {
  return s.replace(/[&<>"']/g, c => `&#${c.charCodeAt(0)};`)
}

/** Route: `GET|HEAD /ipfs/<cid>[/<path>]`. */
export function gatewayRoutes ({ node }: GatewayRouteDeps): Route[] {
  return [{
    method: ['GET', 'HEAD'],
    path: /^\/ipfs\/(.+)$/,
    handler: async (ctx) => {
      const { cid, path } = parseCidPath(decodeURIComponent(ctx.params[0]))
      const format = formatOf(ctx)
      const o = { signal: ctx.signal }
      if (format === 'raw') {
        const target = path === '' ? cid : (await node.store.stat(cid, path, { ...o, blocks: node.blocks({ ...o, root: cid }) })).cid
        const bytes = await node.store.block(target, { ...o, blocks: node.blocks({ ...o, root: cid }) })
        ctx.res.writeHead(200, {
          ...commonHeaders(cid, path),
          'content-type': 'application/vnd.ipld.raw',
          'content-length': String(bytes.byteLength),
          'content-disposition': `attachment; filename="${target.toString()}.bin"`,
          etag: `"${target.toString()}.raw"`
        })
        ctx.res.end(ctx.req.method === 'HEAD' ? undefined : bytes)
        return
      }
      const { target } = await node.fetchPath(cid, path, o)
      if (format === 'car') {
        const it = node.store.car(cid, path, o)
        const first = await it.next()
        ctx.res.writeHead(200, {
          ...commonHeaders(cid, path),
          'content-type': 'application/vnd.ipld.car; version=1; order=dfs; dups=n',
          'content-disposition': `attachment; filename="${cid.toString()}.car"`,
          etag: `"${target.toString()}.car"`
        })
        if (first.done !== true && ctx.req.method !== 'HEAD') ctx.res.write(first.value)
        await pipeOut(ctx, it)
        return
      }
      await serveFile(node, ctx, cid, path, target)
    }
  }]
}
