/**
 * Probe benchmark (issue 6): probes per second a validator sustains against local miners.
 *
 * Three miners are real daemon processes on 127.0.0.1, each holding the same 8 MiB file
 * (1 MiB leaves). The validator is an in-process node with the network prober, running the
 * validator's default 4 probes in flight for a fixed time per leg:
 * - 1 MiB ranges with the DHT provider-set check (what a validator round does; a file's provider
 *   set is reused for 30 s), and the same with a lookup per probe;
 * - 1 MiB ranges without it (the transfer alone);
 * - 64 KiB ranges with the check (latency-bound probes).
 * Each leg reports probes/s, range MB/s, and p50/p90 TTFB, and counts the non-OK results.
 *
 * Reproduce: npm run bench -- probe   (or: node bench/probe.bench.ts)
 */
import { spawn } from 'node:child_process'
import { createWriteStream } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { once } from 'node:events'
import { createCipheriv, createHash } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { ed25519 } from '@noble/curves/ed25519.js'
import { NetworkProber } from '../src/incentives/prober.ts'
import { createNode } from '../src/node.ts'
import type { ProbeResult, ProbeTask } from '../src/incentives/index.ts'
import type { ChildProcess } from 'node:child_process'

const CMD = 'npm run bench -- probe'
const BIN = fileURLToPath(new URL('../src/cli/bin.ts', import.meta.url))
const MiB = 1024 * 1024
const FILE_SIZE = 8 * MiB
const MINERS = 3
const CONCURRENCY = 4
const LEG_MS = 8000

async function writeFile (path: string): Promise<void> {
  const cipher = createCipheriv('aes-128-ctr', createHash('sha256').update('probe-bench').digest().subarray(0, 16), Buffer.alloc(16))
  const ws = createWriteStream(path)
  for (let i = 0; i < FILE_SIZE / MiB; i++) if (!ws.write(cipher.update(Buffer.alloc(MiB)))) await once(ws, 'drain')
  ws.end()
  await once(ws, 'finish')
}

async function run (args: string[]): Promise<string> {
  const p = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  p.stdout.on('data', (c: Buffer) => { out += c.toString() })
  const [code] = await once(p, 'exit') as [number]
  if (code !== 0) throw new Error(`agora ${args.join(' ')} exited with ${code}`)
  return out
}

async function daemon (repo: string, bootstrap?: string): Promise<{ proc: ChildProcess, peerId: string, addr: string }> {
  const proc = spawn(process.execPath, [BIN, 'daemon', '--repo', repo, '--network', 'lan', '--listen', '/ip4/127.0.0.1/tcp/0', '--api', '127.0.0.1:0', '--gateway', '127.0.0.1:0', ...(bootstrap != null ? ['--bootstrap', bootstrap] : [])], { stdio: ['ignore', 'pipe', 'ignore'] })
  return new Promise((resolve, reject) => {
    let buf = ''
    proc.stdout.on('data', (c: Buffer) => {
      buf += c.toString()
      const m = /AGORA_READY (.*)\n/.exec(buf)
      if (m != null) { const info = JSON.parse(m[1]); resolve({ proc, peerId: info.peerId, addr: info.addresses[0] }) }
    })
    proc.once('exit', (code) => { reject(new Error(`daemon exited with ${code}`)) })
  })
}

const pct = (xs: number[], p: number): number => xs.length === 0 ? NaN : [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]

async function leg (name: string, prober: NetworkProber, tasks: (i: number) => ProbeTask): Promise<void> {
  const hotkey = ed25519.getPublicKey(new Uint8Array(32).fill(1))
  const results: ProbeResult[] = []
  const end = Date.now() + LEG_MS
  const t0 = performance.now()
  let i = 0
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (Date.now() < end) results.push(await prober.probe(tasks(i++), { round: 0, validatorHotkey: hotkey }))
  }))
  const s = (performance.now() - t0) / 1000
  const ok = results.filter(r => r.resultCode === 'OK')
  const bytes = ok.reduce((a, r) => a + r.bytes, 0)
  const ttfb = ok.map(r => r.ttfbMs ?? 0)
  console.log(`${name.padEnd(38)} ${(results.length / s).toFixed(1).padStart(7)} probes/s  ${(bytes / s / 1e6).toFixed(1).padStart(6)} MB/s  ttfb p50 ${pct(ttfb, 0.5)} ms p90 ${pct(ttfb, 0.9)} ms  (${results.length} probes, ${results.length - ok.length} not OK)   [${CMD}]`)
}

const dir = await mkdtemp(join(tmpdir(), 'agora-probe-bench-'))
const procs: ChildProcess[] = []
try {
  const file = join(dir, 'data.bin')
  await writeFile(file)
  const first = await daemon(join(dir, 'miner-0'))
  procs.push(first.proc)
  const miners = [first, ...await Promise.all(Array.from({ length: MINERS - 1 }, async (_, i) => daemon(join(dir, `miner-${i + 1}`), first.addr)))]
  for (const m of miners.slice(1)) procs.push(m.proc)
  let cid = ''
  for (let i = 0; i < MINERS; i++) cid = (JSON.parse(await run(['add', '--json', '--repo', join(dir, `miner-${i}`), file])) as { cid: string }).cid
  const node = await createNode({ repo: join(dir, 'validator'), config: { addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] }, bootstrap: [first.addr], swarm: { network: 'lan' } } })
  try {
    // Wait until every miner's provider record can be found (the provider check counts it).
    const { CID } = await import('multiformats/cid')
    const providers = async (): Promise<number> => {
      let n = 0
      for await (const p of node.findProviders(CID.parse(cid), { signal: AbortSignal.timeout(5000) })) if (p.id != null) n++
      return n
    }
    while (await providers() < MINERS) await new Promise(resolve => setTimeout(resolve, 250))
    const minerHotkey = ed25519.getPublicKey(new Uint8Array(32).fill(2))
    const task = (rangeLen: number) => (i: number): ProbeTask => ({
      listingCid: cid,
      fileCid: cid,
      fileSize: FILE_SIZE,
      minerPeerId: miners[i % MINERS].peerId,
      minerHotkey,
      taskKey: new Uint8Array(32),
      rangeStart: (i * 777_777) % (FILE_SIZE - rangeLen + 1),
      rangeLen
    })
    console.log(`${MINERS} miner daemons, ${CONCURRENCY} probes in flight, ${LEG_MS / 1000} s per leg, 8 MiB file in 1 MiB leaves`)
    await leg('1 MiB ranges, provider check', new NetworkProber(node.network), task(MiB))
    await leg('1 MiB ranges, provider check uncached', new NetworkProber(node.network, { providerCacheMs: 0 }), task(MiB))
    await leg('1 MiB ranges, no provider check', new NetworkProber(node.network, { checkProviders: false }), task(MiB))
    await leg('64 KiB ranges, provider check', new NetworkProber(node.network), task(64 * 1024))
  } finally {
    await node.stop()
  }
} finally {
  for (const p of procs) p.kill('SIGTERM')
  await Promise.all(procs.map(async p => p.exitCode == null ? once(p, 'exit') : undefined))
  await rm(dir, { recursive: true, force: true })
}
