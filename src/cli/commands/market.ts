import type { CommandDef } from '../command.ts'

/** The market commands. */
export const marketCommands: CommandDef[] = [
]
