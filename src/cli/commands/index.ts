import { contentCommands } from './content.ts'
import { incentivesCommands } from './incentives.ts'
import { ledgerCommands } from './ledger.ts'
import { marketCommands } from './market.ts'
import { yumaCommands } from './yuma.ts'
import type { CommandDef } from '../command.ts'

/** Every top-level command, in the order `agora --help` lists them. */
export const commands: CommandDef[] = [
  ...contentCommands,
  ...marketCommands,
  ...ledgerCommands,
  ...incentivesCommands,
  ...yumaCommands
]
