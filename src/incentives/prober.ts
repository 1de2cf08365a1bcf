/**
 * The network prober: one retrieval probe of a byte range of a file from ONE named miner,
 * over the buyers' protocol `/agora/fetch/1.0.0` and its messages (a buyer's WANT, the
 * miner's BLOCK / DONT_HAVE). It walks the file's UnixFS DAG level by level and asks only for
 * the blocks that hold range bytes, hashes every block against its CID, and stores nothing.
 *
 * Result codes (see probe-result.ts):
 * - provider set (DHT findProviders) found other providers but not this miner → NOT_ADVERTISED
 * - the miner cannot be dialled → DIAL_FAILED; it does not speak the protocol → PROTOCOL_UNSUPPORTED
 * - it answers DONT_HAVE for a block of the file → RANGE_UNSATISFIABLE
 * - a block does not hash to its CID → CONTENT_VERIFICATION_FAILED
 * - it closes, resets, or breaks the protocol (answers out of order, oversized message) → REFUSED
 * - nothing arrives for `noProgressMs` → TIMEOUT_NO_PROGRESS; the whole range is not in within
 *   `maxDurationMs` (probeDeadlines) → TIMEOUT_MAX_DURATION
 * - our own network is not running, the listed content is not a file, the task is wrong → VALIDATOR_SIDE_ERROR
 */
import { logger } from '@libp2p/logger'
import { peerIdFromString } from '@libp2p/peer-id'
import { byteStream } from '@libp2p/utils'
import { CID } from 'multiformats/cid'
import { verifyBlock } from '../dht/index.ts'
import { DEFAULT_MAX_BLOCK_SIZE, FETCH_PROTOCOL } from '../dht/index.ts'
import { sendFrame } from '../dht/index.ts'
import { BLOCK, decodeResponse, encodeWant, FrameReader } from '../dht/index.ts'
import { DEFAULT_PROBE_LIMITS, probeDeadlines, ResultCode, transferThroughput } from './probe-result.ts'
import { rangeStep } from './range-walk.ts'
import type { ProbeLimits, ProbeResult, ProbeResultCode } from './probe-result.ts'
import type { RangeBlock } from './range-walk.ts'
import type { ProbeTask } from './tasks.ts'
import type { Prober } from './validator-types.ts'
import type { AbortOptions, Libp2p, PeerId, PeerInfo, Stream } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

const log = logger('agora:incentives:probe')

/** What the prober needs from the network (`Network` from src/dht has all three). */
export interface NetworkProberComponents {
  /** The node's own peer: provider lookups, known addresses, and dials when there is no probe peer. */
  libp2p: Libp2p
  findProviders: (cid: CID, options?: AbortOptions) => AsyncIterable<PeerInfo>
  /**
   * A dial-only peer with a fresh key (`Network.createProbePeer`). Given, every round's probes
   * go out from a new one, so a miner sees them come from a peer id it has never seen, as a
   * buyer's would, never from the validator's hotkey (public in the metagraph).
   */
  createProbePeer?: () => Promise<Libp2p>
}

/** Options of the prober. */
export interface NetworkProberInit {
  /** Time limits. @default DEFAULT_PROBE_LIMITS */
  limits?: ProbeLimits
  /** Recorded as `clientVersion`. @default 'agora/0.1.0' */
  clientVersion?: string
  /** Look the miner up in the file's DHT provider set first. @default true */
  checkProviders?: boolean
  /** Time limit of that lookup, ms. @default 5000 */
  lookupTimeoutMs?: number
  /** Time limit of dialling the miner, ms. @default 10_000 */
  dialTimeoutMs?: number
  /** CIDs per WANT message. @default 8 */
  window?: number
  /** How long a file's provider set found by one probe serves the next ones, ms (0: never). @default 30_000 */
  providerCacheMs?: number
}

type Draft = Omit<ProbeResult, 'resultCode'>
const done = (p: Draft, code: ProbeResultCode): ProbeResult => ({ ...p, resultCode: code })

/** A probe ended early with this code (internal control flow). */
class ProbeEnd extends Error {
  readonly code: ProbeResultCode
  constructor (code: ProbeResultCode, message: string) { super(message); this.code = code }
}

/** Probes miners over the network. Never throws for anything but `options.signal` aborting. */
export class NetworkProber implements Prober {
  readonly #c: NetworkProberComponents
  readonly #init: NetworkProberInit
  readonly #sets = new Map<string, { at: number, set: Promise<Map<string, Multiaddr[]>> }>()
  /** This round's probe peer. */
  #peer?: { round: number, node: Promise<Libp2p> }

