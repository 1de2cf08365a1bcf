/**
 * Transfer benchmark, one run on loopback, sender and receiver in separate processes:
 *   1. agora → agora over /agora/fetch/1.0.0 (Network.fetch: verified, stored in an FsBlockstore)
 *   2. Helia → Helia over Bitswap, the same DAG (stock Helia configured for loopback, `unixfs.cat`)
 *   3. a raw libp2p stream (TCP + Noise + Yamux) carrying the same number of bytes, no storage
 * It prints MB/s for each, the ratios, and the receiving agora process's peak RSS. `agora-bin`
 * repeats the agora fetch with the receiver run with the V8 flags the `agora` program runs with
 * (read from the shebang of src/cli/bin.ts, also used by `npm start`): V8's young generation
 * grows to 32 MB under this allocation rate and `--max-semi-space-size=2` caps it at 4 MB;
 * `--single-threaded-gc` frees dead receive buffers sooner under load and drops the GC threads.
 *
 * The agora and raw legs run `--runs` times, interleaved, and the medians are compared (the
 * machine is shared); Helia, ten times slower, runs once.
 *
 *   node bench/transfer.bench.ts [--size MiB (default 1024)] [--runs 3] [--only agora,agora-bin,helia,raw]
 */
import { fork } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { spawnPeer } from '../test/dht/fixtures/spawn.ts'
import type { PeerProcess } from '../test/dht/fixtures/spawn.ts'

const MiB = 1024 * 1024
const RAW_PROTOCOL = '/agora-bench/raw/1.0.0'
const self = fileURLToPath(import.meta.url)

/** The node flags of the `agora` program: its shebang `#!/usr/bin/env -S node <flags>`. */
function binFlags (): string[] {
  const first = readFileSync(new URL('../src/cli/bin.ts', import.meta.url), 'utf8').split('\n')[0]
  return first.split(/\s+/).filter(w => w.startsWith('--'))
}

process.on('unhandledRejection', err => { console.error('unhandled rejection:', err) })

if (process.argv[2] === '--role') {
  await runRole(process.argv[3], process.argv.slice(4))
} else {
  await main()
}

interface Figure { mbps: number, ms: number, maxRss?: number, idleRss?: number }

function median (xs: number[]): number { return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] }
function load (): string { return loadavg().map(l => l.toFixed(2)).join(' ') }

async function main (): Promise<void> {
  const { values } = parseArgs({ options: { size: { type: 'string', default: '1024' }, only: { type: 'string', default: 'agora,agora-bin,helia,raw' }, runs: { type: 'string', default: '3' } } })
  const sizeMiB = Number(values.size)
  const size = sizeMiB * MiB
  const runs = Number(values.runs)
  const only = new Set(values.only?.split(','))
  const cmd = (what: string): string => `node bench/transfer.bench.ts --size ${sizeMiB} --runs ${runs} --only ${what}`
  const figures: Record<string, Figure[]> = {}
  const add = (name: string, f: Figure): void => { (figures[name] ??= []).push(f) }
  const sender = await spawnPeer()
  const dirs: string[] = [sender.dir]
  try {
    console.log(`machine load (1/5/15 min) at start: ${load()}; ${cpus().length} cores shared by sender, receiver and anything else running`)
    console.log(`generating and importing ${sizeMiB} MiB (random bytes, unixfs-v1-2025: 1 MiB raw leaves) ...`)
    const { cid } = await sender.call('import', { size })
    console.log(`root ${cid}`)
    // the machine is shared: the legs are interleaved, run by run, so that load changes hit them alike
    for (let run = 0; run < runs; run++) {
      if (only.has('agora')) add('agora', await agora(sender, cid, size, []))
      if (only.has('agora-bin')) add('agora-bin', await agora(sender, cid, size, binFlags()))
      if (only.has('raw')) add('raw', await raw(size))
    }
    // Helia is ~10x slower: one run
    if (only.has('helia')) add('helia', await helia(sender.dir, cid, size, dirs))
  } finally {
    await sender.stop()
    await Promise.all(dirs.map(async d => { await rm(d, { recursive: true, force: true }) }))
  }
  report(figures, sizeMiB, cmd)
  console.log(`machine load at end: ${load()}`)
}

