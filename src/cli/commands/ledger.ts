import type { CommandDef } from '../command.ts'

/** The ledger commands. */
export const ledgerCommands: CommandDef[] = [
]
