/**
 * Fetch over `/agora/fetch/1.0.0` between in-process peers on real TCP: the happy path and
 * every kind of bad provider or bad request.
 */
import { createHash, randomBytes } from 'node:crypto'
import { byteStream } from '@libp2p/utils'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { FETCH_PROTOCOL } from '../../src/dht/index.ts'
import { teardown, testPeer } from './fixtures/in-process.ts'
import { importFile, sha256Of } from './fixtures/repo.ts'
import type { FetchProgressEvent, ServeEvent } from '../../src/dht/index.ts'
import type { TestPeer } from './fixtures/in-process.ts'
import type { Blockstore } from 'interface-blockstore'

let peers: TestPeer[] = []
afterEach(async () => { await teardown(peers); peers = [] })

async function peer (...args: Parameters<typeof testPeer>): Promise<TestPeer> {
  const p = await testPeer(...args)
  peers.push(p)
  return p
}

const MiB = 1024 * 1024
const hex = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')

/** A CID no-one has: the raw block of 32 fresh random bytes. */
async function unknownCid (): Promise<CID> {
  return CID.createV1(0x55, await sha256.digest(randomBytes(32)))
}

/** `inner`, recording the name of every blockstore method called on it in `calls`. */
function counting (inner: Blockstore, calls: string[]): Blockstore {
  const methods = new Set(['put', 'get', 'has', 'putMany', 'getMany', 'getAll', 'delete', 'deleteMany'])
  return new Proxy(inner, {
    get: (t, prop, r) => {
      const v = Reflect.get(t, prop, r)
      if (typeof prop !== 'string' || !methods.has(prop) || typeof v !== 'function') return v
      return (...args: unknown[]) => { calls.push(prop); return v.apply(t, args) }
    }
  })
}

/** A blockstore whose reads never finish. */
function stalling (inner: Blockstore): Blockstore {
  return new Proxy(inner, {
    get: (t, prop, r) => prop === 'get' ? async function * () { await new Promise(() => {}); yield new Uint8Array() } : Reflect.get(t, prop, r)
  })
}