function report (figures: Record<string, Figure[]>, sizeMiB: number, cmd: (what: string) => string): void {
  const mbps = (name: string): number | undefined => figures[name] == null ? undefined : median(figures[name].map(f => f.mbps))
  console.log(`\nresults (${sizeMiB} MiB, loopback, MB = 10^6 bytes; median of the runs, each run listed):`)
  for (const [name, fs] of Object.entries(figures)) {
    console.log(`  ${name.padEnd(11)} ${mbps(name)?.toFixed(1).padStart(8)} MB/s  (runs: ${fs.map(f => f.mbps.toFixed(1)).join(', ')})   reproduce: ${cmd(name)}`)
  }
  for (const name of ['agora', 'agora-bin']) {
    const fs = figures[name]?.filter(f => f.maxRss != null)
    if (fs == null || fs.length === 0) continue
    const worst = Math.max(...fs.map(f => f.maxRss ?? 0))
    console.log(`  ${name} fetching process peak RSS, worst run: ${(worst / 1e6).toFixed(1)} MB (runs: ${fs.map(f => ((f.maxRss ?? 0) / 1e6).toFixed(1)).join(', ')}; idle before the fetch: ${fs.map(f => ((f.idleRss ?? 0) / 1e6).toFixed(1)).join(', ')}; target < 200 MB)   reproduce: ${cmd(name)}`)
  }
  for (const name of ['agora', 'agora-bin']) {
    const a = mbps(name)
    const h = mbps('helia')
    const r = mbps('raw')
    if (a != null && h != null) console.log(`  ${name} / helia bitswap: ${(a / h).toFixed(2)}x (target >= 4x)   reproduce: ${cmd(`${name},helia`)}`)
    if (a != null && r != null) console.log(`  ${name} / raw stream:    ${(a / r).toFixed(2)} (target >= 0.5)   reproduce: ${cmd(`${name},raw`)}`)
  }
}

async function agora (sender: PeerProcess, cid: string, size: number, nodeOptions: string[]): Promise<Figure> {
  const receiver = await spawnPeer({ nodeOptions })
  try {
    const idleRss = await receiver.call('maxRss')
    const result = await receiver.call('fetch', { cid, providers: [sender.addrs[0]], useDht: false })
    const maxRss = await receiver.call('maxRss')
    console.log(`agora${nodeOptions.length > 0 ? ` (node ${nodeOptions.join(' ')})` : ''}: ${result.blocksFetched} blocks, ${result.bytesFetched} bytes in ${result.ms.toFixed(0)} ms, peak RSS ${(maxRss / 1e6).toFixed(1)} MB`)
    return { mbps: size / 1e6 / (result.ms / 1000), ms: result.ms, maxRss, idleRss }
  } finally {
    await receiver.stop()
    await rm(receiver.dir, { recursive: true, force: true })
  }
}

async function helia (senderDir: string, cid: string, size: number, dirs: string[]): Promise<Figure> {
  const send = await child('helia-send', [`${senderDir}/blocks`])
  const dir = await mkdtemp(join(tmpdir(), 'agora-bench-'))
  dirs.push(dir)
  try {
    const recv = await child('helia-fetch', [`${dir}/blocks`, send.ready.addr, cid])
    const r = await recv.done
    console.log(`helia: ${r.bytes} bytes in ${r.ms.toFixed(0)} ms`)
    return { mbps: size / 1e6 / (r.ms / 1000), ms: r.ms }
  } finally {
    send.proc.kill('SIGTERM')
  }
}

async function raw (size: number): Promise<Figure> {
  const send = await child('raw-send', [String(size)])
  try {
    const recv = await child('raw-fetch', [send.ready.addr, String(size)])
    const r = await recv.done
    console.log(`raw: ${r.bytes} bytes in ${r.ms.toFixed(0)} ms`)
    return { mbps: size / 1e6 / (r.ms / 1000), ms: r.ms }
  } finally {
    send.proc.kill('SIGTERM')
  }
}

