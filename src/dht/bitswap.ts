/**
 * Bitswap on our own libp2p node, for interop with stock IPFS nodes (Helia, Kubo).
 *
 * `@helia/bitswap` 4 exports only a Helia mixin. Importing `helia` (or `@helia/libp2p`) to host
 * it costs ~90 MB of RSS (they load every transport, WebRTC included) and would break the
 * fetching process's memory budget, so we host the mixin on the few members of a Helia node
 * it uses: `libp2p`, `blockstore`, `logger`, `routing`, `getHasher`, and the broker/mixin lists.
 *
 * Serving: @helia/bitswap answers a peer by reading every block of its wantlist that is not sent
 * yet into one message, then sending that message, one send at a time per peer. We bound that
 * from outside (see {@link meterLedger}): a small wantlist per peer, each block read paid for from
 * the node's serving budget and paid back when the send ends, and a time limit on every send.
 */
import { withBitswap } from '@helia/bitswap'
import { defaultLogger } from '@libp2p/logger'
import { base64 } from 'multiformats/bases/base64'
import { identity } from 'multiformats/hashes/identity'
import { sha256, sha512 } from 'multiformats/hashes/sha2'
import { UnsupportedHashError } from './errors.ts'
import type { BudgetHolder, Lease, ServeBudget } from './serve-budget.ts'
import type { BitswapWant } from './workers.ts'
import type { AbortOptions, Libp2p, PeerId } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { Blockstore } from 'interface-blockstore'
import type { CID } from 'multiformats/cid'
import type { MultihashHasher } from 'multiformats/hashes/interface'

interface Broker { name: string, retrieve(cid: CID, o: AbortOptions): Promise<Uint8Array>, stop(): Promise<void> }
interface Mixin { start?(host: unknown): Promise<void> }

/**
 * Entries of a peer's wantlist kept (the library's default is 1024). Policy: one send carries at
 * most this many blocks, so a send needs at most this many blocks of budget (32 MiB of 1 MiB
 * blocks); peers asking for more have their oldest wants dropped and ask again, as Kubo does.
 */
export const BITSWAP_MAX_WANTLIST = 32

/**
 * Time limit of one send of blocks to a peer, ms, including the wait for budget. The library
 * sends blocks with the signal of its own queue, which never times out, so without it a peer
 * that never reads would hold the blocks of its send (and their budget) for ever.
 */
export const BITSWAP_SEND_TIMEOUT = 10_000

/** What `startBitswap` needs besides the node and the blockstore. */
export interface BitswapInit {
  /** The node's serving budget, shared with our fetch protocol. */
  budget: ServeBudget
  /** Largest block served; a read is paid for at this size until its size is known. */
  maxBlockSize: number
}

/** The members of @helia/bitswap's (internal) per-peer ledger that {@link meterLedger} wraps. */
interface Ledger {
  peerId: PeerId
  blockstore: Blockstore
  /** The peer's wants by base64 multihash; `status` is 'want', 'sending' or 'sent'. */
  wants?: Map<string, { status: string }>
  sendBlocksToPeer(options?: AbortOptions): Promise<void>
  queueSendOperation?(): void
}

interface BitswapInternals {
  bitswap?: { peerWantLists?: { ledgerMap?: { set(peer: PeerId, ledger: Ledger): unknown } } }
}

/** A running Bitswap engine. */
export interface BitswapEngine extends BitswapWant {
  stop(): Promise<void>
}

/** Wraps every ledger the library creates (one per peer), before it serves anything. */
function meterLedgers (broker: BitswapInternals, init: BitswapInit): void {
  const map = broker.bitswap?.peerWantLists?.ledgerMap
  if (map == null) throw new Error('@helia/bitswap no longer has peerWantLists.ledgerMap: serving could not be budgeted')
  const set = map.set.bind(map)
  map.set = (peer, ledger) => {
    meterLedger(ledger, init)
    return set(peer, ledger)
  }
}

function getHasher (code: number): MultihashHasher {
  for (const h of [sha256, sha512, identity] as MultihashHasher[]) if (h.code === code) return h
  throw new UnsupportedHashError(`unsupported multihash code 0x${code.toString(16)}`)
}

/**
 * Makes one peer's ledger pay for what it reads: each send of blocks gets a budget holder, every
 * block read in it acquires (at `maxBlockSize`, shrunk to the block's size once read) and the
 * holder is closed, releasing everything, when the send ends, however it ends.
 *
 * Policy: the library puts every wanted block into one message before sending it, so a send
 * waits for budget for its first block only (up to the send's time limit). Further blocks get
 * budget only if it is free now; the others are put back on the peer's wantlist as not yet sent
 * (no DONT_HAVE is sent), and another send is queued once this one ends. A first read that gets no
 * budget in time is reported to the library as NotFoundError, its "not now": the want stays and
 * is served on the peer's next message.
 */
