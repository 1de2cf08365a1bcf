/**
 * `agora get` of a file stored in the repo: write-out rate and peak RSS of every process
 * involved, each in its own process, all run with the V8 flags of the `agora` program (the
 * shebang of src/cli/bin.ts). Legs:
 *   reader    ContentStore.get in a process of its own (the file reader: verified blocks in
 *             reused buffers), timed inside the process
 *   exporter  the same write-out the way it was done before the reader: ipfs-unixfs-exporter's
 *             content() into an fs write stream (for the before/after ratio in the same run)
 *   cli       `agora get` with no daemon (opens the repo itself); wall time includes start-up
 *   daemon    `agora get` through a running daemon (the daemon writes the file); peak RSS of
 *             the CLI and of the daemon
 *   gateway   one HTTP GET of the whole file from the daemon's gateway; peak RSS of the daemon
 * Target: peak RSS under 200 MB for every agora process. MB = 10^6 bytes.
 *
 *   node bench/get.bench.ts [--size MiB (default 1024)] [--only reader,exporter,cli,daemon,gateway]
 */
import { fork, spawn } from 'node:child_process'
import { createCipheriv, createHash } from 'node:crypto'
import { createReadStream, createWriteStream, readFileSync } from 'node:fs'
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { once } from 'node:events'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const MiB = 1024 * 1024
const self = fileURLToPath(import.meta.url)
const NODE = process.execPath
const BIN = fileURLToPath(new URL('../src/cli/bin.ts', import.meta.url))

/** The node flags of the `agora` program: its shebang `#!/usr/bin/env -S node <flags>`. */
function binFlags (): string[] {
  return readFileSync(BIN, 'utf8').split('\n')[0].split(/\s+/).filter(w => w.startsWith('--'))
}

/** Preloaded into the agora processes: writes the process's peak RSS (bytes) to `$AGORA_BENCH_RSS.<pid>` at exit. */
const RSS_PRELOAD = `import { writeFileSync } from 'node:fs'
process.on('exit', () => { const f = process.env.AGORA_BENCH_RSS; if (f) writeFileSync(f + '.' + process.pid, String(process.resourceUsage().maxRSS * 1024)) })
`

interface Figure { name: string, mbps: number, ms: number, rss: Array<[string, number]> }

if (process.argv[2] === '--role') await role(process.argv[3], process.argv.slice(4))
else await main()

function load (): string { return loadavg().map(l => l.toFixed(2)).join(' ') }

