/**
 * `agora status` (a peer's role, uid, stake, balance and rewards on its subnet),
 * `agora validator report` (the validator's per-miner figures) and `agora devnet` (a local
 * network of real peers). The first two read the daemon's `/api/v0/incentives/*` routes.
 */
import { resolve } from 'node:path'
import { defineCommand, flag, out, outJson, str } from '../command.ts'
import { signals } from '../signals.ts'
import type { MinerFigures } from '../../incentives/index.ts'
import type { Devnet } from '../devnet.ts'
import { UsageError } from '../errors.ts'
import type { CommandContext, CommandDef } from '../command.ts'

// Lazy loading: the daemon client, the ledger and the devnet load inside `run` (not for `--help`).
const ledgerClient = async () => import('../ledger-client.ts')

const agora = async () => import('../connect.ts')

const u16 = (x: number): string => (x / 65535).toFixed(4)

const status = defineCommand({
  name: 'status',
  description: 'this peer\'s role, UID, stake, balance and last rewards on its subnet (needs the daemon with --role)',
  run: async (ctx) => {
    const s = await (await agora()).withClient(ctx, async c => c.incentives.status())
    if (flag(ctx, 'json')) { outJson(ctx, s); return }
    const { raoToTao } = await ledgerClient()
    out(ctx, `role          ${s.roles.join(', ')} on subnet ${s.netuid}`)
    out(ctx, `hotkey        ${s.hotkey}`)
    out(ctx, `peer id       ${s.peerId}`)
    out(ctx, `uid           ${s.uid ?? '-'} (${s.registration})`)
    out(ctx, `balance       ${raoToTao(s.balance)} TAO`)
    out(ctx, `stake         ${raoToTao(s.stake)} TAO${s.permit ? ' (validator permit)' : ''}`)
    out(ctx, `incentive     ${u16(s.incentive)}   dividends ${u16(s.dividends)}   trust ${u16(s.trust)}   consensus ${u16(s.consensus)}`)
    out(ctx, `last epoch    ${raoToTao(s.lastEmission)} TAO`)
    out(ctx, `earned        ${raoToTao(s.earnedSinceStart)} TAO since the daemon started (block ${s.head})`)
    if (s.validator != null) {
      out(ctx, `rounds        ${s.validator.rounds} run, every ${s.validator.roundBlocks} blocks, last ${s.validator.lastRound ?? '-'}`)
      out(ctx, `weights       ${s.validator.lastWeights ?? 'none yet'}`)
    }
    if (s.lastError != null) out(ctx, `last error    ${s.lastError}`)
  }
})

const validator = defineCommand({
  name: 'validator',
  description: 'the validator role (needs the daemon with --role validator)',
  subCommands: [
    defineCommand({
      name: 'report',
      description: 'per-miner figures: score, success rate, latency, throughput, integrity, online, result codes',
      run: async (ctx) => {
        const r = await (await agora()).withClient(ctx, async c => c.incentives.report())
        if (flag(ctx, 'json')) { outJson(ctx, r); return }
        if (r.miners.length === 0) { out(ctx, `no miner probed yet on subnet ${r.netuid}`); return }
        printMiners(ctx, r.miners)
        const last = r.batches.slice(-5)
        if (last.length > 0) out(ctx, `signed reports, by CID (fetch: agora get <cid> -o batch.cbor): ${last.map(b => `round ${b.round} ${b.cid} (${b.reports})`).join(', ')}`)
      }
    })
  ]
})

function printMiners (ctx: CommandContext, miners: MinerFigures[]): void {
  out(ctx, 'uid  score   rsr(wilson)  p50 ttfb  throughput     integrity  online  codes')
  for (const m of [...miners].sort((a, b) => b.score - a.score)) {
    const b = m.lastBreakdown
    const codes = Object.entries(m.codeCounts).map(([c, n]) => `${c}:${n}`).join(' ')
    out(ctx, [
      String(m.uid).padEnd(4),
      m.score.toFixed(4).padEnd(7),
      (b == null ? '-' : b.rsrWilson.toFixed(3)).padEnd(12),
      (b?.p50TtfbMs == null ? '-' : `${b.p50TtfbMs} ms`).padEnd(9),
      (b?.medianThroughputBps == null ? '-' : `${(b.medianThroughputBps / 1e6).toFixed(1)} MB/s`).padEnd(14),
      m.integrityReputation.toFixed(4).padEnd(10),
      m.onlineScore.toFixed(3).padEnd(7),
      codes
    ].join(' '))
  }
}

