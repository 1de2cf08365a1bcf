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
export type { LedgerInit, Head } from './ledger.ts'
export type { MetagraphRow } from './queries.ts'
export type { Block, BlockHeader } from './block.ts'
export { decodeBlock, BLOCK_DOMAIN } from './block.ts'
export { parseGenesis, genesisToJson, genesisHash, makeGenesis, devGenesis } from './genesis.ts'
export type { MakeGenesisOptions } from './genesis.ts'
export { createWallet, openWallet, listWallets } from './wallet/keystore.ts'
export type { KeystoreFile, WalletInfo } from './wallet/keystore.ts'
export type { Genesis, GenesisJson } from './genesis.ts'
export { signTx, decodeTx, TX_DOMAIN, MAX_TX_BYTES } from './tx/codec.ts'
export { commitHash, epochIndex } from './tx/weights.ts'
export { formatTao, parseTao } from './tao.ts'
export type { Tx, TxBody, TxKind, SignedTx } from './tx/types.ts'
export { toAddress, fromAddress, isAddress, SS58_PREFIX } from './address.ts'
export { generateKeyPair } from './keys.ts'
export type { KeyPair } from './keys.ts'
export { blockEmission, lockCost, upgradedBurn } from './math.ts'
export { DEFAULT_CHAIN_PARAMS, DEFAULT_SUBNET_PARAMS, RAO_PER_TAO, TOTAL_SUPPLY } from './params.ts'
export type { ChainParams, SubnetParams } from './params.ts'
export type { Escrow, Globals, Hotkey, Neuron, Subnet } from './records.ts'
export { MAX_ESCROW_TIMEOUT, MAX_DELIVERY_BYTES } from './tx/escrow.ts'
export { yumaEpoch } from './yuma-adapter.ts'
export { LedgerReplication, ledgerReplication, BLOCKS_PROTOCOL } from './replication.ts'
export { startLedgerNode } from './embed.ts'
export type { LedgerNode, LedgerNodeInit } from './embed.ts'
export type { LedgerReplicationComponents, LedgerReplicationInit, RefusedBlock } from './replication.ts'
export * from './errors.ts'
export { LEDGER_SERVICE, LEDGER_ERROR_STATUS, ledgerService, hotkeySeed, hotkeyAddress } from './service.ts'
export type { LedgerService, LedgerServiceInit, UnsignedTx } from './service.ts'
export { chainForRepo, devAccount, DEV_SEED_PHRASE, GENESIS_FILE } from './setup.ts'
export type { ChainChoice, RepoChain } from './setup.ts'

/** Make a `Ledger` (with Yuma as its epoch unless given another) and start it. */
export async function createLedger (init: Omit<LedgerInit, 'epoch'> & Partial<Pick<LedgerInit, 'epoch'>>): Promise<Ledger> {
  const ledger = new Ledger({ ...init, epoch: init.epoch ?? yumaEpoch })
  await ledger.start()
  return ledger
}
