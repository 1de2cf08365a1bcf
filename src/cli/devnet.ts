/**
 * `agora devnet`: a local network of real daemon processes on 127.0.0.1. One authority runs a
 * dev chain (genesis written here, with the well-known dev account funded) and the market; the
 * dev account creates a subnet and funds every peer's hotkey (each peer's hotkey is also its
 * coldkey); validators are registered and staked by their own keys before they start; miners
 * register themselves (`--role miner`) and pin the published content; the authority publishes
 * a few free listings. Then it prints how to reach each peer and stops them all on SIGINT/SIGTERM.
 */
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { devGenesis } from '../ledger/index.ts'
import { hotkeyAddress, hotkeySeed } from '../ledger/index.ts'
import { devAccount } from '../ledger/index.ts'
import { signTx } from '../ledger/index.ts'
import { initRepo, openRepo } from '../store/index.ts'
import type { TxBody } from '../ledger/index.ts'
import type { ChildProcess } from 'node:child_process'

// bin.ts in the clone, bin.js in the built dist/ (the packed package).
const BIN = fileURLToPath(new URL(import.meta.url.endsWith('.ts') ? './bin.ts' : './bin.js', import.meta.url))
const TAO = 1_000_000_000n

/** Options of {@link startDevnet}. */
export interface DevnetInit {
  /** Miners. */
  miners: number
  validators: number
  /** Directory of the peers' repos (reused when it holds a devnet). @default a new temp dir */
  dir?: string
  /** @default 500 */
  blockTimeMs?: number
  /** Tempo of the subnet, blocks. @default 20 */
  tempo?: number
  /** Subnet weights by commit-reveal. @default false */
  commitReveal?: boolean
  /** Progress lines. */
  log?: (line: string) => void
}

/** One running peer. */
export interface DevnetPeer {
  name: string
  role: 'authority' | 'miner' | 'validator'
  repo: string
  peerId: string
  hotkey: string
  api: string
  gateway: string
  addresses: string[]
  pid: number
}

/** A running devnet. */
export interface Devnet {
  dir: string
  netuid: number
  genesis: string
  peers: DevnetPeer[]
  /** Published listings' roots. */
  content: string[]
  /** Stops one peer (its repo is kept). */
  stopPeer: (name: string) => Promise<void>
  /** Starts a stopped peer again with the same repo and flags; resolves once it is ready. */
  startPeer: (name: string) => Promise<DevnetPeer>
  stop: () => Promise<void>
}

interface Proc { peer: DevnetPeer, proc: ChildProcess, args: string[] }

/** A peer's repo, created if needed, and its hotkey (= libp2p key). */
async function preparePeer (dir: string, name: string): Promise<{ repo: string, address: string, seed: Uint8Array }> {
  const repo = join(dir, name)
  // every devnet peer dials from 127.0.0.1: libp2p's limit of 5 inbound connections per second
  // per IP would reset some of them at the authority. Policy: a devnet lives on loopback, so
  // its peers dial and announce loopback addresses (`swarm.network: 'lan'`)
  await initRepo(repo, { config: { swarm: { inboundConnectionThreshold: 1000, network: 'lan' } } })
  const r = await openRepo(repo)
  try {
    return { repo, address: hotkeyAddress(r.privateKey), seed: Uint8Array.from(hotkeySeed(r.privateKey)) }
  } finally {
    await r.close()
  }
}

