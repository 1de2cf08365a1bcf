/**
 * The global serving budget (serve-budget.ts) on its own, the fetch server using it between
 * in-process peers on real TCP (repeated CIDs in a WANT, read-ahead bounded by the window, budget
 * given back when a stream is reset), and Bitswap's sends paying into it.
 */
import { createHash, randomBytes } from 'node:crypto'
import { unixfs } from '@helia/unixfs'
import { byteStream } from '@libp2p/utils'
import * as dagPb from '@ipld/dag-pb'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { MemoryBlockstore } from 'blockstore-core'
import { base64 } from 'multiformats/bases/base64'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { meterLedger } from '../../src/dht/bitswap.ts'
import { FETCH_PROTOCOL } from '../../src/dht/index.ts'
import { WINDOW } from '../../src/dht/fetch-server.ts'
import { ServeBudget } from '../../src/dht/serve-budget.ts'
import { BLOCK, decodeResponse, encodeWant, FrameReader } from '../../src/dht/wire.ts'
import { createLoopbackHelia } from './fixtures/helia.ts'
import { teardown, testPeer } from './fixtures/in-process.ts'
import { importFile } from './fixtures/repo.ts'
import type { ServeEvent } from '../../src/dht/index.ts'
import type { Lease } from '../../src/dht/serve-budget.ts'
import type { LoopbackHelia } from './fixtures/helia.ts'
import type { TestPeer } from './fixtures/in-process.ts'
import type { AbortOptions, PeerId } from '@libp2p/interface'
import type { Blockstore } from 'interface-blockstore'
import type { CID } from 'multiformats/cid'

const MiB = 1024 * 1024

/** Settles `p` into a state we can look at without awaiting it. */
function track<T> (p: Promise<T>): { state: () => 'pending' | 'resolved' | 'rejected', value: () => T | undefined, error: () => any } {
  let state: 'pending' | 'resolved' | 'rejected' = 'pending'
  let value: T | undefined
  let error: any
  p.then(v => { state = 'resolved'; value = v }, e => { state = 'rejected'; error = e })
  return { state: () => state, value: () => value, error: () => error }
}

const tick = async (): Promise<void> => { await new Promise(resolve => setImmediate(resolve)) }

