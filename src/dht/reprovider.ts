/**
 * Reproviding: every `interval`, announce again each CID the daemon wants to keep findable
 * (the roots of its pins). A run that takes longer than the interval is reported as behind.
 */
import { logger } from '@libp2p/logger'
import { repeatingTask } from '@libp2p/utils'
import type { AbortOptions, Startable } from '@libp2p/interface'
import type { RepeatingTask } from '@libp2p/utils'
import type { CID } from 'multiformats/cid'

const log = logger('agora:dht:reprovide')

/** The summary of one reprovide run. */
export interface ReproviderRun {
  /** CIDs listed. */
  total: number
  /** CIDs announced to at least one peer. */
  provided: number
  /** CIDs whose announcement failed or reached no peer. */
  failed: number
  /** Duration of the run, ms. */
  duration: number
}

export interface ReproviderInit {
  /** Lists the CIDs to reprovide (DAG roots only). */
  list(options: AbortOptions): AsyncIterable<CID> | Iterable<CID>
  /** Announces one CID; resolves to the number of peers that took the record. */
  provide(cid: CID, options: AbortOptions): Promise<{ peers: number }>
  /** Time between the end of one run and the start of the next, ms. @default 12 h */
  interval?: number
  /** CIDs announced at once. @default 4 */
  concurrency?: number
  /** Time limit of one announcement, ms. @default 60000 */
  provideTimeout?: number
  /** Run once right after `start()`. @default true */
  runImmediately?: boolean
}

/** A Startable that reprovides on a schedule; listen for 'run', 'behind' and 'error'. */
export class Reprovider extends EventTarget implements Startable {
  private readonly init: ReproviderInit
  private readonly interval: number
  private task?: RepeatingTask
  private running?: Promise<void>

  constructor (init: ReproviderInit) {
    super()
    this.init = init
    this.interval = init.interval ?? 12 * 60 * 60 * 1000
  }

  isStarted (): boolean {
    return this.task != null
  }

  start (): void {
    if (this.task != null) return
    this.task = repeatingTask(async (options) => {
      this.running = this.runOnce(options)
      await this.running
    }, this.interval, { runImmediately: this.init.runImmediately ?? true })
    this.task.start()
  }

  async stop (): Promise<void> {
    this.task?.stop()
    this.task = undefined
    await this.running?.catch(() => {})
  }

  /** One run now; errors are reported as 'error' events, never thrown. */
  async runOnce (options: AbortOptions = {}): Promise<void> {
    const started = Date.now()
    const run = { total: 0, provided: 0, failed: 0, duration: 0 }
    const inFlight = new Set<Promise<void>>()
    const one = async (cid: CID): Promise<void> => {
      try {
        const signal = AbortSignal.any([AbortSignal.timeout(this.init.provideTimeout ?? 60_000), ...(options.signal == null ? [] : [options.signal])])
        const { peers } = await this.init.provide(cid, { signal })
        if (peers > 0) run.provided++
        else run.failed++
      } catch (err) {
        run.failed++
        log('reprovide %c failed - %e', cid, err)
      }
    }
    try {
      for await (const cid of this.init.list(options)) {
        if (options.signal?.aborted === true) break
        run.total++
        const p = one(cid).finally(() => inFlight.delete(p))
        inFlight.add(p)
        if (inFlight.size >= (this.init.concurrency ?? 4)) await Promise.race(inFlight)
      }
    } catch (err: any) {
      log.error('listing CIDs to reprovide failed - %e', err)
      this.dispatchEvent(new CustomEvent('error', { detail: err }))
    }
    await Promise.all(inFlight)
    run.duration = Date.now() - started
    log('reprovided %d of %d CIDs in %d ms', run.provided, run.total, run.duration)
    this.dispatchEvent(new CustomEvent('run', { detail: run }))
    if (run.duration > this.interval) {
      log.error('reprovide run took %d ms, longer than its interval of %d ms', run.duration, this.interval)
      this.dispatchEvent(new CustomEvent('behind', { detail: { ...run, interval: this.interval } }))
    }
  }
}

/** Factory in the libp2p style. */
export function reprovider (init: ReproviderInit): Reprovider {
  return new Reprovider(init)
}
