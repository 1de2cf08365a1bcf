import { createHash } from 'node:crypto'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CarReader } from '@ipld/car'
import { base32 } from 'multiformats/bases/base32'
import { base36 } from 'multiformats/bases/base36'
import { CID } from 'multiformats/cid'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { createGatewayServer, startDaemon } from '../../src/api/index.ts'
import { deterministicBuffer, writeDeterministicFile } from '../utils/data.ts'
import { testDaemon } from './helpers.ts'
import type { Daemon, HttpServer } from '../../src/api/index.ts'
import type { IncomingHttpHeaders } from 'node:http'

let d: Awaited<ReturnType<typeof testDaemon>>
let fileCid: string
let dirCid: string
const SIZE = 3 * 1024 * 1024 + 11

beforeAll(async () => {
  d = await testDaemon()
  await writeDeterministicFile(join(d.dir, 'f.bin'), 'gw', SIZE)
  fileCid = (await d.node.add(join(d.dir, 'f.bin'))).cid.toString()
  await mkdir(join(d.dir, 'site'))
  await writeFile(join(d.dir, 'site', 'hello.txt'), 'hello world\n')
  dirCid = (await d.node.add(join(d.dir, 'site'))).cid.toString()
})
afterAll(async () => { await d?.close() })

/** A response as `node:http` gives it (unlike fetch, it lets a test set `Host` and raw paths). */
interface RawResponse { status: number, headers: IncomingHttpHeaders, body: string }

/** GET `path` from the gateway at `base` with exactly these headers (raw path: no re-encoding). */
async function raw (base: string, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<RawResponse> {
  const u = new URL(base)
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path, method, headers }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => { body += c })
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, headers: res.headers, body }) })
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end()
  })
}

/** Start a GET, take the first body bytes, then drop the connection. */
async function dropAfterFirstBytes (base: string, path: string, headers: Record<string, string> = {}): Promise<number> {
  const u = new URL(base)
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path, headers }, (res) => {
      res.once('data', (c: Buffer) => { req.destroy(); resolve(c.byteLength) })
      res.on('error', () => {})
    })
    req.on('error', (err) => { if (!req.destroyed) reject(err) })
    req.end()
  })
}

/** What a browser sends when the user opens a URL in the address bar. */
const NAVIGATION = {
  accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
  'sec-fetch-mode': 'navigate',
  'sec-fetch-dest': 'document',
  'sec-fetch-site': 'none',
  'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/133.0'
}

/** Independent check: a block's bytes hash (sha2-256) to the digest in its CID. */
function verifies (cid: CID, bytes: Uint8Array): boolean {
  return cid.multihash.code === 0x12 && Buffer.from(createHash('sha256').update(bytes).digest()).equals(Buffer.from(cid.multihash.digest))
}

