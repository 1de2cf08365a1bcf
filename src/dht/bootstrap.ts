/**
 * Keeps the bootstrap peers connected. Each is dialled at start; after a failed dial, or when
 * its connection closes, it is dialled again after a back-off that doubles from `minDelay` to
 * `maxDelay` (with ±20 % jitter, so peers restarted together do not retry in step). A success
 * resets the back-off. Without this, a peer started before its bootstrap peer, or whose dial
 * was reset by the other side's inbound rate limit, stays alone until restarted.
 */
import { logger } from '@libp2p/logger'
import { multiaddr } from '@multiformats/multiaddr'
import type { Libp2p, PeerId } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

const log = logger('agora:dht:bootstrap')

/** Settings of a {@link BootstrapKeeper}. */
export interface BootstrapInit {
  /** Multiaddrs of the bootstrap peers (with `/p2p/<id>`). */
  addrs: string[]
  /** Time limit of one dial, ms. */
  dialTimeout: number
  /** First retry delay, ms. @default 1000 */
  minDelay?: number
  /** Longest retry delay, ms. @default 60000 */
  maxDelay?: number
}

interface Target {
  addr: Multiaddr
  /** Known from the `/p2p/` part, or learnt from the first successful dial. */
  peer?: string
  delay: number
  timer?: ReturnType<typeof setTimeout>
  dialling: boolean
}

/** Dials the bootstrap peers and redials them with back-off whenever they are not connected. */
export class BootstrapKeeper {
  private readonly libp2p: Libp2p
  private readonly init: Required<BootstrapInit>
  private readonly targets: Target[]
  private running = false

  constructor (libp2p: Libp2p, init: BootstrapInit) {
    this.libp2p = libp2p
    this.init = { minDelay: 1000, maxDelay: 60_000, ...init }
    this.targets = init.addrs.map(a => {
      const addr = multiaddr(a)
      return { addr, peer: addr.getComponents().findLast(c => c.name === 'p2p')?.value, delay: this.init.minDelay, dialling: false }
    })
  }

  /** Dial every bootstrap peer once (resolves when each first attempt has ended) and keep them connected. */
  async start (): Promise<void> {
    if (this.running) return
    this.running = true
    this.libp2p.addEventListener('peer:disconnect', this.onDisconnect)
    await Promise.all(this.targets.map(async t => { await this.dial(t) }))
  }

  stop (): void {
    this.running = false
    this.libp2p.removeEventListener('peer:disconnect', this.onDisconnect)
    for (const t of this.targets) clearTimeout(t.timer)
  }

  private readonly onDisconnect = (e: CustomEvent<PeerId>): void => {
    const id = e.detail.toString()
    for (const t of this.targets) if (t.peer === id) this.schedule(t)
  }

  private schedule (t: Target): void {
    if (!this.running || t.timer != null || t.dialling) return
    const wait = Math.round(t.delay * (0.8 + 0.4 * Math.random()))
    t.delay = Math.min(t.delay * 2, this.init.maxDelay)
    t.timer = setTimeout(() => {
      t.timer = undefined
      this.dial(t).catch(() => {})
    }, wait)
    t.timer.unref?.()
  }

  private async dial (t: Target): Promise<void> {
    if (!this.running || t.dialling) return
    t.dialling = true
    try {
      const conn = await this.libp2p.dial(t.addr, { signal: AbortSignal.timeout(this.init.dialTimeout) })
      t.peer ??= conn.remotePeer.toString()
      t.delay = this.init.minDelay
      log('connected to bootstrap peer %a', t.addr)
    } catch (err) {
      log.error('could not reach bootstrap peer %a, retrying in about %d ms - %e', t.addr, t.delay, err)
      t.dialling = false
      this.schedule(t)
      return
    }
    t.dialling = false
    // the connection may have closed while we were not listening for it yet
    if (t.peer != null && this.libp2p.getConnections().every(c => c.remotePeer.toString() !== t.peer)) this.schedule(t)
  }
}
