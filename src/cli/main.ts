import { readFileSync } from 'node:fs'
import { isAbsolute } from 'node:path'
import { parseArgs } from 'node:util'
import { GLOBAL_OPTIONS } from './command.ts'
import { commands } from './commands/index.ts'
import { UsageError } from './errors.ts'
import { renderError } from './render-error.ts'
import { safeIo } from './safe-text.ts'
import type { CommandContext, CommandDef, OptionDef } from './command.ts'
import type { CliIo } from './io.ts'

// Startup: this module and commands/index.ts are read for every command, so they hold only
// definitions (names, options, help text); each command imports its implementation, and with
// it libp2p, Helia, the store or the ledger, inside `run` (`agora --help` loads none of them;
// test/cli/lazy-load.spec.ts checks it, bench/cli-start.bench.ts measures the time).
const ROOT: CommandDef = {
  name: 'agora',
  description: 'a peer of a decentralised market for AI models and datasets',
  options: {
    version: { type: 'boolean', description: 'print the version' }
  },
  subCommands: commands
}

/** The package version, from package.json (two levels up from src/cli/ and from dist/cli/ alike). */
export function version (): string {
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version
}

/** The process's own streams and environment, with the user's directory ({@link userDir}). */
export function processIo (): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env, cwd: userDir(process.env, process.cwd()) }
}

/**
 * The directory relative paths mean. Policy: `npm run agora` and `npm start` run the CLI in this
 * package's root, and npm names the directory the user typed the command in as `INIT_CWD`; in
 * those two scripts of this package that directory is used, so `npm run agora -- add ./model`
 * reads the user's `./model`. Anywhere else (the installed `agora` command, other packages'
 * scripts, tests) the process's own working directory is.
 */
export function userDir (env: NodeJS.ProcessEnv, cwd: string): string {
  const init = env.INIT_CWD
  const ours = env.npm_package_name === 'agora' && (env.npm_lifecycle_event === 'agora' || env.npm_lifecycle_event === 'start')
  return ours && init != null && isAbsolute(init) ? init : cwd
}

/**
 * Run the CLI. Returns the exit code; never calls `process.exit`.
 *
 * @example `process.exitCode = await main(process.argv.slice(2))`
 */
export async function main (rawArgs: string[], rawIo: CliIo = processIo()): Promise<number> {
  const io = safeIo(rawIo) // Policy: every command's text output is escaped (safe-text.ts)
  let cmd = ROOT
  const path: string[] = []
  let i = 0
  while (cmd.subCommands != null && i < rawArgs.length && !rawArgs[i].startsWith('-')) {
    const next = cmd.subCommands.find(c => c.name === rawArgs[i])
    if (next == null) break
    cmd = next
    path.push(next.name)
    i++
  }
  try {
    const options: Record<string, OptionDef> = { ...GLOBAL_OPTIONS, ...cmd.options }
    const parsed = parseArgs({
      args: rawArgs.slice(i),
      options: Object.fromEntries(Object.entries(options).map(([k, o]) => [k, parseArgsOption(o)])),
      allowPositionals: true,
      strict: true
    })
    if (cmd === ROOT && parsed.values.version === true && parsed.values.help !== true) {
      io.stdout.write(`${version()}\n`)
      return 0
    }
    if (parsed.values.help === true || (cmd.run == null)) {
      if (cmd.run == null && parsed.positionals.length > 0) {
        throw new UsageError(`unknown command: ${[...path, parsed.positionals[0]].join(' ')}`)
      }
      io.stdout.write(help(cmd, path))
      return parsed.values.help === true ? 0 : (path.length === 0 ? 0 : 2)
    }
    checkPositionals(cmd, parsed.positionals)
    const code = await cmd.run({ args: parsed.values as CommandContext['args'], positionals: parsed.positionals, io, path })
    return typeof code === 'number' ? code : 0
  } catch (err) {
    const e = err as Error & { code?: string }
    if (e.code?.startsWith('ERR_PARSE_ARGS') === true) {
      io.stderr.write(renderError(new UsageError(e.message)) + `\nRun: agora ${[...path, '--help'].join(' ')}\n`)
      return 2
    }
    io.stderr.write(renderError(e) + '\n')
    return e.name === 'UsageError' ? 2 : 1
  }
}

function parseArgsOption (o: OptionDef): { type: 'string' | 'boolean', short?: string, multiple?: boolean, default?: string | boolean } {
  const r: { type: 'string' | 'boolean', short?: string, multiple?: boolean, default?: string | boolean } = { type: o.type }
  if (o.short != null) r.short = o.short
  if (o.multiple != null) r.multiple = o.multiple
  if (o.default != null) r.default = o.default
  return r
}

function checkPositionals (cmd: CommandDef, given: string[]): void {
  const defs = cmd.positionals ?? []
  const required = defs.filter(p => p.required === true).length
  if (given.length < required) {
    throw new UsageError(`missing argument <${defs[given.length].name}>`)
  }
  const variadic = defs.some(p => p.variadic === true)
  if (!variadic && given.length > defs.length) {
    throw new UsageError(`unexpected argument: ${given[defs.length]}`)
  }
}

/** Render help for a command. */
export function help (cmd: CommandDef, path: string[]): string {
  const lines: string[] = []
  const usageArgs = (cmd.positionals ?? []).map(p => {
    const n = p.variadic === true ? `${p.name}...` : p.name
    return p.required === true ? `<${n}>` : `[${n}]`
  })
  const name = ['agora', ...path].join(' ')
  lines.push(`${name} — ${cmd.description}`, '')
  lines.push(`Usage: ${name}${cmd.subCommands != null ? ' <command>' : ''} [options] ${usageArgs.join(' ')}`.trimEnd(), '')
  if (cmd.subCommands != null) {
    lines.push('Commands:')
    const w = Math.max(...cmd.subCommands.map(c => c.name.length))
    for (const c of cmd.subCommands) lines.push(`  ${c.name.padEnd(w)}  ${c.description}`)
    lines.push('')
  }
  if ((cmd.positionals ?? []).length > 0) {
    lines.push('Arguments:')
    for (const p of cmd.positionals ?? []) lines.push(`  ${p.name.padEnd(16)}  ${p.description}`)
    lines.push('')
  }
  const opts = { ...cmd.options, ...GLOBAL_OPTIONS }
  lines.push('Options:')
  for (const [k, o] of Object.entries(opts)) {
    const flagText = `${o.short != null ? `-${o.short}, ` : ''}--${k}${o.type === 'string' ? ` ${o.valueName ?? '<value>'}` : ''}`
    lines.push(`  ${flagText.padEnd(28)}  ${o.description}${o.default != null && o.default !== false ? ` (default ${String(o.default)})` : ''}`)
  }
  return lines.join('\n') + '\n'
}