async function spawnPeer (name: string, role: DevnetPeer['role'], repo: string, args: string[]): Promise<{ info: Omit<DevnetPeer, 'name' | 'role' | 'repo' | 'hotkey'>, proc: ChildProcess }> {
  const proc = spawn(process.execPath, [BIN, 'daemon', '--repo', repo, '--network', 'lan', '--listen', '/ip4/127.0.0.1/tcp/0', '--api', '127.0.0.1:0', '--gateway', '127.0.0.1:0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let err = ''
  proc.stderr.on('data', (c: Buffer) => { err = (err + c.toString()).slice(-4000) })
  const info = await new Promise<Omit<DevnetPeer, 'name' | 'role' | 'repo' | 'hotkey'>>((resolve, reject) => {
    let pending = ''
    proc.stdout.on('data', (c: Buffer) => {
      pending += c.toString()
      for (let nl = pending.indexOf('\n'); nl !== -1; nl = pending.indexOf('\n')) {
        const line = pending.slice(0, nl)
        pending = pending.slice(nl + 1)
        if (line.startsWith('AGORA_READY ')) resolve(JSON.parse(line.slice(12)))
      }
    })
    proc.once('exit', (code) => { reject(new Error(`${name} (${role}) exited with ${code} before it was ready: ${err}`)) })
  })
  proc.stdout.resume()
  return { info, proc }
}

/** A small client of a peer's API (token from its repo). */
function apiOf (peer: DevnetPeer): (method: 'GET' | 'POST', path: string, params?: Record<string, string>, body?: Uint8Array) => Promise<any> {
  let token: string | undefined
  return async (method, path, params = {}, body) => {
    token ??= (await readFile(join(peer.repo, 'api.token'), 'utf8')).trim()
    const res = await fetch(`${peer.api}${path}?${new URLSearchParams(params).toString()}`, { method, headers: { authorization: `Bearer ${token}` }, body })
    const json = await res.json() as any
    if (!res.ok) throw new Error(`${peer.name} ${path}: ${json?.error?.name ?? res.status}: ${json?.error?.message ?? ''}`)
    return json
  }
}

/**
 * Makes a miner hold `root`: fetched from the publisher named directly (no wait for the DHT to
 * carry the new provider record), then pinned, which announces the miner as a provider. Eight
 * peers dialling one authority at once can see a connection reset (libp2p limits inbound
 * connections per host and second, and they all come from 127.0.0.1), so a failed fetch is
 * tried again, up to 5 times.
 */
async function fetchAndPin (peer: DevnetPeer, root: string, from: string): Promise<void> {
  const token = (await readFile(join(peer.repo, 'api.token'), 'utf8')).trim()
  for (let attempt = 1; ; attempt++) {
    const res = await fetch(`${peer.api}/api/v0/fetch?${new URLSearchParams({ arg: root, provider: from, timeout: '15000' }).toString()}`, { method: 'POST', headers: { authorization: `Bearer ${token}` } })
    const lines = (await res.text()).trim().split('\n')
    const end = JSON.parse(lines[lines.length - 1]) as { type?: string, error?: { name: string, message: string } }
    if (res.ok && end.type !== 'error') break
    if (attempt === 5) throw new Error(`${peer.name} could not fetch ${root}: ${JSON.stringify(end.error ?? end)}`)
    await new Promise(resolve => setTimeout(resolve, 1000))
  }
  await apiOf(peer)('POST', '/api/v0/pin/add', { arg: root })
}

/** Connects `peer` to `addr` through its API, trying again after a reset (up to 10 times). */
async function connectTo (peer: DevnetPeer, addr: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await apiOf(peer)('POST', '/api/v0/swarm/connect', { arg: addr })
      return
    } catch (err) {
      if (attempt === 10) throw err
      await new Promise(resolve => setTimeout(resolve, 500))
    }
  }
}

/** Signs `body` with `seed` at the signer's next nonce, submits it through `api` and waits for inclusion. */
async function sendTx (api: ReturnType<typeof apiOf>, chainId: string, seed: Uint8Array, signer: string, body: TxBody): Promise<void> {
  const { nextNonce } = await api('GET', '/api/v0/chain/account', { address: signer })
  const bytes = signTx({ chainId, signer, nonce: nextNonce, body }, seed).bytes
  await api('POST', '/api/v0/chain/submit', { wait: 'true' }, bytes)
}

function stopProc (proc: ChildProcess): Promise<void> {
  return new Promise(resolve => {
    if (proc.exitCode != null || proc.signalCode != null) { resolve(); return }
    const t = setTimeout(() => { proc.kill('SIGKILL') }, 15_000)
    proc.once('exit', () => { clearTimeout(t); resolve() })
    proc.kill('SIGTERM')
  })
}