async function main (): Promise<void> {
  const { values } = parseArgs({ options: { size: { type: 'string', default: '1024' }, only: { type: 'string', default: 'reader,exporter,cli,daemon,gateway' } } })
  const sizeMiB = Number(values.size)
  const size = sizeMiB * MiB
  const only = new Set(values.only?.split(','))
  const dir = await mkdtemp(join(tmpdir(), 'agora-bench-get-'))
  const repo = join(dir, 'repo')
  const preload = join(dir, 'rss.mjs')
  const figures: Figure[] = []
  try {
    await writeFile(preload, RSS_PRELOAD)
    console.log(`machine load (1/5/15 min) at start: ${load()}; ${cpus().length} cores, shared with anything else running; node flags ${binFlags().join(' ')}`)
    console.log(`generating ${sizeMiB} MiB (random bytes) and adding it offline (unixfs-v1-2025: 1 MiB raw leaves) ...`)
    const src = join(dir, 'src.bin')
    await writeSource(src, size)
    const want = await sha256File(src)
    await agora(['init', '--repo', repo], dir, preload)
    const cid = (await agora(['add', '-q', '--repo', repo, src], dir, preload)).stdout.trim()
    console.log(`root ${cid}`)
    const out = join(dir, 'out.bin')
    const check = async (name: string): Promise<void> => {
      if (await sha256File(out) !== want) throw new Error(`${name}: the file written differs from the source`)
      await rm(out)
    }
    for (const name of ['reader', 'exporter']) {
      if (!only.has(name)) continue
      const r = await inProcess(name, repo, cid, out)
      await check(name)
      figures.push({ name, mbps: size / 1e3 / r.ms, ms: r.ms, rss: [['process', r.maxRss]] })
    }
    if (only.has('cli')) {
      const r = await agora(['get', '-q', '--repo', repo, '-o', out, cid], dir, preload)
      await check('cli')
      figures.push({ name: 'cli', mbps: size / 1e3 / r.ms, ms: r.ms, rss: [['agora get', r.maxRss]] })
    }
    if (only.has('daemon')) {
      figures.push(await viaDaemon('daemon', repo, dir, preload, size, async () => {
        const r = await agora(['get', '-q', '--repo', repo, '-o', out, cid], dir, preload)
        await check('daemon')
        return { ms: r.ms, rss: [['agora get', r.maxRss]] }
      }))
    }
    if (only.has('gateway')) {
      figures.push(await viaDaemon('gateway', repo, dir, preload, size, async (gateway) => {
        const started = performance.now()
        const res = await fetch(`${gateway}/ipfs/${cid}`)
        const h = createHash('sha256')
        for await (const c of res.body as AsyncIterable<Uint8Array>) h.update(c)
        const ms = performance.now() - started
        if (h.digest('hex') !== want) throw new Error('gateway: the bytes served differ from the source')
        return { ms, rss: [] }
      }))
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
  report(figures, sizeMiB)
  console.log(`machine load at end: ${load()}`)
}

function report (figures: Figure[], sizeMiB: number): void {
  const cmd = (what: string): string => `node bench/get.bench.ts --size ${sizeMiB} --only ${what}`
  console.log(`\nresults (${sizeMiB} MiB file from the repo to disk, one run each; MB = 10^6 bytes; peak RSS per process, target < 200 MB):`)
  for (const f of figures) {
    const rss = f.rss.map(([who, b]) => `${who} ${(b / 1e6).toFixed(1)} MB`).join(', ')
    console.log(`  ${f.name.padEnd(9)} ${f.mbps.toFixed(1).padStart(7)} MB/s  ${(f.ms / 1000).toFixed(2)} s   peak RSS: ${rss}   reproduce: ${cmd(f.name)}`)
  }
  const reader = figures.find(f => f.name === 'reader')
  const exporter = figures.find(f => f.name === 'exporter')
  if (reader != null && exporter != null) {
    console.log(`  reader / exporter: ${(reader.mbps / exporter.mbps).toFixed(2)}x the rate, ${(reader.rss[0][1] / exporter.rss[0][1]).toFixed(2)}x the peak RSS   reproduce: ${cmd('reader,exporter')}`)
  }
}

async function writeSource (path: string, size: number): Promise<void> {
  const cipher = createCipheriv('aes-128-ctr', Buffer.alloc(16, 3), Buffer.alloc(16))
  const zeros = Buffer.alloc(4 * MiB)
  const ws = createWriteStream(path)
  for (let left = size; left > 0; left -= zeros.length) {
    if (!ws.write(cipher.update(zeros.subarray(0, Math.min(left, zeros.length))))) await once(ws, 'drain')
  }
  ws.end()
  await once(ws, 'finish')
}

async function sha256File (path: string): Promise<string> {
  const h = createHash('sha256')
  for await (const c of createReadStream(path, { highWaterMark: 4 * MiB })) h.update(c as Buffer)
  return h.digest('hex')
}

/** Run `agora <args>` with the program's flags; wall time and peak RSS. */
async function agora (args: string[], dir: string, preload: string): Promise<{ ms: number, maxRss: number, stdout: string }> {
  const started = performance.now()
  const proc = spawn(NODE, [...binFlags(), '--import', preload, BIN, ...args], { env: { ...process.env, AGORA_BENCH_RSS: join(dir, 'rss') }, stdio: ['ignore', 'pipe', 'inherit'] })
  let stdout = ''
  proc.stdout.on('data', (c: Buffer) => { stdout += c.toString() })
  const [code] = await once(proc, 'close') as [number | null]
  const ms = performance.now() - started
  if (code !== 0) throw new Error(`agora ${args.join(' ')} exited with ${code}`)
  return { ms, maxRss: await peakOf(dir, proc.pid as number), stdout }
}

async function peakOf (dir: string, pid: number): Promise<number> {
  const f = join(dir, `rss.${pid}`)
  const v = Number(await readFile(f, 'utf8'))
  await rm(f)
  return v
}

/** Starts a daemon on the repo, runs `leg` against it, stops it; the daemon's peak RSS is added. */
async function viaDaemon (name: string, repo: string, dir: string, preload: string, size: number, leg: (gateway: string) => Promise<{ ms: number, rss: Array<[string, number]> }>): Promise<Figure> {
  const d = spawn(NODE, [...binFlags(), '--import', preload, BIN, 'daemon', '--repo', repo, '--network', 'lan', '--listen', '/ip4/127.0.0.1/tcp/0', '--api', '127.0.0.1:0', '--gateway', '127.0.0.1:0'], {
    env: { ...process.env, AGORA_BENCH_RSS: join(dir, 'rss') }, stdio: ['ignore', 'pipe', 'inherit']
  })
  try {
    const info = await new Promise<{ gateway: string }>((resolve, reject) => {
      let buf = ''
      d.stdout.on('data', (c: Buffer) => {
        buf += c.toString()
        const m = /AGORA_READY (.*)\n/.exec(buf)
        if (m != null) resolve(JSON.parse(m[1]))
      })
      d.once('exit', code => { reject(new Error(`daemon exited with ${code}`)) })
    })
    const r = await leg(info.gateway)
    d.kill('SIGTERM')
    await once(d, 'close')
    return { name, mbps: size / 1e3 / r.ms, ms: r.ms, rss: [...r.rss, ['daemon', await peakOf(dir, d.pid as number)]] }
  } finally {
    if (d.exitCode == null && d.signalCode == null) d.kill('SIGKILL')
  }
}

/** Forks this file as `name` (with the program's flags) and waits for its report. */
async function inProcess (name: string, repo: string, cid: string, out: string): Promise<{ ms: number, maxRss: number }> {
  const proc = fork(self, ['--role', name, repo, cid, out], { execArgv: binFlags(), stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const [m] = await once(proc, 'message') as [{ ms: number, maxRss: number }]
  await once(proc, 'exit')
  return m
}

async function role (name: string, [repoPath, cidText, out]: string[]): Promise<void> {
  const { ContentStore, openRepo, parseCid } = await import('../src/store/index.ts')
  const repo = await openRepo(repoPath)
  const cid = parseCid(cidText)
  const started = performance.now()
  if (name === 'reader') {
    await new ContentStore(repo).get(cid, '', out)
  } else {
    // before the file reader (src/store/read.ts up to ef4432d): the exporter's content stream into an fs write stream
    const { exporter } = await import('ipfs-unixfs-exporter')
    const { localReader } = await import('../src/store/dag.ts')
    const entry = await exporter(cid, localReader(repo.blockstore))
    if (entry.type !== 'file') throw new Error('not a file')
    const ws = createWriteStream(out)
    for await (const c of entry.content({ blockReadConcurrency: 8 })) {
      if (!ws.write(c)) await once(ws, 'drain')
    }
    ws.end()
    await once(ws, 'finish')
  }
  const ms = performance.now() - started
  if ((await stat(out)).size === 0) throw new Error('nothing written')
  await repo.close()
  process.send?.({ ms, maxRss: process.resourceUsage().maxRSS * 1024 })
}
