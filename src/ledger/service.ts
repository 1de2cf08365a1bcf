/**
 * The ledger as a node service: the chain on the node's libp2p and repo datastore (run through
 * `startLedgerNode`, the one assembly of a replicated chain), the daemon's hotkey (the peer's
 * libp2p ed25519 key) for hotkey transactions, and inclusion tracking. Other services find it as
 * `services.get(LEDGER)`; the API builds the `/api/v0/chain/*` routes over it.
 *
 * @example
 * ```ts
 * const node = await createNode({ repo, services: [ledgerService({ genesis, authority: true })] })
 * const chain = node.services.require(LEDGER)
 * const { hash } = await chain.submit(chain.hotkey.sign({ chainId, signer: chain.hotkey.address, nonce, body }))
 * await chain.waitForTx(hash)
 * ```
 */
import { logger } from '@libp2p/logger'
import { serviceKey } from '../service.ts'
import { toAddress } from './address.ts'
import { startLedgerNode } from './embed.ts'
import { LedgerNotRunningError } from './errors.ts'
import { generateKeyPair } from './keys.ts'
import { decodeTxUnsafe, signTx } from './tx/codec.ts'
import { TxTracker } from './tx-tracker.ts'
import type { LedgerNode } from './embed.ts'
import type { Genesis } from './genesis.ts'
import type { Ledger } from './ledger.ts'
import type { RefusalNotice } from './refusal.ts'
import type { LedgerReplication, LedgerReplicationInit } from './replication.ts'
import type { Tx } from './tx/types.ts'
import type { NodeComponents, NodeService, NodeServiceFactory } from '../service.ts'
import type { AbortOptions, PrivateKey } from '@libp2p/interface'

const log = logger('agora:ledger:service')

/** A transaction before signing (the library's `Tx`). */
export type UnsignedTx = Tx

/** The ledger of a running node. */
export interface LedgerService extends NodeService {
  readonly name: 'ledger'
  /** Queries (balance, stake, subnet, metagraph, neuron, uidOf, escrow, escrowsFor, escrowsByAgent, getBlock, status, nextNonce); `events` fires `block`. */
  readonly ledger: Ledger
  /** Whether the chain has started (`ledger` throws `LedgerNotRunningError` until then). */
  isRunning: () => boolean
  readonly replication: LedgerReplication
  /** Submit a signed tx (wire bytes): locally on the authority, forwarded to it elsewhere. Resolves with the tx hash once accepted into the pool. */
  submit: (tx: Uint8Array, options?: AbortOptions) => Promise<{ hash: string }>
  /** Resolves with the block number that included `hash`; rejects with `TxTimeoutError` or `TxDroppedError`. */
  waitForTx: (hash: string, options?: AbortOptions & { timeoutMs?: number }) => Promise<{ block: number }>
  /** This peer's hotkey (the libp2p ed25519 key): SS58 address, public key, and a signer returning the tx's wire bytes. */
  readonly hotkey: { address: string, publicKey: Uint8Array, sign: (tx: UnsignedTx) => Uint8Array }
}

/** The registry key of the ledger (`node.services.get(LEDGER)`, `services.require(LEDGER)`). */
export const LEDGER = serviceKey<LedgerService>('ledger')

/** How the ledger service is built. */
export interface LedgerServiceInit {
  genesis: Genesis
  /** This peer produces the blocks (its hotkey must be the genesis authority). */
  authority: boolean
  /** Datastore key prefix of the chain inside the repo datastore. @default '/ledger' */
  prefix?: string
  /** Replication options (catch-up interval, request timeout). */
  replication?: LedgerReplicationInit
  /** Default time `waitForTx` waits, ms. @default max(30 s, 10 blocks) */
  waitTimeoutMs?: number
}

/** The 32-byte ed25519 seed of a libp2p private key (the daemon's hotkey). */
export function hotkeySeed (key: PrivateKey): Uint8Array {
  if (key.type !== 'Ed25519') throw new LedgerNotRunningError(`the peer key is ${key.type}; the ledger needs an Ed25519 peer key as its hotkey`)
  return key.raw.subarray(0, 32)
}

