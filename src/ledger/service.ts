/**
 * The ledger as a node service: the chain on the node's libp2p and repo datastore, the
 * daemon's hotkey (the peer's libp2p ed25519 key) for hotkey transactions, inclusion tracking,
 * and the `/api/v0/chain/*` routes. Other services find it as `services.get(LEDGER_SERVICE)`.
 *
 * @example
 * ```ts
 * const node = await createNode({ repo, services: [ledgerService({ genesis, authority: true })] })
 * const chain = node.service<LedgerService>(LEDGER_SERVICE)
 * const { hash } = await chain.submit(chain.hotkey.sign({ chainId, signer: chain.hotkey.address, nonce, body }))
 * await chain.waitForTx(hash)
 * ```
 */
import { logger } from '@libp2p/logger'
import { ledgerRoutes } from '../api/routes/ledger.ts'
import { toAddress } from './address.ts'
import { LedgerNotRunningError, TX_ERROR_NAMES } from './errors.ts'
import { generateKeyPair } from './keys.ts'
import { Ledger } from './ledger.ts'
import { LedgerReplication } from './replication.ts'
import { decodeTxUnsafe, signTx } from './tx/codec.ts'
import { TxTracker } from './tx-tracker.ts'
import { yumaEpoch } from './yuma-adapter.ts'
import type { Genesis } from './genesis.ts'
import type { RefusalNotice } from './refusal.ts'
import type { LedgerReplicationInit } from './replication.ts'
import type { Tx } from './tx/types.ts'
import type { Route } from '../api/server.ts'
import type { NodeService, NodeServiceContext, NodeServiceFactory } from '../service.ts'
import type { AbortOptions, PrivateKey } from '@libp2p/interface'

const log = logger('agora:ledger:service')

/** The service name (`node.service(LEDGER_SERVICE)`, `ctx.services.get(LEDGER_SERVICE)`). */
export const LEDGER_SERVICE = 'ledger'

/** A transaction before signing (the library's `Tx`). */
export type UnsignedTx = Tx

/** The ledger of a running node. */
export interface LedgerService extends NodeService {
  readonly name: 'ledger'
  /** Queries (balance, stake, subnet, metagraph, neuron, uidOf, escrow, escrowsFor, getBlock, status, nextNonce); `events` fires `block`. */
  readonly ledger: Ledger
  readonly replication: LedgerReplication
  /** Submit a signed tx (wire bytes): locally on the authority, forwarded to it elsewhere. Resolves with the tx hash once accepted into the pool. */
  submit: (tx: Uint8Array, options?: AbortOptions) => Promise<{ hash: string }>
  /** Resolves with the block number that included `hash`; rejects with `TxTimeoutError` or `TxDroppedError`. */
  waitForTx: (hash: string, options?: AbortOptions & { timeoutMs?: number }) => Promise<{ block: number }>
  /** This peer's hotkey (the libp2p ed25519 key): SS58 address, public key, and a signer returning the tx's wire bytes. */
  readonly hotkey: { address: string, publicKey: Uint8Array, sign: (tx: UnsignedTx) => Uint8Array }
}

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

/** Error name → HTTP status for the ledger routes. */
export const LEDGER_ERROR_STATUS: Readonly<Record<string, number>> = {
  ...Object.fromEntries([...TX_ERROR_NAMES].map(n => [n, 400])),
  TxTimeoutError: 504,
  TxDroppedError: 409,
  TxRefusedError: 409,
  NotAuthorityError: 403,
  LedgerNotRunningError: 503,
  KeystoreError: 400,
  BodyTooLargeError: 413
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

class NodeLedger implements LedgerService {
  readonly name = 'ledger' as const
  readonly ledger: Ledger
  readonly replication: LedgerReplication
  readonly hotkey: LedgerService['hotkey']
  private readonly tracker: TxTracker
  private started = false

  constructor (ctx: NodeServiceContext, init: LedgerServiceInit) {
    const seed = hotkeySeed(ctx.node.repo.privateKey)
    const pair = generateKeyPair(seed)
    const address = toAddress(pair.publicKey)
    this.hotkey = { address, publicKey: pair.publicKey, sign: tx => signTx(tx, seed).bytes }
    if (init.authority && address !== init.genesis.authority) {
      throw new LedgerNotRunningError(`this peer's hotkey ${address} is not the genesis authority ${init.genesis.authority}`)
    }
    this.ledger = new Ledger({
      datastore: ctx.node.repo.datastore,
      genesis: init.genesis,
      epoch: yumaEpoch,
      authorityKey: init.authority ? seed : undefined,
      produceBlocks: init.authority,
      prefix: init.prefix ?? '/ledger'
    })
    this.replication = new LedgerReplication({ libp2p: ctx.node.network.libp2p, ledger: this.ledger }, init.replication)
    this.tracker = new TxTracker(this.ledger, init.waitTimeoutMs ?? Math.max(30_000, 10 * init.genesis.params.blockTimeMs))
    this.replication.events.addEventListener('tx-refused', (e) => {
      const n = (e as CustomEvent<RefusalNotice>).detail
      this.tracker.refuse(n.tx, n.error, n.message)
    })
  }

  async start (): Promise<void> {
    await this.ledger.start()
    this.tracker.start()
    try {
      await this.replication.start()
    } catch (err) {
      this.tracker.stop()
      await this.ledger.stop()
      throw err
    }
    this.started = true
    const s = this.ledger.status()
    log('chain %s at height %d, %s, hotkey %s', s.chainId, s.height, this.ledger.isAuthority ? 'authority' : 'follower', this.hotkey.address)
  }

  async stop (): Promise<void> {
    if (!this.started) return
    this.started = false
    this.tracker.stop()
    await this.replication.stop()
    await this.ledger.stop()
  }

  async submit (tx: Uint8Array, options?: AbortOptions): Promise<{ hash: string }> {
    if (!this.started) throw new LedgerNotRunningError('the ledger is not running')
    options?.signal?.throwIfAborted()
    const r = await this.replication.submit(tx)
    // accepted, so it decodes and its signature was checked
    const { stx } = decodeTxUnsafe(tx)
    this.tracker.noteSubmitted(r.hash, stx.tx.signer, stx.tx.nonce)
    return r
  }

  async waitForTx (hash: string, options?: AbortOptions & { timeoutMs?: number }): Promise<{ block: number }> {
    return this.tracker.wait(hash, options)
  }

  routes (): Route[] { return ledgerRoutes({ chain: this }) }
}

/** The ledger service factory (see `ledgerDaemonServices` for how the daemon decides on it). */
export function ledgerService (init: LedgerServiceInit): NodeServiceFactory {
  return {
    name: LEDGER_SERVICE,
    errorStatus: LEDGER_ERROR_STATUS,
    create: async (ctx) => new NodeLedger(ctx, init)
  }
}
