import type { CommandDef } from '../command.ts'

/** The content commands. */
export const contentCommands: CommandDef[] = [
]