/** Starts the devnet (see the module comment). On any failure, every started peer is stopped. */
export async function startDevnet (init: DevnetInit): Promise<Devnet> {
  if (!Number.isInteger(init.miners) || init.miners < 1 || init.miners > 32) throw new RangeError('--miners must be 1..32')
  if (!Number.isInteger(init.validators) || init.validators < 1 || init.validators > 16) throw new RangeError('--validators must be 1..16')
  const log = init.log ?? (() => {})
  const dir = init.dir != null ? resolve(init.dir) : await mkdtemp(join(tmpdir(), 'agora-devnet-'))
  await mkdir(dir, { recursive: true })
  const names = ['authority', ...Array.from({ length: init.miners }, (_, i) => `miner-${i + 1}`), ...Array.from({ length: init.validators }, (_, i) => `validator-${i + 1}`)]
  const keys = await Promise.all(names.map(async n => preparePeer(dir, n)))
  const genesisFile = join(dir, 'genesis.json')
  const dev = devAccount()
  const g = devGenesis(keys[0].address, dev.address, init.blockTimeMs ?? 500)
  // Policy (dev only): short epochs, no weight rate limit beyond one tempo, many registrations per block.
  // The root epoch sets each subnet's share of the emission ('even' split on a dev chain): run it
  // every tempo too, so emission starts within the first epoch instead of after 360 blocks.
  const params = { ...g.params, rootTempo: init.tempo ?? 20, newSubnet: { tempo: init.tempo ?? 20, weightsSetRateLimit: 1, maxRegistrationsPerBlock: 64, targetRegistrationsPerInterval: 64, immunityPeriod: 1000, activityCutoff: 10_000, commitReveal: init.commitReveal === true } }
  await writeFile(genesisFile, JSON.stringify({ ...g, params }, null, 2) + '\n', { flag: 'wx' }).catch(err => { if (err.code !== 'EEXIST') throw err })
  const procs: Proc[] = []
  // Policy: a devnet in a temp dir of its own leaves nothing behind; one in --dir keeps its repos
  const stop = async (): Promise<void> => {
    await Promise.all(procs.map(async p => stopProc(p.proc)))
    if (init.dir == null) await rm(dir, { recursive: true, force: true })
  }
  try {
    const roleOf = (n: string): DevnetPeer['role'] => n === 'authority' ? 'authority' : n.startsWith('miner') ? 'miner' : 'validator'
    const launch = async (i: number, args: string[]): Promise<Proc> => {
      const { info, proc } = await spawnPeer(names[i], roleOf(names[i]), keys[i].repo, ['--genesis', genesisFile, ...args])
      const p = { peer: { name: names[i], role: roleOf(names[i]), repo: keys[i].repo, hotkey: keys[i].address, ...info }, proc, args }
      const at = procs.findIndex(x => x.peer.name === names[i])
      if (at === -1) procs.push(p)
      else procs[at] = p
      log(`started ${names[i]} ${info.peerId}`)
      return p
    }
    const authority = await launch(0, [])
    const api = apiOf(authority.peer)
    const chainId = (await api('GET', '/api/v0/chain/status')).chainId as string
    const netuid = await ensureSubnet(api, chainId, dev, log)
    // on a reused devnet most of this is done already: log only what is done now
    let funded = 0
    for (const k of keys.slice(1)) {
      const { balance } = await api('GET', '/api/v0/chain/account', { address: k.address })
      if (BigInt(balance) >= 100n * TAO) continue
      await sendTx(api, chainId, dev.secretKey, dev.address, { kind: 'transfer', to: k.address, amount: 1000n * TAO })
      funded++
    }
    if (funded > 0) log(`funded ${funded} hotkey(s) with 1000 TAO each`)
    for (let i = 1 + init.miners; i < names.length; i++) {
      const k = keys[i]
      const { metagraph } = await api('GET', '/api/v0/chain/subnet', { netuid: String(netuid) })
      const done: string[] = []
      if (!(metagraph as Array<{ hotkey: string }>).some(r => r.hotkey === k.address)) {
        await sendTx(api, chainId, k.seed, k.address, { kind: 'burnedRegister', netuid, hotkey: k.address })
        done.push('registered')
      }
      const { stakes } = await api('GET', '/api/v0/chain/account', { address: k.address })
      if ((stakes as unknown[]).length === 0) {
        await sendTx(api, chainId, k.seed, k.address, { kind: 'addStake', hotkey: k.address, amount: 500n * TAO })
        done.push('staked 500 TAO')
      }
      if (done.length > 0) log(`${names[i]} ${done.join(' and ')}`)
    }
    const boot = ['--bootstrap', authority.peer.addresses[0], '--netuid', String(netuid)]
    const others = await Promise.all(names.slice(1).map(async (n, j) => launch(j + 1, [...boot, '--role', roleOf(n)])))
    // Ready means connected: wait until each peer reaches the authority (its daemon also
    // redials a bootstrap peer it loses, but the devnet reports ready only once all are in).
    await Promise.all(others.map(async p => { await connectTo(p.peer, authority.peer.addresses[0]) }))
    const content = await publishContent(api, dir, log)
    await Promise.all(others.filter(p => p.peer.role === 'miner').map(async p => {
      for (const root of content) await fetchAndPin(p.peer, root, authority.peer.addresses[0])
    }))
    log(`miners pinned ${content.length} listing(s)`)
    const find = (name: string): Proc => {
      const p = procs.find(x => x.peer.name === name)
      if (p == null) throw new RangeError(`no peer named ${name}`)
      return p
    }
    const stopPeer = async (name: string): Promise<void> => { await stopProc(find(name).proc) }
    const startPeer = async (name: string): Promise<DevnetPeer> => {
      const p = find(name)
      if (p.proc.exitCode == null && p.proc.signalCode == null) return p.peer
      const started = (await launch(names.indexOf(name), p.args)).peer
      await connectTo(started, authority.peer.addresses[0])
      return started
    }
    return { dir, netuid, genesis: genesisFile, peers: [authority, ...others].map(p => p.peer), content, stopPeer, startPeer, stop }
  } catch (err) {
    await stop()
    throw err
  }
}