describe('serve budget', () => {
  it('default: grants within the budget, makes the rest wait, and gives the wait its bytes on release', async () => {
    const budget = new ServeBudget({ maxBytes: 10 })
    const a = budget.holder('A')
    const b = budget.holder('B')
    const la = await a.acquire(6)
    // 6 held + 6 asked > 10: B waits
    const lb = track(b.acquire(6))
    await tick()
    expect(lb.state()).toBe('pending')
    expect(budget.waiting).toBe(1)
    la.release()
    la.release() // idempotent: gives back 6, not 12
    await tick()
    expect(lb.state()).toBe('resolved')
    expect(budget.used).toBe(6)
    expect(budget.heldBy('A')).toBe(0)
    expect(budget.heldBy('B')).toBe(6)
  })

  it('behavior: shrinking a lease to the block size read gives the difference to a waiter', async () => {
    const budget = new ServeBudget({ maxBytes: 10 })
    const lease = await budget.holder('A').acquire(10)
    const w = track(budget.holder('B').acquire(7))
    await tick()
    expect(w.state()).toBe('pending')
    // 10 reserved, then shrunk to the 3 bytes actually read: 3 + 7 = 10 fits
    lease.shrink(3)
    await tick()
    expect(w.state()).toBe('resolved')
    expect(budget.used).toBe(10)
  })

  it('behavior: fairness: a peer holding less is served before a peer holding more, whoever asked first', async () => {
    const budget = new ServeBudget({ maxBytes: 10 })
    const x1 = budget.holder('X')
    const x2 = budget.holder('X')
    const a = await x1.acquire(4)
    await x1.acquire(4)
    // X holds 8; X asks 4 more first, then Y asks 4: both wait (8 + 4 > 10)
    const wx = track(x2.acquire(4))
    const wy = track(budget.holder('Y').acquire(4))
    await tick()
    expect([wx.state(), wy.state()]).toEqual(['pending', 'pending'])
    // 4 free now: X would hold 4 + 4, Y holds nothing, so Y goes first although it asked later;
    // then 8 are held and X's 4 no longer fit
    a.release()
    await tick()
    expect([wx.state(), wy.state()]).toEqual(['pending', 'resolved'])
  })

  it('behavior: an aborted wait leaves the queue, and closing a holder releases all its leases and waits', async () => {
    const budget = new ServeBudget({ maxBytes: 10 })
    const h = budget.holder('A')
    await h.acquire(5)
    await h.acquire(5)
    const ac = new AbortController()
    const aborted = track(h.acquire(5, { signal: ac.signal }))
    const dropped = track(h.acquire(5))
    await tick()
    expect(budget.waiting).toBe(2)
    ac.abort(new Error('gone'))
    await tick()
    expect(aborted.state()).toBe('rejected')
    expect(budget.waiting).toBe(1)
    h.close()
    await tick()
    // both 5-byte leases are back, and the other wait of the closed holder failed, not granted
    expect(budget.used).toBe(0)
    expect(dropped.state()).toBe('rejected')
    expect(dropped.error().name).toBe('StreamStalledError')
    await expect(h.acquire(1)).rejects.toHaveProperty('name', 'StreamStalledError')
  })

  it('behavior: under contention a holder whose peer takes nothing is reset and its budget given to the waiter; one that progresses is not', async () => {
    const budget = new ServeBudget({ maxBytes: 10, stallTimeout: 100 })
    const resets: Error[] = []
    const stuck = budget.holder('S', err => resets.push(err))
    stuck.watch(() => ({ waiting: true, taken: 0 }))
    let taken = 0
    const honest = budget.holder('H', err => resets.push(err))
    // every check sees the honest peer has taken more bytes since the last one
    honest.watch(() => ({ waiting: true, taken: ++taken }))
    await stuck.acquire(5)
    const honestLease: Lease = await honest.acquire(5)
    const w = track(budget.holder('W').acquire(5))
    await vi.waitFor(() => { expect(w.state()).toBe('resolved') }, { timeout: 5000 })
    // only the stuck holder was reset (with a named error) and its 5 bytes went to W
    expect(resets.map(e => e.name)).toEqual(['StreamStalledError'])
    expect(stuck.held).toBe(0)
    expect(honest.held).toBe(5)
    expect(honestLease.bytes).toBe(5)
  })

  it('behavior: after a reset for stalling, that peer\'s other requests are served after a newcomer\'s', async () => {
    const budget = new ServeBudget({ maxBytes: 10, stallTimeout: 50 })
    const stuck = budget.holder('S', () => {})
    stuck.watch(() => ({ waiting: true, taken: 0 }))
    await stuck.acquire(10)
    // S asks again on another stream first, then a newcomer N asks: both hold nothing once S's
    // first stream is reset, so without the mark S (the older request) would go first
    const again = track(budget.holder('S').acquire(10))
    const newcomer = track(budget.holder('N').acquire(10))
    await vi.waitFor(() => { expect(newcomer.state()).toBe('resolved') }, { timeout: 5000 })
    expect(again.state()).toBe('pending')
    expect(budget.isStaller('S')).toBe(true)
    expect(budget.isStaller('N')).toBe(false)
  })

  it('behavior: a holder that takes nothing is not reset while nobody waits', async () => {
    const budget = new ServeBudget({ maxBytes: 10, stallTimeout: 20 })
    const resets: Error[] = []
    const stuck = budget.holder('S', err => resets.push(err))
    stuck.watch(() => ({ waiting: true, taken: 0 }))
    await stuck.acquire(10)
    await new Promise(resolve => setTimeout(resolve, 200))
    expect(resets).toEqual([])
    expect(budget.used).toBe(10)
  })
})

