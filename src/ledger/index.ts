/**
 * The ledger: TAO balances, stake, subnets, neurons, emission and epochs (tokenomics.md), as a
 * state machine over signed transactions in signed, hash-chained blocks.
 *
 * @example
 * ```ts
 * const ledger = await createLedger({ datastore, genesis, authorityKey })
 * await ledger.submit(signTx({ chainId, signer, nonce: 0, body: { kind: 'transfer', to, amount: 1n } }, key))
 * const block = await ledger.produceBlock()
 * ```
 */
import { Ledger } from './ledger.ts'
import { yumaEpoch } from './yuma-adapter.ts'
import type { LedgerInit } from './ledger.ts'

export { Ledger } from './ledger.ts'
export type { LedgerInit } from './ledger.ts'
export type { MetagraphRow } from './queries.ts'
export type { Block } from './block.ts'
export { decodeBlock } from './block.ts'
export { parseGenesis, genesisToJson, genesisHash, makeGenesis, devGenesis } from './genesis.ts'
export { createWallet, openWallet, listWallets } from './wallet/keystore.ts'
export type { Genesis } from './genesis.ts'
export { signTx, decodeTx, MAX_TX_BYTES } from './tx/codec.ts'
export { commitHash, epochIndex } from './tx/weights.ts'
export type { TxBody } from './tx/types.ts'
export { toAddress, fromAddress, isAddress } from './address.ts'
export { generateKeyPair } from './keys.ts'
export type { KeyPair } from './keys.ts'
export { formatTao, parseTao } from './tao.ts'
export { yumaEpoch } from './yuma-adapter.ts'
export { LedgerReplication } from './replication.ts'
export { startLedgerNode } from './embed.ts'
export type { LedgerNode } from './embed.ts'
export type { RefusedBlock } from './replication.ts'
export * from './errors.ts'
export { LEDGER_SERVICE, ledgerService, hotkeySeed, hotkeyAddress } from './service.ts'
export type { LedgerService } from './service.ts'
export { chainForRepo, devAccount, DEV_SEED_PHRASE } from './setup.ts'

/** Make a `Ledger` (with Yuma as its epoch unless given another) and start it. */
export async function createLedger (init: Omit<LedgerInit, 'epoch'> & Partial<Pick<LedgerInit, 'epoch'>>): Promise<Ledger> {
  const ledger = new Ledger({ ...init, epoch: init.epoch ?? yumaEpoch })
  await ledger.start()
  return ledger
}
