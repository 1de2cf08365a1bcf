/**
 * How much of the network one gateway request may use: a budget of bytes fetched (counted as
 * they arrive, never from the sizes a DAG claims), a lazy block reader that fetches only the
 * blocks a read touches, and a whole-DAG fetch that stops at the budget.
 */
import { CODECS, getBlock, links } from '../../store/index.ts'
import { FetchLimitExceededError, NotHeldLocallyError } from '../errors.ts'
import type { AgoraNode, ProviderHint } from '../../node.ts'
import type { BlockReader } from '../../store/index.ts'
import type { AbortOptions } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'

/** Bytes one request has fetched from the network, against its cap. */
export class FetchBudget {
  readonly max: number
  #spent = 0

  constructor (max: number) {
    this.max = max
  }

  /** Bytes fetched so far. */
  get spent (): number { return this.#spent }

  /** Throws `FetchLimitExceededError` once the cap has been passed. */
  check (): void {
    if (this.#spent > this.max) {
      throw new FetchLimitExceededError(`this request fetched ${this.#spent} bytes from the network, over the gateway's limit of ${this.max} (config gateway.maxFetchBytes)`)
    }
  }

  /** Count `n` bytes that arrived; throws `FetchLimitExceededError` past the cap. */
  spend (n: number): void {
    this.#spent += n
    this.check()
  }
}

/** Why a request may read local blocks only. */
export type LocalReason = 'cross-site' | 'local-only'

/** The error for a block (or DAG) that is not in the repo and may not be fetched. */
export function notHeldLocally (what: string, reason: LocalReason, cause?: unknown): NotHeldLocallyError {
  const why = reason === 'cross-site'
    ? 'the request came from another site, and the gateway fetches from the network only for requests of its own origin (open the URL directly)'
    : 'this gateway serves local content only (config gateway.localOnly)'
  return new NotHeldLocallyError(`${what} is not held locally: ${why}`, { cause })
}

/**
 * The repo's blocks only; a missing one is a `NotHeldLocallyError`. Policy: used for every
 * cross-site request and with `gateway.localOnly`, so such a request never reaches the network.
 */
export function localOnlyReader (node: AgoraNode, reason: LocalReason): BlockReader {
  const local = node.store.local
  return {
    get: async function * (cid, options) {
      try {
        yield await getBlock(local, cid, options)
      } catch (err) {
        if ((err as Error).name === 'BlockNotFoundError') throw notHeldLocally(`block ${cid.toString()}`, reason, err)
        throw err
      }
    }
  }
}

/**
 * Local blocks, and missing ones fetched from the root's providers (verified and stored by the
 * node) one at a time as the read asks for them, each counted against `budget`.
 */
export function budgetedReader (node: AgoraNode, root: CID, budget: FetchBudget, providers: ProviderHint, options: AbortOptions = {}): BlockReader {
  const bs = node.repo.blockstore
  const local = node.store.local
  const network = node.blocks({ signal: options.signal, root }, providers)
  return {
    get: async function * (cid, o) {
      // an identity CID is "held" by the repo's blockstore (it answers from the CID): never fetched nor counted
      if (await bs.has(cid, o)) {
        yield * local.get(cid, o)
        return
      }
      budget.check()
      const bytes = await getBlock(network, cid, { signal: o?.signal ?? options.signal })
      budget.spend(bytes.byteLength)
      yield bytes
    }
  }
}

/** Whether every block of the DAG under `cid` is in the repo; reads only its inner (linking) nodes. */
export async function isLocal (node: AgoraNode, cid: CID, options: AbortOptions = {}): Promise<boolean> {
  const bs = node.repo.blockstore
  const seen = new Set<string>()
  const stack: CID[] = [cid]
  while (stack.length > 0) {
    options.signal?.throwIfAborted()
    const c = stack.pop() as CID
    const key = c.toString()
    if (seen.has(key)) continue
    seen.add(key)
    if (!await bs.has(c, options)) return false
    if (c.code !== CODECS.dagPb && c.code !== CODECS.dagCbor) continue
    for (const l of links(c, await getBlock(node.store.local, c, options))) stack.push(l)
  }
  return true
}

/**
 * Make the DAG under `target` (reached from `root` by a path already resolved) local, in one
 * parallel fetch, stopping with `FetchLimitExceededError` as soon as the bytes that arrived
 * pass the budget: the fetch is aborted, not left running. Nothing is asked of the network
 * when the DAG is already local.
 */
export async function fetchWithin (node: AgoraNode, root: CID, target: CID, budget: FetchBudget, roots: ProviderHint, options: AbortOptions = {}): Promise<void> {
  if (!node.online || await isLocal(node, target, options)) return
  const providers = target.equals(root) ? [] : await roots.get()
  const over = new AbortController()
  let exceeded: Error | undefined
  const signal = options.signal != null ? AbortSignal.any([options.signal, over.signal]) : over.signal
  try {
    await node.fetch(target, {
      signal,
      providers,
      onProgress: (e) => {
        if (e.type !== 'agora:fetch:block' || exceeded != null) return
        try {
          budget.spend(e.bytes)
        } catch (err) {
          exceeded = err as Error
          over.abort(err)
        }
      }
    })
  } catch (err) {
    throw exceeded ?? err
  }
  if (exceeded != null) throw exceeded
}
