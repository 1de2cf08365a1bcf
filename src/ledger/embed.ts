/**
 * Embedding the ledger in a peer: one call that opens the chain on the peer's datastore,
 * replicates it over the peer's libp2p, and (on the authority) produces blocks on a timer.
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
import type { LedgerReplicationInit } from './replication.ts'
import type { GossipSub } from '@libp2p/gossipsub'
import type { Libp2p } from '@libp2p/interface'
import type { Datastore } from 'interface-datastore'

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
  const ledger = new Ledger({
    datastore: init.datastore,
    genesis: init.genesis,
    epoch: yumaEpoch,
    authorityKey: init.authorityKey,
    produceBlocks: init.authorityKey != null,
    prefix: init.prefix
  })
  await ledger.start()
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
