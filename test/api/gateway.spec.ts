import { createHash } from 'node:crypto'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { CarReader } from '@ipld/car'
import { CID } from 'multiformats/cid'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { deterministicBuffer, writeDeterministicFile } from '../utils/data.ts'
import { testDaemon } from './helpers.ts'

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
