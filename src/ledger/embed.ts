/**
 * The one way a ledger is assembled. `createLedger` builds and starts a `Ledger` (Yuma as its
 * epoch unless given another); `startLedgerNode` embeds one in a peer: the chain on the peer's
 * datastore (through `createLedger`), replicated over the peer's libp2p, and (on the authority)
 * producing blocks on a timer. The ledger service runs its chain through `startLedgerNode` and
 * adds the hotkey and inclusion tracking; tests and benches without a network call
 * `createLedger`.
 *
 * @example
 * ```ts
 * // in the daemon, with the peer's libp2p (which has `pubsub`) and its datastore:
 * const chain = await startLedgerNode({ libp2p, datastore, genesis: parseGenesis(json), authorityKey: hotkeySeed })
 * await chain.replication.submit(txBytes)
 * await chain.stop()
 * ```
 */
import { Ledger } from './ledger.ts'
import { LedgerReplication } from './replication.ts'
import { yumaEpoch } from './yuma-adapter.ts'
import type { Genesis } from './genesis.ts'
import type { LedgerInit } from './ledger.ts'
import type { LedgerReplicationInit } from './replication.ts'
import type { GossipSub } from '@libp2p/gossipsub'
import type { Libp2p } from '@libp2p/interface'
import type { Datastore } from 'interface-datastore'

/** What `createLedger` needs: a `LedgerInit` whose epoch defaults to Yuma. */
export type CreateLedgerInit = Omit<LedgerInit, 'epoch'> & Partial<Pick<LedgerInit, 'epoch'>>

/** Make a `Ledger` (with Yuma as its epoch unless given another) and start it. */
export async function createLedger (init: CreateLedgerInit): Promise<Ledger> {
  const ledger = new Ledger({ ...init, epoch: init.epoch ?? yumaEpoch })
  await ledger.start()
  return ledger
}

/** What `startLedgerNode` needs. */
export interface LedgerNodeInit extends LedgerReplicationInit {
  libp2p: Libp2p<{ pubsub: GossipSub }>
  /** The peer's datastore (open); the chain lives under `prefix`. */
  datastore: Datastore
  genesis: Genesis
  /**
   * The 32-byte ed25519 seed of the genesis authority, on the authority peer only (for a
   * libp2p Ed25519 `PrivateKey`, `key.raw.subarray(0, 32)`). @default undefined (follower)
   */
  authorityKey?: Uint8Array
  /** Datastore key prefix. @default '/ledger' */
  prefix?: string
}

/** A running chain: the ledger and its replication. */
export interface LedgerNode {
  ledger: Ledger
  replication: LedgerReplication
  stop: () => Promise<void>
}

/** Open the chain, start replication and, on the authority, block production. */
export async function startLedgerNode (init: LedgerNodeInit): Promise<LedgerNode> {
  const ledger = await createLedger({
    datastore: init.datastore,
    genesis: init.genesis,
    authorityKey: init.authorityKey,
    produceBlocks: init.authorityKey != null,
    prefix: init.prefix
  })
  const replication = new LedgerReplication({ libp2p: init.libp2p, ledger }, init)
  try {
    await replication.start()
  } catch (err) {
    await ledger.stop()
    throw err
  }
  let stopping: Promise<void> | undefined
  const stop = async (): Promise<void> => {
    stopping ??= (async () => { await replication.stop(); await ledger.stop() })()
    return stopping
  }
  return { ledger, replication, stop }
}