let peers: TestPeer[] = []
let helias: LoopbackHelia[] = []
afterEach(async () => {
  await Promise.all(helias.map(async h => { await h.stop() }))
  helias = []
  await teardown(peers)
  peers = []
})

async function peer (...args: Parameters<typeof testPeer>): Promise<TestPeer> {
  const p = await testPeer(...args)
  peers.push(p)
  return p
}

/** Counts the block reads of a blockstore. */
function counting (inner: Blockstore, count: { n: number }): Blockstore {
  return new Proxy(inner, {
    get: (t, prop) => {
      if (prop === 'get') return (cid: CID, o: any) => { count.n++; return t.get(cid, o) }
      const v = Reflect.get(t, prop, t)
      return typeof v === 'function' ? v.bind(t) : v
    }
  })
}

/** The root and the 1 MiB raw leaves of a file of `n` MiB (unixfs-v1-2025: one level of links). */
async function leaves (blockstore: Blockstore, n: number): Promise<{ root: CID, leaves: CID[] }> {
  const root = await importFile(blockstore, randomBytes(n * MiB))
  const chunks: Uint8Array[] = []
  for await (const c of blockstore.get(root)) chunks.push(c)
  return { root, leaves: dagPb.decode(Buffer.concat(chunks)).Links.map(l => l.Hash) }
}

describe('fetch server under the budget', { timeout: 60_000 }, () => {
  it('behavior: a CID listed again in a WANT while its read is in the window is read once, and every entry is answered in order', async () => {
    const served: ServeEvent[] = []
    const count = { n: 0 }
    const a = await peer({ onServe: e => served.push(e) }, s => counting(s.blockstore, count))
    const b = await peer()
    const { leaves: cids } = await leaves(a.stores.blockstore, 2)
    count.n = 0
    // a reader that never reads, asking for the same leaf 300 times: the window's 4 frames are
    // all that leaf, sharing one read; nothing is taken, so nothing more is read (without the
    // sharing: 4 reads, one per frame; before the window: 5)
    const hog = await b.network.libp2p.dialProtocol(a.network.libp2p.getMultiaddrs()[0], FETCH_PROTOCOL)
    hog.pause()
    hog.send(encodeWant(Array.from({ length: 300 }, () => cids[0])))
    await vi.waitFor(() => { expect(served.filter(e => e.type === 'agora:serve:block')).toHaveLength(WINDOW) })
    await new Promise(resolve => setTimeout(resolve, 500))
    expect(count.n).toBe(1)
    expect(served.filter(e => e.type === 'agora:serve:block')).toHaveLength(WINDOW)
    hog.abort(new Error('done'))
    // a reader that reads gets one answer per entry, in the order asked (the protocol's rule)
    const order = [cids[0], cids[1], cids[0], cids[0]]
    const stream = await b.network.libp2p.dialProtocol(a.network.libp2p.getMultiaddrs()[0], FETCH_PROTOCOL)
    stream.send(encodeWant(order))
    const reader = new FrameReader(byteStream(stream, { maxBufferSize: 4 * MiB }), 4 * MiB)
    for (const want of order) {
      const body = await reader.next(10_000)
      if (body == null) throw new Error('stream ended early')
      const answer = decodeResponse(body)
      expect(answer.type).toBe(BLOCK)
      expect(answer.cid.equals(want)).toBe(true)
      if (answer.type === BLOCK) expect(answer.bytes.byteLength).toBe(MiB)
    }
    await stream.close()
  })

  it('behavior: a reader that never reads makes the server read one window of blocks, and an honest fetch still completes', async () => {
    const count = { n: 0 }
    const a = await peer({}, s => counting(s.blockstore, count))
    const b = await peer()
    const c = await peer()
    const { root, leaves: cids } = await leaves(a.stores.blockstore, 24)
    count.n = 0
    const stream = await b.network.libp2p.dialProtocol(a.network.libp2p.getMultiaddrs()[0], FETCH_PROTOCOL)
    stream.send(encodeWant(cids))
    // never read: no yamux window update goes back, so the server can send 256 KiB and no more
    stream.pause()
    // The first block's frame leaves the send buffer only in part (the reader's yamux window is
    // 256 KiB), so it and the next WINDOW - 1 frames stay queued, and no further block is read
    // until one of them is taken. Without the window, the server read ahead of the block it was
    // sending (5 reads) or, worse, all 24.
    await vi.waitFor(() => { expect(count.n).toBe(WINDOW) })
    await new Promise(resolve => setTimeout(resolve, 500))
    expect(count.n).toBe(WINDOW)
    // the stream holds 4 MiB of the 64 MiB budget: another peer is served meanwhile
    const result = await c.network.fetch(root, { providers: [a.network.addresses()[0]], useDht: false })
    expect(result.blocksFetched).toBe(25)
    stream.abort(new Error('done'))
  })

  it('behavior: a stream reset by its peer gives its budget back at once, and the next stream is served', async () => {
    // a budget of one block read: 1 MiB blocks are paid for at maxBlockSize (2 MiB) while read
    const a = await peer({ serveMaxBufferedBytes: 2 * MiB })
    const b = await peer()
    const c = await peer()
    const { root, leaves: cids } = await leaves(a.stores.blockstore, 8)
    const stream = await b.network.libp2p.dialProtocol(a.network.libp2p.getMultiaddrs()[0], FETCH_PROTOCOL)
    stream.send(encodeWant(cids))
    stream.pause()
    // B never reads: its first block (1 MiB of lease) is stuck in its stream's send buffer, so
    // with 1 MiB left nothing else can be read (a read needs 2 MiB) until B's stream lets it go
    const fetch = track(c.network.fetch(root, { providers: [a.network.addresses()[0]], useDht: false, timeout: 3000 }))
    await new Promise(resolve => setTimeout(resolve, 1000))
    expect(fetch.state()).toBe('pending')
    // B resets its stream: the server releases the lease at once (a leak would leave C waiting for
    // the stall check, over 5 s after B's stream began to wait, beyond C's 3 s fetch timeout)
    stream.abort(new Error('bye'))
    await vi.waitFor(() => { expect(fetch.state()).not.toBe('pending') }, { timeout: 10_000 })
    expect(fetch.error()).toBeUndefined()
    expect(fetch.value()?.blocksFetched).toBe(9)
  })
})