describe('fetch', { timeout: 60_000 }, () => {
  it('default: fetches a multi-block file from a provider, verified and byte-identical', async () => {
    const a = await peer()
    const b = await peer()
    const bytes = randomBytes(3 * MiB + 7)
    // 256 KiB dag-pb leaves under one dag-pb root (Kubo's classic layout)
    const root = await importFile(a.stores.blockstore, bytes, 'unixfs-v0-2015')
    const stored = await countBlocks(a.stores.blockstore)
    const events: FetchProgressEvent[] = []
    const result = await b.network.fetch(root, { providers: [a.network.addresses()[0]], onProgress: e => events.push(e) })
    expect(result.blocksFetched).toBe(stored)
    expect(result.blocksSkipped).toBe(0)
    expect(events.filter(e => e.type === 'agora:fetch:block')).toHaveLength(stored)
    expect(events.find(e => e.type === 'agora:fetch:provider-connected')).toMatchObject({ protocol: 'agora' })
    expect(await sha256Of(b.stores.blockstore, root)).toBe(hex(bytes))
    // fetching again finds everything stored and asks no-one
    const again = await b.network.fetch(root, { useDht: false })
    expect(again).toMatchObject({ blocksFetched: 0, blocksSkipped: stored })
  })

  it('behavior: blocks are striped across several providers in parallel', async () => {
    const [a, b, c] = [await peer(), await peer(), await peer()]
    const bytes = randomBytes(4 * MiB)
    // 16 leaves of 256 KiB; with a window of 2 neither provider can take them all at once
    const root = await importFile(a.stores.blockstore, bytes, 'unixfs-v0-2015')
    await importFile(b.stores.blockstore, bytes, 'unixfs-v0-2015')
    const result = await c.network.fetch(root, { providers: [a.network.addresses()[0], b.network.addresses()[0]], window: 2, useDht: false })
    expect(result.providers).toHaveLength(2)
    for (const p of result.providers) expect(p.blocks).toBeGreaterThan(0)
    expect(result.providers[0].blocks + result.providers[1].blocks).toBe(result.blocksFetched)
    expect(await sha256Of(c.stores.blockstore, root)).toBe(hex(bytes))
  })

  it('behavior: fetchBlock returns one verified block without walking its links', async () => {
    const a = await peer()
    const b = await peer()
    const root = await importFile(a.stores.blockstore, randomBytes(2 * MiB), 'unixfs-v1-2025')
    await b.network.connect(a.network.addresses()[0])
    const block = await b.network.fetchBlock(root, { providers: [a.network.peerId] })
    expect(hex(block)).toBe(hex(await bytesOf(a.stores.blockstore, root)))
    expect(await countBlocks(b.stores.blockstore)).toBe(1)
  })

  it('behavior: fetchBlock writes the block once and returns the verified bytes without reading them back', async () => {
    const a = await peer()
    const calls: string[] = []
    const b = await peer({}, s => counting(s.blockstore, calls))
    const root = await importFile(a.stores.blockstore, randomBytes(2 * MiB), 'unixfs-v1-2025')
    const block = await b.network.fetchBlock(root, { providers: [a.network.addresses()[0]], useDht: false })
    expect(hex(block)).toBe(hex(await bytesOf(a.stores.blockstore, root)))
    // the fetch asks `has` (not stored yet), then one `put`; nothing is read back
    expect(calls.filter(c => c !== 'has')).toEqual(['put'])
    // once stored, fetchBlock answers from the store: one read, no write
    calls.length = 0
    expect(hex(await b.network.fetchBlock(root, { useDht: false }))).toBe(hex(block))
    expect(calls.filter(c => c !== 'has')).toEqual(['get'])
  })

  it('behavior: a stalled provider is dropped (StreamStalledError) and, alone, the fetch fails with NoProvidersError', async () => {
    const a = await peer({}, s => stalling(s.blockstore))
    const b = await peer()
    const root = await importFile(a.stores.blockstore, randomBytes(1000), 'unixfs-v1-2025')
    const events: FetchProgressEvent[] = []
    const p = b.network.fetch(root, { providers: [a.network.addresses()[0]], messageTimeout: 300, timeout: 1500, useDht: false, onProgress: e => events.push(e) })
    await expect(p).rejects.toHaveProperty('name', 'NoProvidersError')
    const dropped = events.find(e => e.type === 'agora:fetch:provider-dropped')
    expect(dropped?.type === 'agora:fetch:provider-dropped' ? dropped.error.name : undefined).toBe('StreamStalledError')
  })

  it('behavior: a stalled provider is dropped and the file still arrives from an honest one', async () => {
    const stalled = await peer({}, s => stalling(s.blockstore))
    const honest = await peer()
    const b = await peer()
    const bytes = randomBytes(2 * MiB)
    const root = await importFile(honest.stores.blockstore, bytes)
    await importFile(stalled.stores.blockstore, bytes)
    // b is given only the stalled peer; once that one is dropped it finds the honest one on the DHT
    await b.network.connect(honest.network.addresses()[0])
    await vi.waitFor(async () => { expect((await honest.network.provide(root)).peers).toBeGreaterThan(0) }, { timeout: 20_000, interval: 200 })
    const result = await b.network.fetch(root, { providers: [stalled.network.addresses()[0]], messageTimeout: 1000 })
    expect(result.providers.find(p => p.peer === stalled.network.peerId.toString())?.error).toMatch(/^StreamStalledError/)
    expect(result.providers.find(p => p.peer === honest.network.peerId.toString())?.blocks).toBe(result.blocksFetched)
    expect(await sha256Of(b.stores.blockstore, root)).toBe(hex(bytes))
  })

  it('behavior: a fetch that stops making progress fails with FetchStalledError', async () => {
    let served = 0
    // serves the root and one leaf, then never answers again
    const a = await peer({}, s => new Proxy(s.blockstore, {
      get: (t, prop, r) => prop === 'get'
        ? async function * (cid: CID) { if (++served > 2) await new Promise(() => {}); yield * t.get(cid) }
        : Reflect.get(t, prop, r)
    }))
    const b = await peer()
    const root = await importFile(a.stores.blockstore, randomBytes(4 * MiB))
    const p = b.network.fetch(root, { providers: [a.network.addresses()[0]], useDht: false, timeout: 1000, messageTimeout: 30_000 })
    await expect(p).rejects.toHaveProperty('name', 'FetchStalledError')
  })

  it('behavior: a provider announcing an oversized message is dropped with MessageTooLargeError', async () => {
    const evil = await peer()
    const b = await peer()
    await evil.network.libp2p.unhandle(FETCH_PROTOCOL)
    await evil.network.libp2p.handle(FETCH_PROTOCOL, async (stream) => {
      // a length prefix of 256 MiB (varint 0x80 0x80 0x80 0x80 0x01), then a trickle of bytes
      stream.send(Uint8Array.from([0x80, 0x80, 0x80, 0x80, 0x01, 0x02, 0x00]))
    })
    const events: FetchProgressEvent[] = []
    const p = b.network.fetch(await unknownCid(), { providers: [evil.network.addresses()[0]], timeout: 1500, useDht: false, onProgress: e => events.push(e) })
    await expect(p).rejects.toHaveProperty('name', 'NoProvidersError')
    const dropped = events.find(e => e.type === 'agora:fetch:provider-dropped')
    expect(dropped?.type === 'agora:fetch:provider-dropped' ? dropped.error.name : undefined).toBe('MessageTooLargeError')
  })

  it('behavior: a stream that ends inside a message drops the provider with TruncatedStreamError', async () => {
    const evil = await peer()
    const b = await peer()
    await evil.network.libp2p.unhandle(FETCH_PROTOCOL)
    await evil.network.libp2p.handle(FETCH_PROTOCOL, async (stream) => {
      stream.send(Uint8Array.from([100, 0x02, 0x01]))
      await stream.close()
    })
    const events: FetchProgressEvent[] = []
    await expect(b.network.fetch(await unknownCid(), { providers: [evil.network.addresses()[0]], timeout: 1500, useDht: false, onProgress: e => events.push(e) }))
      .rejects.toHaveProperty('name', 'NoProvidersError')
    const dropped = events.find(e => e.type === 'agora:fetch:provider-dropped')
    expect(dropped?.type === 'agora:fetch:provider-dropped' ? dropped.error.name : undefined).toBe('TruncatedStreamError')
  })

  it('behavior: a malformed request is refused with MalformedMessageError and the server keeps serving', async () => {
    const served: ServeEvent[] = []
    const a = await peer({ onServe: e => served.push(e) })
    const b = await peer()
    const bytes = randomBytes(5000)
    const root = await importFile(a.stores.blockstore, bytes)
    const stream = await b.network.libp2p.dialProtocol(a.network.libp2p.getMultiaddrs()[0], FETCH_PROTOCOL)
    // a WANT whose CID is 3 bytes of garbage
    stream.send(Uint8Array.from([5, 0x01, 0x03, 0xff, 0xff, 0xff]))
    const reply = byteStream(stream)
    await expect(reply.read()).rejects.toThrow()
    const err = served.find(e => e.type === 'agora:serve:error')
    expect(err?.type === 'agora:serve:error' ? err.error.name : undefined).toBe('MalformedMessageError')
    await b.network.fetch(root, { providers: [a.network.peerId], useDht: false })
    expect(await sha256Of(b.stores.blockstore, root)).toBe(hex(bytes))
  })

  it('behavior: stopping the network ends a fetch in progress with NetworkNotStartedError', async () => {
    const a = await peer({}, s => stalling(s.blockstore))
    const b = await peer()
    const root = await importFile(a.stores.blockstore, randomBytes(1000))
    const events: FetchProgressEvent[] = []
    const p = b.network.fetch(root, { providers: [a.network.addresses()[0]], useDht: false, onProgress: e => events.push(e) })
    p.catch(() => {})
    await vi.waitFor(() => { expect(events.map(e => e.type)).toContain('agora:fetch:provider-connected') })
    await b.network.stop()
    await expect(p).rejects.toHaveProperty('name', 'NetworkNotStartedError')
  })

  it('behavior: with no provider at all the fetch fails with NoProvidersError instead of hanging', async () => {
    const a = await peer()
    const b = await peer()
    await b.network.connect(a.network.addresses()[0])
    await expect(b.network.fetch(await unknownCid(), { timeout: 1000 })).rejects.toHaveProperty('name', 'NoProvidersError')
  })

  it('behavior: a CID whose hash cannot be verified is refused before anything is asked', async () => {
    const b = await peer()
    // multihash 0xb220 is blake2b-256, which we do not implement
    const cid = CID.parse('bafk2bzacea3z5w7fbd6q7qtxfqchwg6dmhgpnwbdxrdt5jbgprewukzqwmdkw')
    await expect(b.network.fetch(cid)).rejects.toHaveProperty('name', 'UnsupportedHashError')
  })
})

async function bytesOf (blockstore: Blockstore, cid: CID): Promise<Uint8Array> {
  const chunks: Uint8Array[] = []
  for await (const c of blockstore.get(cid)) chunks.push(c)
  return Buffer.concat(chunks)
}

async function countBlocks (blockstore: Blockstore): Promise<number> {
  let n = 0
  for await (const pair of blockstore.getAll()) if (pair.cid != null) n++
  return n
}
