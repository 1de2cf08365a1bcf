/**
 * Commands are data: each one declares its options and positionals and a `run` function, so the
 * whole CLI can be driven from tests through `main(rawArgs, io)`.
 *
 * Policy (empty results, as Kubo's commands do): a command that lists things and finds none
 * prints nothing on stdout (`--json`: an empty list) and exits 0; where a next step helps, a
 * one-line hint goes to stderr. Exit 1 means the command failed, 2 that it was used wrongly.
 */
import { safeJson } from './safe-text.ts'
import type { CliIo } from './io.ts'

/** One option, in the shape `node:util` `parseArgs` takes, plus help text. */
export interface OptionDef {
  type: 'string' | 'boolean'
  short?: string
  multiple?: boolean
  default?: string | boolean
  description: string
  /** Placeholder shown in help, e.g. `<path>`. */
  valueName?: string
}

/** One positional argument. */
export interface PositionalDef {
  name: string
  description: string
  required?: boolean
  /** Takes all remaining positionals. */
  variadic?: boolean
}

/** What a command's `run` receives. */
export interface CommandContext {
  args: Record<string, string | boolean | string[] | undefined>
  positionals: string[]
  io: CliIo
  /** The full command path, e.g. `['pin', 'add']`. */
  path: string[]
}

export interface CommandDef {
  name: string
  description: string
  options?: Record<string, OptionDef>
  positionals?: PositionalDef[]
  subCommands?: CommandDef[]
  /** Returns the exit code (0 if nothing is returned). */
  run?: (ctx: CommandContext) => Promise<number | undefined | void>
}

/** Identity helper that gives a command literal its type. */
export function defineCommand (def: CommandDef): CommandDef {
  return def
}

/** Options every command accepts. */
export const GLOBAL_OPTIONS: Record<string, OptionDef> = {
  repo: { type: 'string', description: 'repo directory (default $AGORA_REPO or ~/.agora)', valueName: '<dir>' },
  json: { type: 'boolean', description: 'print machine-readable JSON' },
  help: { type: 'boolean', short: 'h', description: 'show help' }
}

/** Read a string option, or undefined. */
export function str (ctx: CommandContext, name: string): string | undefined {
  const v = ctx.args[name]
  return typeof v === 'string' ? v : undefined
}

/** Read a boolean option. */
export function flag (ctx: CommandContext, name: string): boolean {
  return ctx.args[name] === true
}

/** Read a repeated string option. */
export function list (ctx: CommandContext, name: string): string[] {
  const v = ctx.args[name]
  if (Array.isArray(v)) return v
  return typeof v === 'string' ? [v] : []
}

/**
 * Write a line (or lines) to stdout. Control characters in it become visible escapes on the
 * way out: `main` runs every command with `safeIo` (safe-text.ts), newlines and tabs kept.
 */
export function out (ctx: CommandContext, line: string): void {
  ctx.io.stdout.write(line + '\n')
}

/**
 * Write a value as pretty JSON to stdout (bigints as decimal strings). Policy: DEL, C1 and bidi
 * characters, which JSON.stringify leaves raw, are written as `\u` escapes (the same value),
 * before `safeIo` would write them as `\x7f`-style escapes that JSON does not allow.
 */
export function outJson (ctx: CommandContext, value: unknown): void {
  ctx.io.stdout.write(safeJson(JSON.stringify(value, (_k, v: unknown) => typeof v === 'bigint' ? v.toString() : v, 2)) + '\n')
}