/** A stand-in for @helia/bitswap's per-peer ledger: a send reads `cids` through its blockstore, then runs `then`. */
function fakeLedger (peerId: PeerId, blockstore: Blockstore, cids: CID[], then: () => Promise<void>): { peerId: PeerId, blockstore: Blockstore, sendBlocksToPeer: (options?: AbortOptions) => Promise<void> } {
  const ledger = {
    peerId,
    blockstore,
    sendBlocksToPeer: async (options?: AbortOptions): Promise<void> => {
      for (const cid of cids) for await (const chunk of ledger.blockstore.get(cid, options)) expect(chunk.byteLength).toBeGreaterThan(0)
      await then()
    }
  }
  return ledger
}

describe('bitswap under the budget', { timeout: 60_000 }, () => {
  it('behavior: a Bitswap send pays for the blocks it read until it ends, sent or failed', async () => {
    const blockstore = new MemoryBlockstore()
    const { leaves: cids } = await leaves(blockstore, 2)
    const peerId = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
    const budget = new ServeBudget({ maxBytes: 3 * MiB })
    let during = -1
    const ok = fakeLedger(peerId, blockstore, cids, async () => { during = budget.used })
    meterLedger(ok, { budget, maxBlockSize: 2 * MiB })
    await ok.sendBlocksToPeer()
    // two 1 MiB leaves read for the message, each paid 2 MiB while read and 1 MiB once its size
    // is known: 2 MiB held while the message is sent, nothing once the send is over
    expect(during).toBe(2 * MiB)
    expect(budget.used).toBe(0)
    const failing = fakeLedger(peerId, blockstore, cids, async () => { throw new Error('stream reset') })
    meterLedger(failing, { budget, maxBlockSize: 2 * MiB })
    await expect(failing.sendBlocksToPeer()).rejects.toThrow('stream reset')
    expect(budget.used).toBe(0)
  })

  it('behavior: a Bitswap read that gets no budget is "not found" for the library (the want stays), and holds nothing', async () => {
    const blockstore = new MemoryBlockstore()
    const cids = (await leaves(blockstore, 2)).leaves.slice(0, 1)
    const budget = new ServeBudget({ maxBytes: 2 * MiB })
    const hog = await budget.holder('someone else').acquire(2 * MiB)
    const ledger = fakeLedger(peerIdFromPrivateKey(await generateKeyPair('Ed25519')), blockstore, cids, async () => {})
    meterLedger(ledger, { budget, maxBlockSize: 2 * MiB })
    // the send's signal is already aborted, as it would be once BITSWAP_SEND_TIMEOUT has passed
    await expect(ledger.sendBlocksToPeer({ signal: AbortSignal.abort() })).rejects.toHaveProperty('name', 'NotFoundError')
    expect(budget.used).toBe(2 * MiB)
    expect(budget.waiting).toBe(0)
    hog.release()
  })

  it('behavior: a block without free budget in a send is put back as wanted (no DONT_HAVE) and another send is queued', async () => {
    const blockstore = new MemoryBlockstore()
    const { leaves: cids } = await leaves(blockstore, 2)
    const budget = new ServeBudget({ maxBytes: 2 * MiB })
    const key = (cid: CID): string => base64.baseEncode(cid.multihash.bytes)
    const wants = new Map(cids.map(c => [key(c), { status: 'sending' }]))
    const sizes: number[] = []
    let queued = 0
    const ledger = {
      peerId: peerIdFromPrivateKey(await generateKeyPair('Ed25519')),
      blockstore: blockstore as Blockstore,
      wants,
      queueSendOperation: () => { queued++ },
      sendBlocksToPeer: async (options?: AbortOptions): Promise<void> => {
        for (const cid of cids) {
          let n = 0
          for await (const chunk of ledger.blockstore.get(cid, options)) n += chunk.byteLength
          sizes.push(n)
        }
      }
    }
    meterLedger(ledger, { budget, maxBlockSize: 2 * MiB })
    await ledger.sendBlocksToPeer()
    // the first leaf got the whole 2 MiB (1 MiB once read); the second needs 2 MiB more, which is
    // not free, so it yields nothing and its want is marked unsent again for the queued next send
    expect(sizes).toEqual([MiB, 0])
    expect(wants.get(key(cids[0]))?.status).toBe('sending')
    expect(wants.get(key(cids[1]))?.status).toBe('want')
    expect(queued).toBe(1)
    expect(budget.used).toBe(0)
  })

  it('default: a stock Helia node fetches over Bitswap from a peer whose budget allows one block read at a time', async () => {
    // a 2 MiB budget and 1 MiB leaves paid 2 MiB while read: every read waits for the previous send
    const ours = await peer({ bitswap: true, serveMaxBufferedBytes: 2 * MiB })
    const helia = await createLoopbackHelia()
    helias.push(helia)
    const bytes = randomBytes(6 * MiB + 100)
    const root = await importFile(ours.stores.blockstore, bytes)
    await helia.libp2p.dial(ours.network.libp2p.getMultiaddrs()[0])
    const hash = createHash('sha256')
    for await (const chunk of unixfs(helia).cat(root, { signal: AbortSignal.timeout(45_000) })) hash.update(chunk)
    expect(hash.digest('hex')).toBe(createHash('sha256').update(bytes).digest('hex'))
  })
})