/** The dev account's subnet: the one it owns, else a new one. */
async function ensureSubnet (api: ReturnType<typeof apiOf>, chainId: string, dev: ReturnType<typeof devAccount>, log: (l: string) => void): Promise<number> {
  const owned = async (): Promise<number | undefined> => ((await api('GET', '/api/v0/chain/subnets')).subnets as Array<{ netuid: number, owner: string | null }>)
    .filter(s => s.owner === dev.address).map(s => s.netuid).sort((a, b) => a - b)[0]
  let netuid = await owned()
  if (netuid == null) {
    await sendTx(api, chainId, dev.secretKey, dev.address, { kind: 'registerNetwork' })
    netuid = await owned()
    if (netuid == null) throw new Error('the subnet registration was included but no subnet is owned by the dev account')
    log(`dev account created subnet ${netuid}`)
  }
  return netuid
}

/** Publishes two small free datasets from the authority (once per devnet dir). */
async function publishContent (api: ReturnType<typeof apiOf>, dir: string, log: (l: string) => void): Promise<string[]> {
  const content = join(dir, 'content')
  await mkdir(content, { recursive: true })
  const roots: string[] = []
  // A devnet dir used again already has its listings: reuse them.
  const mine = (await api('GET', '/api/v0/market/mine')).listings as Array<{ name: string, root: string, state: string }>
  for (const [name, size] of [['sample-a', 384 * 1024], ['sample-b', 160 * 1024]] as const) {
    const listed = mine.find(l => l.name === name && l.state === 'active')
    if (listed != null) { roots.push(listed.root); continue }
    const file = join(content, `${name}.bin`)
    await writeFile(file, randomBytes(size), { flag: 'wx' }).catch(err => { if (err.code !== 'EEXIST') throw err })
    const r = await api('POST', '/api/v0/market/publish', { path: file, kind: 'dataset', name, license: 'CC0-1.0', description: 'devnet sample data' })
    roots.push(r.listing.root as string)
    log(`published ${name} (${size} bytes) as listing ${r.listing.id as string}`)
  }
  return roots
}