describe('gateway', () => {
  it('default: GET /ipfs/<cid> serves the file without a token, with length and immutable caching', async () => {
    const res = await fetch(`${d.info.gateway}/ipfs/${fileCid}`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-length')).toBe(String(SIZE))
    expect(res.headers.get('accept-ranges')).toBe('bytes')
    expect(res.headers.get('cache-control')).toContain('immutable')
    expect(Buffer.from(await res.arrayBuffer())).toEqual(Buffer.from(deterministicBuffer('gw', SIZE)))
  })

  it('behavior: Range gives 206 with Content-Range; an unsatisfiable range gives 416', async () => {
    const all = deterministicBuffer('gw', SIZE)
    const res = await fetch(`${d.info.gateway}/ipfs/${fileCid}`, { headers: { range: 'bytes=1048570-1048589' } })
    expect(res.status).toBe(206)
    expect(res.headers.get('content-range')).toBe(`bytes 1048570-1048589/${SIZE}`)
    expect(Buffer.from(await res.arrayBuffer())).toEqual(Buffer.from(all.subarray(1048570, 1048590)))
    const suffix = await fetch(`${d.info.gateway}/ipfs/${fileCid}`, { headers: { range: 'bytes=-5' } })
    expect(suffix.status).toBe(206)
    expect(Buffer.from(await suffix.arrayBuffer())).toEqual(Buffer.from(all.subarray(SIZE - 5)))
    const bad = await fetch(`${d.info.gateway}/ipfs/${fileCid}`, { headers: { range: `bytes=${SIZE}-` } })
    expect(bad.status).toBe(416)
    expect(bad.headers.get('content-range')).toBe(`bytes */${SIZE}`)
    await bad.arrayBuffer()
  })

  it('behavior: application/vnd.ipld.raw (header or ?format=raw) returns the block, which hashes to its CID', async () => {
    for (const [url, headers] of [[`${d.info.gateway}/ipfs/${fileCid}`, { accept: 'application/vnd.ipld.raw' }], [`${d.info.gateway}/ipfs/${fileCid}?format=raw`, {}]] as const) {
      const res = await fetch(url, { headers })
      expect(res.status).toBe(200)
      expect(res.headers.get('content-type')).toBe('application/vnd.ipld.raw')
      expect(verifies(CID.parse(fileCid), new Uint8Array(await res.arrayBuffer()))).toBe(true)
    }
  })

  it('behavior: application/vnd.ipld.car returns a CAR rooted at the CID whose blocks all verify and rebuild the file', async () => {
    const res = await fetch(`${d.info.gateway}/ipfs/${fileCid}`, { headers: { accept: 'application/vnd.ipld.car' } })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^application\/vnd\.ipld\.car; version=1/)
    const car = await CarReader.fromBytes(new Uint8Array(await res.arrayBuffer()))
    expect((await car.getRoots()).map(String)).toEqual([fileCid])
    const leaves: Uint8Array[] = []
    let n = 0
    for await (const b of car.blocks()) {
      n++
      expect(verifies(b.cid, b.bytes)).toBe(true)
      if (b.cid.code === 0x55) leaves.push(b.bytes)
    }
    // unixfs-v1-2025: four 1 MiB-or-less raw leaves and one root node, leaves in file order (dfs).
    expect(n).toBe(5)
    expect(Buffer.concat(leaves)).toEqual(Buffer.from(deterministicBuffer('gw', SIZE)))
  })

  it('behavior: a CAR for a path holds the path\'s blocks once each, then the target', async () => {
    const res = await fetch(`${d.info.gateway}/ipfs/${dirCid}/hello.txt?format=car`)
    const car = await CarReader.fromBytes(new Uint8Array(await res.arrayBuffer()))
    const cids = []
    for await (const b of car.blocks()) {
      expect(verifies(b.cid, b.bytes)).toBe(true)
      cids.push(b.cid.toString())
    }
    // The directory node, then the file (a single raw leaf under unixfs-v1-2025: CIDv1 raw of its sha256).
    expect(cids).toEqual([dirCid, 'bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4'])
  })

  it('behavior: paths resolve inside directories; a directory lists its entries; a missing path is 404', async () => {
    const res = await fetch(`${d.info.gateway}/ipfs/${dirCid}/hello.txt`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8')
    expect(await res.text()).toBe('hello world\n')
    const list = await fetch(`${d.info.gateway}/ipfs/${dirCid}`)
    expect(await list.text()).toContain(`href="/ipfs/${dirCid}/hello.txt"`)
    const missing = await fetch(`${d.info.gateway}/ipfs/${dirCid}/nope.txt`)
    expect(missing.status).toBe(404)
    expect(await missing.json()).toMatchObject({ error: { name: 'PathNotFoundError' } })
    const bad = await fetch(`${d.info.gateway}/ipfs/not-a-cid`)
    expect(bad.status).toBe(400)
    await bad.arrayBuffer()
  })

  it('behavior: HEAD sends the headers and no body', async () => {
    const res = await fetch(`${d.info.gateway}/ipfs/${fileCid}`, { method: 'HEAD' })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-length')).toBe(String(SIZE))
    expect((await res.arrayBuffer()).byteLength).toBe(0)
  })
})

describe('gateway: hostile content and hostile pages', () => {
  const FILE_NAME = '"><img src=x onerror=alert(1)>.txt'
  const DIR_NAME = '"><img src=x onerror=alert(2)>'
  let evilCid: string
  let bigCid: string
  let v0Cid: string
  let port: string

  beforeAll(async () => {
    port = new URL(d.info.gateway).port
    await mkdir(join(d.dir, 'evil', DIR_NAME), { recursive: true })
    await writeFile(join(d.dir, 'evil', FILE_NAME), 'x')
    await writeFile(join(d.dir, 'evil', DIR_NAME, 'a.txt'), 'a')
    evilCid = (await d.node.add(join(d.dir, 'evil'))).cid.toString()
    await writeDeterministicFile(join(d.dir, 'big.bin'), 'gw-big', 16 * 1024 * 1024)
    bigCid = (await d.node.add(join(d.dir, 'big.bin'))).cid.toString()
    v0Cid = (await d.node.add(join(d.dir, 'site'), { profile: 'unixfs-v0-2015' })).cid.toString()
  })

  it('behavior: <cid>.ipfs.localhost serves that root as its own origin, nosniff and unsandboxed, with hrefs relative to it', async () => {
    const host = `${dirCid}.ipfs.localhost:${port}`
    const file = await raw(d.info.gateway, '/hello.txt', { host })
    expect(file.status).toBe(200)
    expect(file.body).toBe('hello world\n')
    expect(file.headers['x-content-type-options']).toBe('nosniff')
    // Its own origin: no sandbox, so the root's pages can run as a site of their own.
    expect(file.headers['content-security-policy']).toBeUndefined()
    const list = await raw(d.info.gateway, '/', { host })
    expect(list.status).toBe(200)
    // On the subdomain the root is `/`, so an entry links to `/<name>`.
    expect(list.body).toContain('href="/hello.txt"')
  })

  it('behavior: a Host label that is not a CID is 400; a base36 label is redirected to the base32 one', async () => {
    const bad = await raw(d.info.gateway, '/', { host: `notacid.ipfs.localhost:${port}` })
    expect(bad.status).toBe(400)
    expect(JSON.parse(bad.body)).toMatchObject({ error: { name: 'InvalidHostError' } })
    const garbage = await raw(d.info.gateway, `/ipfs/${dirCid}`, { host: 'a b<c>' })
    expect(garbage.status).toBe(400)
    // The same CID written in base36 (k…) is the same root; the canonical label is base32 (b…).
    const k = CID.parse(dirCid).toString(base36)
    const moved = await raw(d.info.gateway, '/hello.txt?x=1', { host: `${k}.ipfs.localhost:${port}` })
    expect(moved.status).toBe(301)
    expect(moved.headers.location).toBe(`http://${dirCid}.ipfs.localhost:${port}/hello.txt?x=1`)
  })

  it('behavior: a browser navigating to localhost/ipfs/<cid> is redirected (301) to the subdomain; CIDv0 becomes CIDv1 base32', async () => {
    const nav = await raw(d.info.gateway, `/ipfs/${dirCid}/hello.txt`, { ...NAVIGATION, host: `localhost:${port}` })
    expect(nav.status).toBe(301)
    expect(nav.headers.location).toBe(`http://${dirCid}.ipfs.localhost:${port}/hello.txt`)
    // Only Sec-Fetch-Dest (an iframe/document load without Sec-Fetch-Mode) also counts as a page load.
    const dest = await raw(d.info.gateway, `/ipfs/${dirCid}/hello.txt`, { host: `localhost:${port}`, 'sec-fetch-dest': 'document' })
    expect(dest.status).toBe(301)
    // A CIDv0 (base58 Qm…, case-sensitive) cannot be a host label: the label is CIDv1 dag-pb, base32.
    expect(v0Cid.startsWith('Qm')).toBe(true)
    const v1 = CID.createV1(0x70, CID.parse(v0Cid).multihash).toString(base32)
    const old = await raw(d.info.gateway, `/ipfs/${v0Cid}/hello.txt`, { ...NAVIGATION, host: `localhost:${port}` })
    expect(old.status).toBe(301)
    expect(old.headers.location).toBe(`http://${v1}.ipfs.localhost:${port}/hello.txt`)
    // A trustless client asking for a CAR, and curl-like clients, keep the path gateway.
    const car = await raw(d.info.gateway, `/ipfs/${dirCid}/hello.txt`, { ...NAVIGATION, host: `localhost:${port}`, accept: 'application/vnd.ipld.car' })
    expect(car.status).toBe(200)
    const curl = await raw(d.info.gateway, `/ipfs/${dirCid}/hello.txt`, { host: `localhost:${port}`, accept: '*/*' })
    expect(curl.status).toBe(200)
    expect(curl.body).toBe('hello world\n')
  })

  it('behavior: everything the shared path origin serves carries Content-Security-Policy: sandbox', async () => {
    for (const path of [`/ipfs/${dirCid}/hello.txt`, `/ipfs/${dirCid}`, `/ipfs/${dirCid}/nope.txt`, `/ipfs/${fileCid}?format=raw`]) {
      const r = await raw(d.info.gateway, path, { host: `127.0.0.1:${port}` })
      expect(r.headers['content-security-policy']).toBe('sandbox')
      expect(r.headers['x-content-type-options']).toBe('nosniff')
    }
  })

  it('behavior: the listing escapes entry names and the request path; hrefs encode each segment', async () => {
    const top = await raw(d.info.gateway, `/ipfs/${evilCid}`)
    expect(top.status).toBe(200)
    // No markup from a name may survive: not one `<img` in the page the gateway wrote.
    expect(top.body).not.toContain('<img')
    expect(top.body).toContain(`href="/ipfs/${evilCid}/${encodeURIComponent(FILE_NAME)}"`)
    expect(top.body).toContain('&#34;&#62;&#60;img src=x onerror=alert(1)&#62;.txt')
    // The request path (a directory named with markup) lands in the title and in every href.
    const sub = await raw(d.info.gateway, `/ipfs/${evilCid}/${encodeURIComponent(DIR_NAME)}`)
    expect(sub.status).toBe(200)
    expect(sub.body).not.toContain('<img')
    expect(sub.body).toContain(`href="/ipfs/${evilCid}/${encodeURIComponent(DIR_NAME)}/a.txt"`)
  })

  it('behavior: a malformed %-escape is a 400 MalformedPathError, on the path and the subdomain origin', async () => {
    const r = await raw(d.info.gateway, `/ipfs/${dirCid}/%E0%A4%A`)
    expect(r.status).toBe(400)
    expect(JSON.parse(r.body)).toMatchObject({ error: { name: 'MalformedPathError' } })
    const s = await raw(d.info.gateway, '/%zz', { host: `${dirCid}.ipfs.localhost:${port}` })
    expect(s.status).toBe(400)
    expect(JSON.parse(s.body)).toMatchObject({ error: { name: 'MalformedPathError' } })
  })

  it('behavior: a client that drops a CAR or a file response mid-body leaves no request handler running', async () => {
    const gw = createGatewayServer({ node: d.node, port: 0 })
    await gw.start()
    try {
      // 16 MiB: far more than the socket buffers hold, so the server is still writing when the client leaves.
      for (const path of [`/ipfs/${bigCid}?format=car`, `/ipfs/${bigCid}`]) {
        expect(await dropAfterFirstBytes(gw.url(), path)).toBeGreaterThan(0)
        await vi.waitFor(() => { expect(gw.inFlight()).toBe(0) }, { timeout: 20_000, interval: 50 })
      }
    } finally {
      await gw.stop()
    }
  })
})

describe('gateway: what reaches the network', () => {
  let dir: string
  let b: Daemon
  let gwLocal: HttpServer
  let cid: CID

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'agora-gw-'))
    b = await startDaemon({
      repo: join(dir, 'repo'),
      config: { bootstrap: [d.info.addresses[0]], swarm: { network: 'lan' }, addresses: { listen: ['/ip4/127.0.0.1/tcp/0'], api: '127.0.0.1:0', gateway: '127.0.0.1:0' } }
    })
    gwLocal = createGatewayServer({ node: b.node, port: 0, gateway: { localOnly: true } })
    await gwLocal.start()
    // Added once B is connected, so the provider record reaches B's DHT.
    await writeDeterministicFile(join(d.dir, 'remote.bin'), 'gw-remote', 2 * 1024 * 1024 + 5)
    cid = (await d.node.add(join(d.dir, 'remote.bin'))).cid
  })
  afterAll(async () => {
    await gwLocal?.stop()
    await b?.stop()
    await rm(dir, { recursive: true, force: true })
  })

  it('behavior: with gateway.localOnly, or for a cross-site request, content the node lacks is a 412 NotHeldLocallyError and nothing is fetched', async () => {
    const local = await raw(gwLocal.url(), `/ipfs/${cid.toString()}`)
    expect(local.status).toBe(412)
    expect(JSON.parse(local.body)).toMatchObject({ error: { name: 'NotHeldLocallyError' } })
    const cross = await raw(b.info.gateway, `/ipfs/${cid.toString()}`, { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'no-cors', 'sec-fetch-dest': 'image' })
    expect(cross.status).toBe(412)
    expect(await b.node.repo.blockstore.has(cid)).toBe(false)
    // Control: the same request without browser headers is same-origin, so B fetches and serves it.
    const ok = await raw(b.info.gateway, `/ipfs/${cid.toString()}?format=raw`)
    expect(ok.status).toBe(200)
    expect(await b.node.repo.blockstore.has(cid)).toBe(true)
  })
})
