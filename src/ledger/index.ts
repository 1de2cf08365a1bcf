/**
 * The ledger: TAO balances, stake, subnets, neurons, emission and epochs (pre-dTAO subtensor), as a
 * state machine over signed transactions in signed, hash-chained blocks.
 *
 * @example
 * ```ts
 * const ledger = await createLedger({ datastore, genesis, authorityKey })
 * await ledger.submit(signTx({ chainId, signer, nonce: 0, body: { kind: 'transfer', to, amount: 1n } }, key))
 * const block = await ledger.produceBlock()
 * ```
 */
export { Ledger } from './ledger.ts'
export type { LedgerInit } from './ledger.ts'
export type { MetagraphRow } from './queries.ts'
export type { Block } from './block.ts'
export { decodeBlock } from './block.ts'
export { parseGenesis, genesisToJson, genesisHash, makeGenesis, devGenesis } from './genesis.ts'
export { createWallet, openWallet, listWallets } from './wallet/keystore.ts'
export type { WalletInfo } from './wallet/keystore.ts'
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
export { createLedger, startLedgerNode } from './embed.ts'
export type { CreateLedgerInit, LedgerNode, LedgerNodeInit } from './embed.ts'
export type { RefusedBlock } from './replication.ts'
export * from './errors.ts'
export { LEDGER, ledgerService, hotkeySeed, hotkeyAddress } from './service.ts'
export type { LedgerService, LedgerServiceInit, UnsignedTx } from './service.ts'
export { chainForRepo, devAccount, DEV_SEED_PHRASE } from './setup.ts'
export { decodeTxUnsafe } from './tx/codec.ts'
export { verify as verifySignature } from './keys.ts'
