/**
 * Real libp2p peers on 127.0.0.1 with ledger replication, for the replication tests: each
 * peer and replication is stopped by `cleanUp()` (call it in `afterEach`), last made first.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { MemoryBlockstore } from 'blockstore-core'
import { MemoryDatastore } from 'datastore-core'
import { LedgerReplication } from '../../src/ledger/index.ts'
import { createNetwork } from '../../src/dht/index.ts'
import type { Ledger } from '../../src/ledger/index.ts'
import type { Network } from '../../src/dht/index.ts'

const cleanup: Array<() => Promise<void>> = []

/** Stops everything made since the last call, in reverse order. */
export async function cleanUp (): Promise<void> {
  for (const f of cleanup.splice(0).reverse()) await f()
}

/** Runs `f` at the next {@link cleanUp}. */
export function onCleanUp (f: () => Promise<void>): void {
  cleanup.push(f)
}

/** A started peer with a 'lan' address scope and no Bitswap. */
export async function peer (): Promise<Network> {
  const net = await createNetwork({ privateKey: await generateKeyPair('Ed25519'), blockstore: new MemoryBlockstore(), datastore: new MemoryDatastore(), bitswap: false, network: 'lan' })
  cleanup.push(async () => net.stop())
  return net
}

/** Replicates `ledger` over `net`, catching up every 300 ms; stops both at clean-up. */
export async function replicate (net: Network, ledger: Ledger): Promise<LedgerReplication> {
  const r = new LedgerReplication({ libp2p: net.libp2p, ledger }, { catchUpIntervalMs: 300 })
  await r.start()
  cleanup.push(async () => { await r.stop(); await ledger.stop() })
  return r
}