export function meterLedger (ledger: Ledger, init: BitswapInit): void {
  const inner = ledger.blockstore
  const send = ledger.sendBlocksToPeer.bind(ledger)
  let holder: BudgetHolder | undefined
  let deferred = false
  /** Puts the want back as not being sent; false when the ledger has no such want. */
  const defer = (cid: CID): boolean => {
    const want = ledger.wants?.get(base64.baseEncode(cid.multihash.bytes))
    if (want?.status !== 'sending') return false
    want.status = 'want'
    deferred = true
    return true
  }
  const lease = async (h: BudgetHolder, cid: CID, options?: AbortOptions): Promise<Lease | undefined> => {
    if (h.held > 0) return h.tryAcquire(init.maxBlockSize)
    try {
      return await h.acquire(init.maxBlockSize, options)
    } catch (err: any) {
      const e = new Error(`no serving budget for ${cid}: ${err?.message ?? err}`)
      e.name = 'NotFoundError'
      throw e
    }
  }
  const get: Blockstore['get'] = async function * (cid, options) {
    const h = holder
    if (h == null) { yield * inner.get(cid, options); return }
    const l = await lease(h, cid, options)
    if (l == null) {
      // an empty block the library drops, as the want is no longer marked as being sent
      if (defer(cid)) return
      const e = new Error(`no serving budget for ${cid} now`)
      e.name = 'NotFoundError'
      throw e
    }
    let bytes = 0
    const chunks: Uint8Array[] = []
    for await (const chunk of inner.get(cid, options)) {
      bytes += chunk.byteLength
      chunks.push(chunk)
    }
    l.shrink(bytes)
    yield * chunks
  }
  ledger.blockstore = new Proxy(inner, {
    get: (t, prop) => {
      if (prop === 'get') return get
      const v = Reflect.get(t, prop, t)
      return typeof v === 'function' ? v.bind(t) : v
    }
  })
  ledger.sendBlocksToPeer = async (options) => {
    const h = holder = init.budget.holder(ledger.peerId.toString())
    deferred = false
    const signal = AbortSignal.any([AbortSignal.timeout(BITSWAP_SEND_TIMEOUT), ...(options?.signal == null ? [] : [options.signal])])
    try {
      await send({ ...options, signal })
    } finally {
      holder = undefined
      h.close()
      if (deferred) ledger.queueSendOperation?.()
    }
  }
}

/** Starts Bitswap serving `blockstore` on `libp2p` (which must be started). */
export async function startBitswap (libp2p: Libp2p, blockstore: Blockstore, init: BitswapInit): Promise<BitswapEngine> {
  const brokers: Broker[] = []
  const mixins: Mixin[] = []
  const host = {
    status: 'starting',
    libp2p,
    blockstore,
    logger: defaultLogger(),
    getHasher,
    // Policy: Bitswap never queries the DHT itself (it would look up every block);
    // our fetcher finds providers of the root and connects to them, and Bitswap asks connected peers
    routing: {
      async * findProviders (): AsyncGenerator<{ id: PeerId, multiaddrs: Multiaddr[] }> {}
    },
    hasBlockBroker: (name: string) => brokers.some(b => b.name === name),
    addBlockBroker: (b: Broker) => { brokers.push(b) },
    addMixin: (m: Mixin) => { mixins.push(m) }
  }
  withBitswap(host as unknown as Parameters<typeof withBitswap>[0], {
    // one send of blocks per peer at a time (the library's default; meterLedger relies on it)
    sendBlocksConcurrency: 1,
    // 4.0.19 reads `maxWantListSize`; its types spell it `maxWantlistSize`: we give both
    maxWantlistSize: BITSWAP_MAX_WANTLIST,
    ...{ maxWantListSize: BITSWAP_MAX_WANTLIST },
    messageSendTimeout: BITSWAP_SEND_TIMEOUT,
    maxInboundStreams: 32,
    maxOutboundStreams: 32
  })
  for (const m of mixins) await m.start?.(host)
  const broker = brokers.find(b => b.name === 'bitswap')
  if (broker == null) throw new Error('the Bitswap mixin did not register a block broker')
  meterLedgers(broker as unknown as BitswapInternals, init)
  return {
    want: async (cid, options) => broker.retrieve(cid, options),
    stop: async () => { await broker.stop() }
  }
}
