/**
 * Spawn real `agora` processes for e2e tests: daemons with temp repos on 127.0.0.1 (random
 * ports), CLI runs, and cleanup of every process and temp dir.
 *
 * @example
 * ```ts
 * const a = await spawnDaemon()
 * const b = await spawnDaemon({ args: ['--bootstrap', a.info.addresses[0]] })
 * const r = await a.cli(['add', '-q', file])
 * afterAll(stopAll)
 * ```
 */
import { spawn } from 'node:child_process'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { ChildProcess } from 'node:child_process'

/** The project's own Node 22 and the CLI entry point. */
export const NODE = fileURLToPath(new URL('../../node_modules/.bin/node', import.meta.url))
export const BIN = fileURLToPath(new URL('../../src/cli/bin.ts', import.meta.url))

/** The block files (`*.data`, one per block) in the repo at `repo`: what the repo stores, counted from the disk. */
export async function blockFiles (repo: string): Promise<string[]> {
  const root = join(repo, 'blocks')
  const entries = await readdir(root, { recursive: true, withFileTypes: true })
  return entries.filter(e => e.isFile() && e.name.endsWith('.data')).map(e => join(e.parentPath, e.name))
}

/** What the daemon prints on its `AGORA_READY` line. */
export interface ReadyInfo {
  peerId: string
  api: string
  gateway: string
  addresses: string[]
  pid: number
}

/** Options for {@link spawnDaemon}. */
export interface SpawnDaemonOptions<T = ReadyInfo> {
  /** Repo directory; a fresh temp dir (removed by `stop()`) when omitted. */
  repo?: string
  /** Extra arguments after the defaults (`--listen /ip4/127.0.0.1/tcp/0 --api 127.0.0.1:0 --gateway 127.0.0.1:0`). */
  args?: string[]
  /** Replace the default arguments entirely (still gets `--repo`). */
  replaceArgs?: boolean
  /** The subcommand. @default ['daemon'] */
  command?: string[]
  /** Extra environment variables. */
  env?: Record<string, string>
  /** Parses a stdout line; the first non-undefined result means ready. @default the `AGORA_READY <json>` line */
  ready?: (line: string) => T | undefined
  /** @default 60_000 */
  readyTimeout?: number
}

/** A running daemon process. */
export interface TestDaemon<T = ReadyInfo> {
  repo: string
  info: T
  proc: ChildProcess
  /** All stdout / stderr so far. */
  stdout: () => string
  stderr: () => string
  /** Run the CLI against this daemon's repo (a separate process). */
  cli: (args: string[], options?: { env?: Record<string, string>, signal?: AbortSignal, killSignal?: NodeJS.Signals }) => Promise<CliResult>
  /** SIGTERM, wait for exit (SIGKILL after 15 s); removes the temp repo unless `keepRepo`. */
  stop: (options?: { keepRepo?: boolean }) => Promise<number | null>
  /** SIGKILL at once and wait for exit (repo kept). */
  kill: () => Promise<void>
}

/** The outcome of a CLI process. */
export interface CliResult { code: number | null, signal: NodeJS.Signals | null, stdout: string, stderr: string }

const live = new Set<{ stop: () => Promise<unknown> }>()
const tempDirs = new Set<string>()

/** A temp dir removed by {@link stopAll}. */
export async function tempDir (prefix = 'agora-e2e-'): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), prefix))
  tempDirs.add(d)
  return d
}

function defaultReady (line: string): ReadyInfo | undefined {
  if (!line.startsWith('AGORA_READY ')) return undefined
  return JSON.parse(line.slice('AGORA_READY '.length)) as ReadyInfo
}

async function waitExit (proc: ChildProcess, ms: number): Promise<number | null> {
  if (proc.exitCode != null || proc.signalCode != null) return proc.exitCode
  return new Promise(resolve => {
    const t = setTimeout(() => { proc.kill('SIGKILL') }, ms)
    proc.once('exit', (code) => { clearTimeout(t); resolve(code) })
  })
}