function intOption (ctx: CommandContext, name: string, fallback: number): number {
  const s = str(ctx, name)
  if (s == null) return fallback
  const n = Number(s)
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${name} must be a positive integer, got ${s}`)
  return n
}

/** `--miners`, or its old name `--peers` (both given: they must agree). */
function minerCount (ctx: CommandContext): number {
  const miners = intOption(ctx, 'miners', 3)
  if (str(ctx, 'peers') == null) return miners
  const peers = intOption(ctx, 'peers', 3)
  if (str(ctx, 'miners') != null && peers !== miners) throw new UsageError(`--peers is the old name of --miners: give one of them (got --miners ${miners} and --peers ${peers})`)
  return peers
}

/** `agora devnet`. */
const devnetCommand = defineCommand({
  name: 'devnet',
  description: 'start a local network of real peers on 127.0.0.1: dev chain, subnet, miners, validators, free listings (Ctrl-C stops all)',
  options: {
    miners: { type: 'string', description: 'miners (default 3); the devnet also runs the authority and the validators', valueName: '<n>' },
    peers: { type: 'string', description: 'the old name of --miners (the same number: miners, not all peers)', valueName: '<n>' },
    validators: { type: 'string', description: 'validators (default 1)', valueName: '<n>' },
    dir: { type: 'string', description: 'directory of the peers\' repos (default: a new temp dir; reused when it holds a devnet)', valueName: '<dir>' },
    'block-time': { type: 'string', description: 'ms between blocks (default 500)', valueName: '<ms>' },
    tempo: { type: 'string', description: 'subnet tempo in blocks (default 20)', valueName: '<n>' },
    'commit-reveal': { type: 'boolean', description: 'validators commit their weights and reveal them an epoch later' }
  },
  run: async (ctx) => {
    const { startDevnet } = await import('../devnet.ts')
    const init = {
      miners: minerCount(ctx),
      validators: intOption(ctx, 'validators', 1),
      dir: str(ctx, 'dir') == null ? undefined : resolve(ctx.io.cwd, str(ctx, 'dir') ?? ''),
      blockTimeMs: intOption(ctx, 'block-time', 500),
      tempo: intOption(ctx, 'tempo', 20),
      commitReveal: flag(ctx, 'commit-reveal'),
      log: (l: string) => { ctx.io.stderr.write(`${l}\n`) }
    }
    // Policy: the signal handler is in place before any peer starts, so Ctrl-C at any moment
    // (also during start-up, or just after the ready line) stops every peer the devnet started
    const sigs = signals(ctx)
    try {
      return await runDevnet(ctx, await startDevnet(init), sigs.first)
    } finally {
      sigs.release()
    }
  }
})

/** Prints how to reach the devnet's peers, then stops them all on the first signal. */
async function runDevnet (ctx: CommandContext, net: Devnet, signal: Promise<string>): Promise<number> {
  const view = { dir: net.dir, netuid: net.netuid, genesis: net.genesis, content: net.content, peers: net.peers }
  if (flag(ctx, 'json')) outJson(ctx, view)
  else {
    out(ctx, `devnet in ${net.dir}, subnet ${net.netuid}, genesis ${net.genesis}`)
    for (const p of net.peers) {
      out(ctx, `${p.name.padEnd(12)} ${p.role.padEnd(9)} ${p.peerId}`)
      out(ctx, `${''.padEnd(22)} repo ${p.repo}   API ${p.api}   gateway ${p.gateway}`)
      out(ctx, `${''.padEnd(22)} ${p.addresses[0]}`)
    }
    out(ctx, `content: ${net.content.join(' ')}`)
    out(ctx, `try: AGORA_REPO=${net.peers[net.peers.length - 1].repo} agora status   (Ctrl-C stops every peer)`)
    out(ctx, `DEVNET_READY ${JSON.stringify(view)}`)
  }
  const sig = await signal
  ctx.io.stderr.write(`received ${sig}, stopping ${net.peers.length} peers\n`)
  await net.stop()
  return 0
}

/** The incentives commands. */
export const incentivesCommands: CommandDef[] = [status, validator, devnetCommand]