/** Forks this file in a role; resolves once the role reported 'ready'. */
async function child (role: string, args: string[]): Promise<{ proc: ReturnType<typeof fork>, ready: any, done: Promise<any> }> {
  const proc = fork(self, ['--role', role, ...args], { execPath: process.execPath, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  let onDone!: (v: any) => void
  let onFail!: (e: Error) => void
  const done = new Promise<any>((resolve, reject) => { onDone = resolve; onFail = reject })
  done.catch(() => {})
  const ready = await new Promise<any>((resolve, reject) => {
    proc.on('message', (m: any) => { if (m.ready === true) resolve(m); else if (m.done === true) onDone(m) })
    proc.once('exit', code => { const e = new Error(`${role} exited with ${code}`); reject(e); onFail(e) })
  })
  return { proc, ready, done }
}

async function runRole (role: string, args: string[]): Promise<void> {
  const report = (m: Record<string, unknown>): void => { process.send?.(m) }
  if (role === 'helia-send' || role === 'helia-fetch') {
    const [{ FsBlockstore }, { MemoryDatastore }, { createLoopbackHelia }, { unixfs }, { CID }] = await Promise.all([
      import('blockstore-fs'), import('datastore-core'), import('../test/dht/fixtures/helia.ts'), import('@helia/unixfs'), import('multiformats/cid')])
    const blockstore = new FsBlockstore(args[0])
    await blockstore.open()
    const node = await createLoopbackHelia({ blockstore, datastore: new MemoryDatastore() })
    if (role === 'helia-send') {
      report({ ready: true, addr: node.libp2p.getMultiaddrs()[0].toString() })
      return
    }
    const { multiaddr } = await import('@multiformats/multiaddr')
    await node.libp2p.dial(multiaddr(args[1]))
    report({ ready: true })
    const started = performance.now()
    let bytes = 0
    // Bitswap can stall under load (a lost message is not retried): give up after 15 minutes rather than hang
    for await (const chunk of unixfs(node).cat(CID.parse(args[2]), { signal: AbortSignal.timeout(900_000) })) bytes += chunk.byteLength
    report({ done: true, bytes, ms: performance.now() - started })
    await node.stop()
    process.exit(0)
  }
  const [{ createLibp2p }, { tcp }, { noise }, { yamux }, { multiaddr }] = await Promise.all([
    import('libp2p'), import('@libp2p/tcp'), import('@chainsafe/libp2p-noise'), import('@chainsafe/libp2p-yamux'), import('@multiformats/multiaddr')])
  const node = await createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux({ streamOptions: { maxReadBufferLength: 64 * MiB } })]
  })
  if (role === 'raw-send') {
    const size = Number(args[0])
    const { pEvent } = await import('p-event')
    await node.handle(RAW_PROTOCOL, async (stream) => {
      const chunk = new Uint8Array(MiB).fill(7)
      for (let sent = 0; sent < size; sent += MiB) {
        if (!stream.send(chunk.subarray(0, Math.min(MiB, size - sent)))) await pEvent(stream, 'drain', { rejectionEvents: ['close'] })
      }
      await stream.close()
    })
    report({ ready: true, addr: node.getMultiaddrs()[0].toString() })
    return
  }
  const size = Number(args[1])
  report({ ready: true })
  const started = performance.now()
  const stream = await node.dialProtocol(multiaddr(args[0]), RAW_PROTOCOL)
  let bytes = 0
  await new Promise<void>((resolve, reject) => {
    stream.addEventListener('message', (evt) => { bytes += evt.data.byteLength; if (bytes >= size) resolve() })
    stream.addEventListener('close', (evt) => { if (evt.error != null) reject(evt.error); else resolve() })
  })
  report({ done: true, bytes, ms: performance.now() - started })
  await node.stop()
  process.exit(0)
}
