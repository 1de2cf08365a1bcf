/**
 * The ledger commands' shared options and names, apart from `ledger-client.ts` so the command
 * definitions (read for every command, `--help` too) do not load the ledger to declare them.
 */
import type { OptionDef } from './command.ts'

/** The environment variable scripts put the wallet password in. */
export const PASSWORD_ENV = 'AGORA_WALLET_PASSWORD'

/** The `--name` option naming a keystore wallet. */
export const WALLET_OPTION: Record<string, OptionDef> = {
  name: { type: 'string', description: 'wallet (coldkey) name (default: the wallet named default, else the only one there is)', valueName: '<name>' }
}

/** Options of every command that submits a transaction. */
export const TX_OPTIONS: Record<string, OptionDef> = {
  ...WALLET_OPTION,
  'no-wait': { type: 'boolean', description: 'return once the daemon accepted the transaction, without waiting for its block' }
}