/** Run `agora <args>` as a process. */
export async function runCli (args: string[], options: { repo?: string, env?: Record<string, string>, signal?: AbortSignal, killSignal?: NodeJS.Signals, cwd?: string } = {}): Promise<CliResult> {
  const proc = spawn(NODE, [BIN, ...args], {
    env: { ...process.env, ...(options.repo != null ? { AGORA_REPO: options.repo } : {}), ...options.env },
    cwd: options.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    signal: options.signal,
    killSignal: options.killSignal ?? 'SIGTERM'
  })
  let stdout = ''
  let stderr = ''
  proc.stdout.on('data', (c: Buffer) => { stdout += c.toString() })
  proc.stderr.on('data', (c: Buffer) => { stderr += c.toString() })
  const entry = { stop: async () => { proc.kill('SIGKILL'); await waitExit(proc, 5000) } }
  live.add(entry)
  return new Promise((resolve, reject) => {
    proc.once('error', (err) => { if (err.name !== 'AbortError') reject(err) })
    proc.once('close', (code, signal) => { live.delete(entry); resolve({ code, signal, stdout, stderr }) })
  })
}

/** Start a daemon process and wait until it is ready. */
export async function spawnDaemon<T = ReadyInfo> (options: SpawnDaemonOptions<T> = {}): Promise<TestDaemon<T>> {
  const ownRepo = options.repo == null
  const repo = options.repo ?? join(await tempDir(), 'repo')
  // every test peer is on 127.0.0.1 and finds the others through the DHT: loopback addresses must be dialled and announced
  const base = options.replaceArgs === true ? [] : ['--network', 'lan', '--listen', '/ip4/127.0.0.1/tcp/0', '--api', '127.0.0.1:0', '--gateway', '127.0.0.1:0']
  const proc = spawn(NODE, [BIN, ...(options.command ?? ['daemon']), '--repo', repo, ...base, ...(options.args ?? [])], {
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let out = ''
  let err = ''
  const parse = options.ready ?? (defaultReady as unknown as (line: string) => T | undefined)
  const info = await new Promise<T>((resolve, reject) => {
    let pending = ''
    const timer = setTimeout(() => { proc.kill('SIGKILL'); reject(new Error(`daemon not ready within ${options.readyTimeout ?? 60_000} ms\nstdout: ${out}\nstderr: ${err}`)) }, options.readyTimeout ?? 60_000)
    proc.stdout.on('data', (c: Buffer) => {
      out += c.toString()
      pending += c.toString()
      let nl
      while ((nl = pending.indexOf('\n')) !== -1) {
        const line = pending.slice(0, nl)
        pending = pending.slice(nl + 1)
        const r = parse(line)
        if (r !== undefined) { clearTimeout(timer); resolve(r) }
      }
    })
    proc.stderr.on('data', (c: Buffer) => { err += c.toString() })
    proc.once('exit', (code) => { clearTimeout(timer); reject(new Error(`daemon exited with ${code} before ready\nstdout: ${out}\nstderr: ${err}`)) })
  })
  let stopped: Promise<number | null> | undefined
  const d: TestDaemon<T> = {
    repo,
    info,
    proc,
    stdout: () => out,
    stderr: () => err,
    cli: async (args, o = {}) => runCli(args, { repo, ...o }),
    stop: async (o = {}) => {
      stopped ??= (async () => {
        if (proc.exitCode == null && proc.signalCode == null) proc.kill('SIGTERM')
        const code = await waitExit(proc, 15_000)
        live.delete(d)
        if (ownRepo && o.keepRepo !== true) await rm(join(repo, '..'), { recursive: true, force: true })
        return code
      })()
      return stopped
    },
    kill: async () => {
      proc.kill('SIGKILL')
      await waitExit(proc, 5000)
      live.delete(d)
    }
  }
  live.add(d)
  return d
}

/** Stop every process still running and remove every temp dir (use in `afterAll`). */
export async function stopAll (): Promise<void> {
  await Promise.allSettled([...live].map(async d => d.stop()))
  live.clear()
  await Promise.allSettled([...tempDirs].map(async d => rm(d, { recursive: true, force: true })))
  tempDirs.clear()
}
