/**
 * Announcing pinned roots on the DHT: provide now, remember the roots whose announcement
 * reached no peer and announce them again as soon as a peer connects (not at the next
 * reprovide round, 12 h later), and withdraw a root when it is unpinned.
 */
import { logger } from '@libp2p/logger'
import type { Network } from './dht/index.ts'
import type { AbortOptions } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'

const log = logger('agora:announcer')

/** Time limit of one announcement without a caller signal, ms. */
const ANNOUNCE_TIMEOUT = 30_000
/** Wait after a peer connects before announcing again: identify and the routing table take it in first. */
const RETRY_DELAY = 1000

/** Provides roots on a network and keeps trying for those that reached no peer. */
export class Announcer {
  readonly #network: Network
  /** Roots whose last announcement reached no peer. */
  readonly #pending = new Map<string, CID>()
  #timer?: ReturnType<typeof setTimeout>
  readonly #onConnect = (): void => { this.#schedule() }

  constructor (network: Network) {
    this.#network = network
    network.libp2p.addEventListener('peer:connect', this.#onConnect)
  }

  /** Provide `cid`; returns how many peers took the record (0: retried when a peer connects). */
  async announce (cid: CID, options: AbortOptions = {}): Promise<{ peers: number }> {
    const r = await this.#network.provide(cid, { signal: options.signal ?? AbortSignal.timeout(ANNOUNCE_TIMEOUT) })
    if (r.peers === 0) this.#pending.set(cid.toString(), cid)
    else this.#pending.delete(cid.toString())
    return r
  }

  /** Like {@link announce}, but a failure is logged (the reprovider retries) and counts as 0 peers. */
  async tryAnnounce (cid: CID, options: AbortOptions = {}): Promise<number> {
    try {
      return (await this.announce(cid, options)).peers
    } catch (err) {
      log.error('provide %c failed, the reprovider will retry - %e', cid, err)
      return 0
    }
  }

  /** Stop announcing `cid`: no retry, no reprovide by the DHT (records on other peers expire). */
  async withdraw (cid: CID, options?: AbortOptions): Promise<void> {
    this.#pending.delete(cid.toString())
    await this.#network.unprovide(cid, options)
  }

  stop (): void {
    clearTimeout(this.#timer)
    this.#network.libp2p.removeEventListener('peer:connect', this.#onConnect)
  }

  #schedule (): void {
    if (this.#pending.size === 0 || this.#timer != null) return
    this.#timer = setTimeout(() => {
      this.#timer = undefined
      for (const cid of [...this.#pending.values()]) {
        this.announce(cid).catch(err => { log('retrying provide of %c failed - %e', cid, err) })
      }
    }, RETRY_DELAY)
  }
}
