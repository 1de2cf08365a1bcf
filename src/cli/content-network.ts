/**
 * The daemon and the commands that need it: id, peers, swarm connect, dht findprovs.
 */
import { NETWORK_SCOPES, parseHostPort } from '../config.ts'
import { defineCommand, flag, list, out, outJson, str } from './command.ts'
import { signals } from './signals.ts'
import { UsageError } from './errors.ts'
import { parseDuration } from './progress.ts'
import type { CommandContext, CommandDef } from './command.ts'
import type { DaemonFlags } from './daemon-services.ts'
import type { ConfigOverrides } from '../config.ts'

// Lazy loading: these definitions are read for every command (`--help` too); the daemon, the
// store and the node load inside `run` only.
const client = async () => import('./connect.ts')

function isLoopback (host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host)
}

const daemon = defineCommand({
  name: 'daemon',
  description: 'run the peer: libp2p + DHT, the API (token) and the gateway; creates the repo on first run',
  options: {
    listen: { type: 'string', multiple: true, description: 'libp2p listen multiaddr (repeatable; overrides config)', valueName: '<multiaddr>' },
    announce: { type: 'string', multiple: true, description: 'multiaddr to announce (repeatable)', valueName: '<multiaddr>' },
    bootstrap: { type: 'string', multiple: true, description: 'peer to connect to at start, with /p2p/ (repeatable; overrides config)', valueName: '<multiaddr>' },
    api: { type: 'string', description: 'API host:port (overrides config)', valueName: '<host:port>' },
    gateway: { type: 'string', description: 'gateway host:port (overrides config)', valueName: '<host:port>' },
    network: { type: 'string', description: 'public: private, loopback and link-local addresses learnt from peers are never dialled and ours are not announced (--bootstrap, --announce and swarm connect are used as given); lan: every address, for a LAN, a devnet or peers on one machine (overrides config swarm.network, default public)', valueName: '<public|lan>' },
    dev: { type: 'boolean', description: 'run a single-peer development chain with this peer as authority and a funded dev account (1 s blocks, tempo 20, when it is created)' },
    'block-time': { type: 'string', description: 'with --dev, when the chain is created: ms between blocks (default 1000; 12000 is the main network\'s timing)', valueName: '<ms>' },
    genesis: { type: 'string', description: 'join the chain described by this genesis file (see agora chain genesis)', valueName: '<file>' },
    role: { type: 'string', multiple: true, description: 'miner or validator (repeatable)', valueName: '<role>' },
    netuid: { type: 'string', description: 'subnet the roles act on', valueName: '<n>' }
  },
  run: async (ctx) => {
    const repo = (await client()).repoPath(ctx)
    const { initRepo, isRepoInitialized } = await import('../store/index.ts')
    if (!await isRepoInitialized(repo)) {
      await initRepo(repo)
      ctx.io.stderr.write(`initialised repo at ${repo}\n`)
    }
    const overrides: ConfigOverrides = { addresses: {} }
    if (list(ctx, 'listen').length > 0) overrides.addresses = { ...overrides.addresses, listen: list(ctx, 'listen') }
    if (list(ctx, 'announce').length > 0) overrides.addresses = { ...overrides.addresses, announce: list(ctx, 'announce') }
    if (str(ctx, 'api') != null) overrides.addresses = { ...overrides.addresses, api: str(ctx, 'api') }
    if (str(ctx, 'gateway') != null) overrides.addresses = { ...overrides.addresses, gateway: str(ctx, 'gateway') }
    if (list(ctx, 'bootstrap').length > 0) overrides.bootstrap = list(ctx, 'bootstrap')
    const network = str(ctx, 'network')
    if (network != null) {
      const scope = NETWORK_SCOPES.find(n => n === network)
      if (scope == null) throw new UsageError(`--network takes ${NETWORK_SCOPES.join(' or ')}, got ${network}`)
      overrides.swarm = { network: scope }
    }
    for (const a of [overrides.addresses?.api, overrides.addresses?.gateway]) if (a != null) parseHostPort(a)
    // aborted Helia fetches can reject later with nobody awaiting (a known libp2p behaviour): log, don't die
    const onRejection = (err: unknown): void => { ctx.io.stderr.write(`warning: unhandled rejection: ${(err as Error)?.message ?? String(err)}\n`) }
    process.on('unhandledRejection', onRejection)
    // Installed before the node starts, so a signal during start-up is not lost either.
    const sigs = signals(ctx)
    try {
      const { daemonServices } = await import('./daemon-services.ts')
      const services = await daemonServices(daemonFlags(ctx, repo))
      const { startDaemon } = await import('../api/index.ts')
      const d = await startDaemon({ repo, config: overrides, services, onWarning: (m) => { ctx.io.stderr.write(`WARNING: ${m}\n`) } })
      for (const [what, addr] of [['API', d.node.config.addresses.api], ['gateway', d.node.config.addresses.gateway]]) {
        if (!isLoopback(parseHostPort(addr).host)) ctx.io.stderr.write(`WARNING: the ${what} listens on ${addr}, not loopback: anyone who can reach it ${what === 'API' ? 'and has the token controls this peer' : 'can read your content'}\n`)
      }
      if (flag(ctx, 'json')) outJson(ctx, { ready: true, ...d.info })
      else {
        out(ctx, `peer id  ${d.info.peerId}`)
        for (const a of d.info.addresses) out(ctx, `listen   ${a}`)
        out(ctx, `API      ${d.info.api}  (token in ${repo}/api.token)`)
        out(ctx, `gateway  ${d.info.gateway}/ipfs/<cid>`)
        out(ctx, `AGORA_READY ${JSON.stringify(d.info)}`)
      }
      const sig = await sigs.first
      ctx.io.stderr.write(`received ${sig}, shutting down\n`)
      await d.stop()
      return 0
    } finally {
      sigs.release()
      process.off('unhandledRejection', onRejection)
    }
  }
})

