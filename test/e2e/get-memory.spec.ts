/**
 * Memory is behaviour: `agora get` of a 256 MiB file, offline and through a daemon, run as the
 * `agora` program runs (the node flags of its shebang), must stay under a peak RSS bound.
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createReadStream, readFileSync } from 'node:fs'
import { readFile, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BIN, NODE, runCli, stopAll, tempDir } from '../utils/daemon.ts'
import { deterministicBytes, sha256Hex, writeDeterministicFile } from '../utils/data.ts'

const MiB = 1024 * 1024
const SIZE = 256 * MiB

/**
 * The bound, in bytes. Reasoning: an agora process with these flags sits at 135-150 MB before
 * it reads a byte (measured: `agora ls` 137 MB, an idle daemon 145 MB: node, libp2p and the
 * stores loaded). The file reader adds its bounded buffers: 8 blocks read ahead and up to 4
 * positional writes, 1 MiB each, plus V8's 4 MB young generation, so about 160 MB is expected
 * (measured with this test: 150.5 MB offline, 163.0 MB for the daemon). 250 MB leaves ~90 MB of
 * margin for allocator and GC variance. The exporter's content stream that this replaced
 * queues blocks as fast as it reads them: the same test on that code (a5877dd) measured
 * 876 MB offline and 914 MB for the daemon, far above the bound.
 */
const MAX_RSS = 250e6

/** The node flags of the `agora` program: its shebang `#!/usr/bin/env -S node <flags>`. */
const FLAGS = readFileSync(BIN, 'utf8').split('\n')[0].split(/\s+/).filter(w => w.startsWith('--'))

/** Preloaded into the measured process: writes its peak RSS (bytes) to `$AGORA_TEST_RSS.<pid>` at exit. */
const RSS_PRELOAD = `import { writeFileSync } from 'node:fs'
process.on('exit', () => { const f = process.env.AGORA_TEST_RSS; if (f) writeFileSync(f + '.' + process.pid, String(process.resourceUsage().maxRSS * 1024)) })
`

let dir: string
let repo: string
let cid: string
let want: string

beforeAll(async () => {
  dir = await tempDir('agora-get-memory-')
  repo = join(dir, 'repo')
  await writeFile(join(dir, 'rss.mjs'), RSS_PRELOAD)
  await writeDeterministicFile(join(dir, 'src.bin'), 'get-memory', SIZE)
  want = await sha256Hex(deterministicBytes('get-memory', SIZE))
  expect((await runCli(['init', '--repo', repo])).code).toBe(0)
  const added = await runCli(['add', '-q', '--repo', repo, join(dir, 'src.bin')])
  expect(added.code).toBe(0)
  cid = added.stdout.trim()
  await rm(join(dir, 'src.bin'))
})

afterAll(stopAll)

/** `agora <args>` as the program runs, with the RSS preload. */
function agora (args: string[]): ReturnType<typeof spawn> {
  return spawn(NODE, [...FLAGS, '--import', join(dir, 'rss.mjs'), BIN, ...args], {
    env: { ...process.env, AGORA_TEST_RSS: join(dir, 'rss') },
    stdio: ['ignore', 'pipe', 'pipe']
  })
}

async function exited (proc: ReturnType<typeof spawn>): Promise<{ code: number | null, stdout: string, stderr: string }> {
  let stdout = ''
  let stderr = ''
  proc.stdout?.on('data', (c: Buffer) => { stdout += c.toString() })
  proc.stderr?.on('data', (c: Buffer) => { stderr += c.toString() })
  const [code] = await once(proc, 'close') as [number | null]
  return { code, stdout, stderr }
}

async function peakRss (pid: number): Promise<number> {
  return Number(await readFile(join(dir, `rss.${pid}`), 'utf8'))
}

async function checkOutput (out: string): Promise<void> {
  expect((await stat(out)).size).toBe(SIZE)
  expect(await sha256Hex(createReadStream(out))).toBe(want)
  await rm(out)
}

describe('e2e: get in bounded memory', () => {
  it('behavior: offline agora get of a 256 MiB file writes it whole with a peak RSS under 250 MB', async () => {
    const out = join(dir, 'offline.bin')
    const proc = agora(['get', '-q', '--repo', repo, '-o', out, cid])
    const r = await exited(proc)
    expect(r.code, r.stderr).toBe(0)
    await checkOutput(out)
    expect(await peakRss(proc.pid as number)).toBeLessThan(MAX_RSS)
  })

  it('behavior: agora get through a daemon: the daemon writes the 256 MiB file with a peak RSS under 250 MB', async () => {
    const d = agora(['daemon', '--repo', repo, '--network', 'lan', '--listen', '/ip4/127.0.0.1/tcp/0', '--api', '127.0.0.1:0', '--gateway', '127.0.0.1:0'])
    const daemonExit = exited(d)
    try {
      await new Promise<void>((resolve, reject) => {
        d.stdout?.on('data', (c: Buffer) => { if (c.toString().includes('AGORA_READY')) resolve() })
        d.once('exit', code => { reject(new Error(`daemon exited with ${code}`)) })
      })
      const out = join(dir, 'daemon.bin')
      const r = await runCli(['get', '-q', '--repo', repo, '-o', out, cid])
      expect(r.code, r.stderr).toBe(0)
      await checkOutput(out)
    } finally {
      d.kill('SIGTERM')
    }
    expect((await daemonExit).code).toBe(0)
    expect(await peakRss(d.pid as number)).toBeLessThan(MAX_RSS)
  })
})