  constructor (components: NetworkProberComponents, init: NetworkProberInit = {}) {
    this.#c = components
    this.#init = init
  }

  async probe (task: ProbeTask, ctx: { round: number, validatorHotkey: Uint8Array }, options?: AbortOptions): Promise<ProbeResult> {
    const p: Draft = {
      round: ctx.round,
      validatorHotkey: ctx.validatorHotkey,
      minerHotkey: task.minerHotkey,
      minerPeerId: task.minerPeerId,
      listingCid: task.listingCid,
      fileCid: task.fileCid,
      rangeStart: task.rangeStart,
      rangeLen: task.rangeLen,
      protocol: FETCH_PROTOCOL,
      clientVersion: this.#init.clientVersion ?? 'agora/0.1.0',
      startedAt: Date.now(),
      dhtLookupMs: null,
      minerInProviderSet: null,
      dialMs: null,
      relayed: null,
      ttfbMs: null,
      ttlbMs: null,
      bytes: 0,
      throughputBps: null,
      verify: null,
      proof: null
    }
    let peer: PeerId
    let cid: CID
    try {
      peer = peerIdFromString(task.minerPeerId)
      cid = CID.parse(task.fileCid)
    } catch (err) {
      log.error('task names a bad peer id or CID - %e', err)
      return done(p, ResultCode.VALIDATOR_SIDE_ERROR)
    }
    // Policy: our own network down is our failure, never the miner's.
    if (this.#c.libp2p.status !== 'started') return done(p, ResultCode.VALIDATOR_SIDE_ERROR)
    if (this.#init.checkProviders !== false) {
      const code = await this.#lookup(p, cid, peer, options)
      if (code != null) return done(p, code)
    }
    return this.#transfer(p, cid, peer, options)
  }

  /**
   * Fills `dhtLookupMs` and `minerInProviderSet`; returns NOT_ADVERTISED when others provide
   * the file but the miner does not.
   *
   * Policy: a lookup that fails or finds nobody at all says more about our DHT than about the
   * miner, so it records `null` and the probe goes on; only a provider set that has others but
   * not this miner counts as NOT_ADVERTISED. A provider set found by a recent lookup of the same
   * file (a round probes each file at several miners) answers for a miner it contains; a miner
   * missing from it gets a fresh lookup of its own before it is counted as not advertised.
   */
  async #lookup (p: Draft, cid: CID, peer: PeerId, options?: AbortOptions): Promise<ProbeResultCode | undefined> {
    const t0 = performance.now()
    const cached = await this.#cachedSet(cid, options)
    const hit = cached?.get(peer.toString())
    const found = hit != null ? { addrs: hit, others: cached!.size - 1 } : await this.#lookupOne(cid, peer, options)
    p.dhtLookupMs = Math.round(performance.now() - t0)
    if (found.addrs != null) {
      p.minerInProviderSet = true
      if (found.addrs.length > 0) await this.#c.libp2p.peerStore.merge(peer, { multiaddrs: found.addrs })
      return undefined
    }
    if (found.others > 0) {
      p.minerInProviderSet = false
      return ResultCode.NOT_ADVERTISED
    }
    return undefined
  }