function daemonFlags (ctx: CommandContext, repo: string): DaemonFlags {
  const roles = list(ctx, 'role')
  for (const r of roles) if (r !== 'miner' && r !== 'validator') throw new UsageError(`unknown role: ${r} (miner or validator)`)
  const netuidText = str(ctx, 'netuid')
  const netuid = netuidText == null ? undefined : Number(netuidText)
  if (netuid != null && (!Number.isInteger(netuid) || netuid < 1 || netuid > 65_535)) throw new UsageError(`--netuid must be a subnet number from 1 to 65535, got ${netuidText ?? ''}`)
  const blockText = str(ctx, 'block-time')
  const blockTimeMs = blockText == null ? undefined : Number(blockText)
  if (blockTimeMs != null && (!Number.isSafeInteger(blockTimeMs) || blockTimeMs < 10)) throw new UsageError(`--block-time must be a whole number of ms (at least 10), got ${blockText ?? ''}`)
  if (blockTimeMs != null && !flag(ctx, 'dev')) throw new UsageError('--block-time applies to a dev chain (--dev); a network\'s block time is in its genesis (agora chain genesis --block-time)')
  return { repo, dev: flag(ctx, 'dev'), genesis: str(ctx, 'genesis'), roles, netuid, blockTimeMs, io: ctx.io }
}

const id = defineCommand({
  name: 'id',
  description: 'show this peer\'s id, hotkey address, public key and addresses',
  run: async (ctx) => {
    // The quick path reads the identity file when no daemon can be running (`local-id.ts`);
    // otherwise (a daemon's api.json, an identity it does not decode) the node answers as before.
    const got = await (await import('./local-id.ts')).localId(ctx) ?? await (await client()).withClient(ctx, async c => c.id())
    // the same ed25519 key is the peer's hotkey on the chain: its SS58 address (for genesis files, stake, weights)
    const { ss58Encode } = await import('../ss58.ts')
    const r = { ...got, hotkey: ss58Encode(Buffer.from(got.publicKey, 'base64')) }
    if (flag(ctx, 'json')) { outJson(ctx, r); return }
    out(ctx, `peer id     ${r.peerId}`)
    out(ctx, `hotkey      ${r.hotkey} (SS58: the chain address of this peer's key)`)
    out(ctx, `public key  ${r.publicKey} (ed25519, base64)`)
    for (const a of r.addresses) out(ctx, `address     ${a}`)
    if (!r.online) out(ctx, '(offline: no daemon running)')
  }
})

const peersRun = async (ctx: CommandContext): Promise<void> => {
  const peers = await (await client()).withClient(ctx, async c => c.peers())
  if (flag(ctx, 'json')) { outJson(ctx, { peers }); return }
  // one line per address, each naming the peer once (an address may carry /p2p/<id> already)
  for (const p of peers) for (const a of new Set(p.addrs.map(a => a.endsWith(`/p2p/${p.peerId}`) ? a : `${a}/p2p/${p.peerId}`))) out(ctx, a)
}

const peers = defineCommand({ name: 'peers', description: 'list connected peers (needs the daemon)', run: peersRun })

const swarm = defineCommand({
  name: 'swarm',
  description: 'peer connections (needs the daemon)',
  subCommands: [
    defineCommand({
      name: 'connect',
      description: 'connect to a peer',
      positionals: [{ name: 'multiaddr', description: 'multiaddr with /p2p/<peer id>', required: true }],
      run: async (ctx) => {
        const r = await (await client()).withClient(ctx, async c => c.connect(ctx.positionals[0]))
        if (flag(ctx, 'json')) outJson(ctx, r)
        else out(ctx, `connected ${r.peerId}`)
      }
    }),
    defineCommand({ name: 'peers', description: 'list connected peers', run: peersRun })
  ]
})

const dht = defineCommand({
  name: 'dht',
  description: 'the Kademlia DHT (needs the daemon)',
  subCommands: [
    defineCommand({
      name: 'findprovs',
      description: 'find peers that provide a CID',
      positionals: [{ name: 'cid', description: 'CID', required: true }],
      options: { timeout: { type: 'string', description: 'query time limit (default 30s)', valueName: '<duration>' } },
      run: async (ctx) => {
        const cid = (await import('../store/index.ts')).parseCid(ctx.positionals[0])
        const t = str(ctx, 'timeout')
        const found: Array<{ peerId: string, addrs: string[] }> = []
        await (await client()).withClient(ctx, async (c) => {
          for await (const p of c.findProviders(cid.toString(), { timeoutMs: t == null ? undefined : parseDuration(t) })) {
            found.push(p)
            if (!flag(ctx, 'json')) out(ctx, p.peerId)
          }
        })
        if (flag(ctx, 'json')) outJson(ctx, { providers: found })
        else if (found.length === 0) ctx.io.stderr.write('no providers found\n')
      }
    })
  ]
})

/** Commands of the running peer. */
export const networkCommands: CommandDef[] = [daemon, id, peers, swarm, dht]
