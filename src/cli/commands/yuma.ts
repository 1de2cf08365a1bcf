import type { CommandDef } from '../command.ts'

/** The yuma commands. */
export const yumaCommands: CommandDef[] = [
]