  /** The whole provider set of `cid` from a lookup at most `providerCacheMs` old (shared by concurrent probes). */
  async #cachedSet (cid: CID, options?: AbortOptions): Promise<Map<string, Multiaddr[]> | undefined> {
    const ttl = this.#init.providerCacheMs ?? 30_000
    if (ttl <= 0) return undefined
    const now = Date.now()
    const key = cid.toString()
    let entry = this.#sets.get(key)
    if (entry == null || now - entry.at > ttl) {
      for (const [k, e] of this.#sets) if (now - e.at > ttl) this.#sets.delete(k)
      const set = (async () => {
        const out = new Map<string, Multiaddr[]>()
        try {
          for await (const info of this.#c.findProviders(cid, { signal: AbortSignal.timeout(this.#init.lookupTimeoutMs ?? 5000) })) out.set(info.id.toString(), info.multiaddrs)
        } catch (err) {
          log('provider set lookup of %c ended - %e', cid, err)
        }
        return out
      })()
      entry = { at: now, set }
      this.#sets.set(key, entry)
    }
    options?.signal?.throwIfAborted()
    return entry.set
  }

  /** Looks for one miner in the provider set of `cid`, stopping as soon as it is found. */
  async #lookupOne (cid: CID, peer: PeerId, options?: AbortOptions): Promise<{ addrs?: Multiaddr[], others: number }> {
    const signal = AbortSignal.any([AbortSignal.timeout(this.#init.lookupTimeoutMs ?? 5000), ...(options?.signal != null ? [options.signal] : [])])
    let others = 0
    try {
      for await (const info of this.#c.findProviders(cid, { signal })) {
        if (info.id.equals(peer)) return { addrs: info.multiaddrs, others }
        others++
      }
    } catch (err) {
      options?.signal?.throwIfAborted()
      log('provider lookup of %c ended - %e', cid, err)
    }
    return { others }
  }

  /** Stops this round's probe peer. */
  async stop (): Promise<void> {
    const peer = this.#peer
    this.#peer = undefined
    await peer?.node.then(async n => n.stop(), () => {})
  }

  /**
   * The peer this round's probes dial from: a fresh probe peer per round (the last round's is
   * stopped; rounds run one after another), or our own without `createProbePeer`.
   */
  async #dialer (round: number): Promise<Libp2p> {
    if (this.#c.createProbePeer == null) return this.#c.libp2p
    if (this.#peer?.round !== round) {
      const old = this.#peer
      const node = this.#c.createProbePeer()
      this.#peer = { round, node }
      node.catch(err => {
        log.error('no probe peer for round %d - %e', round, err)
        if (this.#peer?.node === node) this.#peer = undefined
      })
      old?.node.then(async n => n.stop(), () => {}).catch(err => { log('stopping a probe peer failed - %e', err) })
    }
    return this.#peer.node
  }

  /** How `dialer` reaches `peer`: by id from our own peer; from a probe peer, at the addresses we know. */
  async #dialTarget (dialer: Libp2p, peer: PeerId, options?: AbortOptions): Promise<PeerId | Multiaddr[]> {
    if (dialer === this.#c.libp2p || dialer.getConnections(peer).length > 0) return peer
    let addrs = (await this.#c.libp2p.peerStore.get(peer).catch(() => undefined))?.addresses.map(a => a.multiaddr) ?? []
    if (addrs.length === 0) addrs = (await this.#c.libp2p.peerRouting.findPeer(peer, { signal: withTimeout(this.#init.lookupTimeoutMs ?? 5000, options) }).catch(() => undefined))?.multiaddrs ?? []
    return addrs.map(a => a.getComponents().some(c => c.name === 'p2p') ? a : a.encapsulate(`/p2p/${peer.toString()}`))
  }

  async #transfer (p: Draft, root: CID, peer: PeerId, options?: AbortOptions): Promise<ProbeResult> {
    let libp2p: Libp2p
    try {
      libp2p = await this.#dialer(p.round)
    } catch {
      return done(p, ResultCode.VALIDATOR_SIDE_ERROR)
    }
    const connected = libp2p.getConnections(peer).length > 0
    const t0 = performance.now()
    let stream: Stream
    try {
      const target = await this.#dialTarget(libp2p, peer, options)
      if (Array.isArray(target) && target.length === 0) throw new Error(`no address known for ${peer.toString()}`)
      const conn = await libp2p.dial(target, { signal: withTimeout(this.#init.dialTimeoutMs ?? 10_000, options) })
      p.dialMs = connected ? 0 : Math.round(performance.now() - t0)
      p.relayed = conn.limits != null || conn.remoteAddr.toString().includes('/p2p-circuit')
      try {
        stream = await conn.newStream(FETCH_PROTOCOL, { signal: withTimeout(this.#init.dialTimeoutMs ?? 10_000, options) })
      } catch (err: any) {
        options?.signal?.throwIfAborted()
        return done(p, err?.name === 'UnsupportedProtocolError' ? ResultCode.PROTOCOL_UNSUPPORTED : ResultCode.REFUSED)
      }
    } catch (err) {
      options?.signal?.throwIfAborted()
      log('dial %p failed - %e', peer, err)
      return done(p, ResultCode.DIAL_FAILED)
    }
    const { noProgressMs, maxDurationMs } = probeDeadlines(p.rangeLen, this.#init.limits ?? DEFAULT_PROBE_LIMITS)
    const deadline = new AbortController()
    const timer = setTimeout(() => { deadline.abort(new ProbeEnd(ResultCode.TIMEOUT_MAX_DURATION, `range not in within ${maxDurationMs} ms`)) }, maxDurationMs)
    const signal = AbortSignal.any([deadline.signal, ...(options?.signal != null ? [options.signal] : [])])
    const clock = { start: performance.now(), first: -1, last: -1 }
    let code: ProbeResultCode = ResultCode.OK
    try {
      await this.#walk(p, stream, root, noProgressMs, clock, signal)
      p.verify = true
      if (p.bytes !== p.rangeLen) throw new ProbeEnd(ResultCode.VALIDATOR_SIDE_ERROR, `the file holds ${p.bytes} of the ${p.rangeLen} range bytes asked (listing size wrong)`)
      await stream.close({ signal: AbortSignal.timeout(1000) }).catch(() => { stream.abort(new Error('probe done')) })
    } catch (err: any) {
      options?.signal?.throwIfAborted()
      code = classify(err, deadline.signal)
      if (code === ResultCode.CONTENT_VERIFICATION_FAILED) p.verify = false
      log('probe of %p for %s ended %s - %e', peer, p.fileCid, code, err)
      stream.abort(err instanceof Error ? err : new Error(String(err)))
    } finally {
      clearTimeout(timer)
    }
    if (clock.first >= 0) {
      p.ttfbMs = Math.round(clock.first - clock.start)
      p.ttlbMs = Math.max(p.ttfbMs, Math.round(clock.last - clock.start))
    }
    p.throughputBps = transferThroughput(p.bytes, p.ttfbMs, p.ttlbMs)
    return done(p, code)
  }

  /** Asks for the range's blocks level by level, verifying each; adds range bytes to `p.bytes`. */
  async #walk (p: Draft, stream: Stream, root: CID, noProgressMs: number, clock: { first: number, last: number }, signal: AbortSignal): Promise<void> {
    const bytes = byteStream(stream, { maxBufferSize: 4 * (DEFAULT_MAX_BLOCK_SIZE + 256) })
    const timed = {
      read: async (o?: AbortOptions) => {
        const chunk = await bytes.read(o)
        if (chunk != null) {
          const now = performance.now()
          if (clock.first < 0) clock.first = now
          clock.last = now
        }
        return chunk
      }
    }
    const reader = new FrameReader(timed, DEFAULT_MAX_BLOCK_SIZE + 256)
    const window = Math.max(1, this.#init.window ?? 8)
    let level: RangeBlock[] = [{ cid: root, offset: 0 }]
    while (level.length > 0) {
      const next: RangeBlock[] = []
      for (let i = 0; i < level.length; i += window) {
        const batch = level.slice(i, i + window)
        await sendFrame(stream, encodeWant(batch.map(b => b.cid)), noProgressMs)
        for (const want of batch) {
          const body = await reader.next(noProgressMs, { signal })
          if (body == null) throw new ProbeEnd(ResultCode.REFUSED, 'the miner closed the stream before answering')
          const answer = decodeResponse(body)
          if (!answer.cid.equals(want.cid)) throw new ProbeEnd(ResultCode.REFUSED, `answer for ${answer.cid}, expected ${want.cid}`)
          if (answer.type !== BLOCK) throw new ProbeEnd(ResultCode.RANGE_UNSATISFIABLE, `the miner does not have ${want.cid}`)
          const data = answer.bytes.subarray()
          try {
            verifyBlock(want.cid, data)
          } catch (err) {
            throw new ProbeEnd(ResultCode.CONTENT_VERIFICATION_FAILED, `block ${want.cid} does not match its CID: ${(err as Error).message}`)
          }
          const step = rangeStep(want.cid, data, want.offset, p.rangeStart, p.rangeLen)
          p.bytes += step.bytes
          next.push(...step.children)
        }
      }
      level = next
    }
  }
}

/** The result code of a transfer that ended with `err`. */
function classify (err: any, deadline: AbortSignal): ProbeResultCode {
  if (err instanceof ProbeEnd) return err.code
  if (deadline.aborted && deadline.reason instanceof ProbeEnd) return deadline.reason.code
  switch (err?.name) {
    case 'StreamStalledError': return ResultCode.TIMEOUT_NO_PROGRESS
    case 'InvalidTaskInputError': return ResultCode.VALIDATOR_SIDE_ERROR
    default: return ResultCode.REFUSED
  }
}

function withTimeout (ms: number, options?: AbortOptions): AbortSignal {
  return AbortSignal.any([AbortSignal.timeout(ms), ...(options?.signal != null ? [options.signal] : [])])
}

/** Factory in the libp2p style: `networkProber(init)(components)`. */
export function networkProber (init: NetworkProberInit = {}): (components: NetworkProberComponents) => NetworkProber {
  return (components) => new NetworkProber(components, init)
}