/** The hotkey address (SS58) of a libp2p private key. */
export function hotkeyAddress (key: PrivateKey): string {
  return toAddress(generateKeyPair(hotkeySeed(key)).publicKey)
}

/** The components the ledger uses. */
export type LedgerComponents = Pick<NodeComponents, 'privateKey' | 'libp2p' | 'datastore'>

class NodeLedger implements LedgerService {
  readonly name = 'ledger' as const
  readonly hotkey: LedgerService['hotkey']
  readonly #components: LedgerComponents
  readonly #init: LedgerServiceInit
  readonly #authorityKey: Uint8Array | undefined
  #chain?: LedgerNode
  #tracker?: TxTracker

  constructor (components: LedgerComponents, init: LedgerServiceInit) {
    const seed = hotkeySeed(components.privateKey)
    const pair = generateKeyPair(seed)
    const address = toAddress(pair.publicKey)
    this.hotkey = { address, publicKey: pair.publicKey, sign: tx => signTx(tx, seed).bytes }
    if (init.authority && address !== init.genesis.authority) {
      throw new LedgerNotRunningError(`this peer's hotkey ${address} is not the genesis authority ${init.genesis.authority}`)
    }
    this.#components = components
    this.#init = init
    this.#authorityKey = init.authority ? seed : undefined
  }

  get ledger (): Ledger { return this.#running().ledger }
  /** Whether the chain has started (`ledger` throws `LedgerNotRunningError` until then). */
  isRunning (): boolean { return this.#chain != null }
  get replication (): LedgerReplication { return this.#running().replication }

  #running (): LedgerNode {
    if (this.#chain == null) throw new LedgerNotRunningError('the ledger is not running')
    return this.#chain
  }

  async start (): Promise<void> {
    if (this.#chain != null) return
    const init = this.#init
    const chain = await startLedgerNode({
      ...init.replication,
      libp2p: this.#components.libp2p,
      datastore: this.#components.datastore,
      genesis: init.genesis,
      authorityKey: this.#authorityKey,
      prefix: init.prefix ?? '/ledger'
    })
    const tracker = new TxTracker(chain.ledger, init.waitTimeoutMs ?? Math.max(30_000, 10 * init.genesis.params.blockTimeMs))
    chain.replication.events.addEventListener('tx-refused', (e) => {
      const n = (e as CustomEvent<RefusalNotice>).detail
      tracker.refuse(n.tx, n.error, n.message)
    })
    tracker.start()
    this.#chain = chain
    this.#tracker = tracker
    const s = chain.ledger.status()
    log('chain %s at height %d, %s, hotkey %s', s.chainId, s.height, chain.ledger.isAuthority ? 'authority' : 'follower', this.hotkey.address)
  }

  async stop (): Promise<void> {
    const chain = this.#chain
    if (chain == null) return
    this.#chain = undefined
    this.#tracker?.stop()
    this.#tracker = undefined
    await chain.stop()
  }

  async submit (tx: Uint8Array, options?: AbortOptions): Promise<{ hash: string }> {
    const chain = this.#running()
    options?.signal?.throwIfAborted()
    const r = await chain.replication.submit(tx)
    // accepted, so it decodes and its signature was checked
    const { stx } = decodeTxUnsafe(tx)
    this.#tracker?.noteSubmitted(r.hash, stx.tx.signer, stx.tx.nonce)
    return r
  }

  async waitForTx (hash: string, options?: AbortOptions & { timeoutMs?: number }): Promise<{ block: number }> {
    const tracker = this.#tracker
    if (tracker == null) throw new LedgerNotRunningError('the ledger is not running')
    return tracker.wait(hash, options)
  }
}

/** The ledger service factory (the daemon decides on it in `cli/daemon-services.ts`). */
export function ledgerService (init: LedgerServiceInit): NodeServiceFactory<LedgerService> {
  return {
    key: LEDGER,
    create: (components) => new NodeLedger(components, init)
  }
}
