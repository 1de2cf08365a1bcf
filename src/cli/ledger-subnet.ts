/**
 * btcli-shaped commands over the daemon's chain API: `stake add|remove|show`,
 * `subnet create|list|show|register`, `weights set|commit|reveal`. Coldkey transactions are
 * signed here with the keystore; weights are signed by the daemon with its hotkey.
 */
import { defineCommand, flag, out, outJson, str } from './command.ts'
import { UsageError } from './errors.ts'
import { TX_OPTIONS, WALLET_OPTION } from './ledger-options.ts'
import type { AgoraClient } from './agora-client.ts'
import type { CommandContext, CommandDef, OptionDef } from './command.ts'

// Lazy loading: the ledger and the daemon client load inside `run` (not for `--help`).
const client = async () => import('./ledger-client.ts')
const agora = async () => import('./connect.ts')

const HOTKEY_OPTION: Record<string, OptionDef> = {
  hotkey: { type: 'string', description: "hotkey address (default: the daemon's own hotkey)", valueName: '<address>' }
}

async function hotkeyOf (ctx: CommandContext, c: AgoraClient): Promise<string> {
  const h = str(ctx, 'hotkey')
  if (h != null) {
    if (!(await import('../ledger/index.ts')).isAddress(h)) throw new UsageError(`--hotkey is not an SS58 address: ${h}`)
    return h
  }
  return (await c.chain.status()).hotkey
}

function netuidOf (ctx: CommandContext, min = 0): number {
  const s = str(ctx, 'netuid')
  const n = Number(s)
  if (s == null || !/^\d+$/.test(s) || n < min || n > 65_535) throw new UsageError(`--netuid <n> is required (${min}..65535)`)
  return n
}

async function amountOf (ctx: CommandContext): Promise<bigint> {
  const a = str(ctx, 'amount')
  if (a == null) throw new UsageError('--amount <TAO> is required')
  return (await client()).taoToRao(a)
}

const NETUID: Record<string, OptionDef> = { netuid: { type: 'string', description: 'subnet number', valueName: '<n>' } }

function stakeMove (name: 'add' | 'remove'): CommandDef {
  return defineCommand({
    name,
    description: name === 'add' ? 'stake free TAO of the coldkey to a hotkey' : 'unstake TAO from a hotkey back to the coldkey',
    options: { ...TX_OPTIONS, ...HOTKEY_OPTION, amount: { type: 'string', description: 'TAO (decimal, up to 9 places)', valueName: '<TAO>' } },
    async run (ctx) {
      const { amountJson, coldkey, landed, raoToTao, signAndSubmit } = await client()
      const amount = await amountOf(ctx)
      const key = await coldkey(ctx)
      const r = await (await agora()).withClient(ctx, async (c) => {
        const hotkey = await hotkeyOf(ctx, c)
        return { hotkey, ...await signAndSubmit(ctx, c, key, { kind: name === 'add' ? 'addStake' : 'removeStake', hotkey, amount }) }
      })
      if (flag(ctx, 'json')) return outJson(ctx, { ...r, coldkey: key.address, amount: amountJson(amount) })
      out(ctx, `${name === 'add' ? 'staked' : 'unstaked'} ${raoToTao(amount)} TAO ${name === 'add' ? 'to' : 'from'} ${r.hotkey} ${landed(r)}`)
    }
  })
}

const stakeShow = defineCommand({
  name: 'show',
  description: 'stake of a coldkey per hotkey',
  options: { ...WALLET_OPTION, address: { type: 'string', description: 'coldkey address (instead of a wallet)', valueName: '<address>' } },
  async run (ctx) {
    const { addressOf, amountJson, raoToTao } = await client()
    const address = await addressOf(ctx)
    const a = await (await agora()).withClient(ctx, async c => c.chain.account(address))
    const total = a.stakes.reduce((s, x) => s + BigInt(x.stake), 0n)
    if (flag(ctx, 'json')) return outJson(ctx, { coldkey: address, stakes: a.stakes.map(s => ({ hotkey: s.hotkey, stake: amountJson(s.stake) })), total: amountJson(total) })
    for (const s of a.stakes) out(ctx, `${s.hotkey}  ${raoToTao(s.stake)} TAO`)
    out(ctx, `total ${raoToTao(total)} TAO staked by ${address}`)
  }
})

const subnetCreate = defineCommand({
  name: 'create',
  description: 'register a new subnet, locking the current lock cost from the coldkey',
  options: TX_OPTIONS,
  async run (ctx) {
    const { coldkey, landed, signAndSubmit } = await client()
    const key = await coldkey(ctx)
    const r = await (await agora()).withClient(ctx, async (c) => {
      const s = await signAndSubmit(ctx, c, key, { kind: 'registerNetwork' })
      if (s.block == null) return { ...s, netuid: undefined }
      const { subnets } = await c.chain.subnets()
      return { ...s, netuid: subnets.find(x => x.owner === key.address && x.registeredAt === s.block)?.netuid }
    })
    if (flag(ctx, 'json')) return outJson(ctx, { ...r, owner: key.address })
    out(ctx, `${r.netuid != null ? `registered subnet ${r.netuid}` : 'subnet registration'} ${landed(r)}`)
  }
})

const subnetList = defineCommand({
  name: 'list',
  description: 'the subnets, with UIDs, burn, emission and tempo',
  async run (ctx) {
    const { amountJson, raoToTao } = await client()
    const r = await (await agora()).withClient(ctx, async c => c.chain.subnets())
    if (flag(ctx, 'json')) return outJson(ctx, { subnets: r.subnets.map(s => ({ netuid: s.netuid, owner: s.owner, n: s.n, maxUids: s.params.maxAllowedUids, tempo: s.params.tempo, burn: amountJson(s.burn), lock: amountJson(s.lock), emission: amountJson(s.emissionValue) })), lockCost: amountJson(r.lockCost) })
    out(ctx, 'NETUID  N/MAX      TEMPO  BURN (TAO)     EMISSION/BLOCK  OWNER')
    for (const s of r.subnets) {
      out(ctx, `${String(s.netuid).padEnd(6)}  ${`${s.n}/${s.params.maxAllowedUids}`.padEnd(9)}  ${String(s.params.tempo).padEnd(5)}  ${raoToTao(s.burn).padEnd(13)}  ${raoToTao(s.emissionValue).padEnd(14)}  ${s.owner ?? '-'}`)
    }
    out(ctx, `next subnet lock cost: ${raoToTao(r.lockCost)} TAO`)
  }
})

const U16 = 65_535
const f = (x: number): string => (x / U16).toFixed(4)

const subnetShow = defineCommand({
  name: 'show',
  description: 'the metagraph of a subnet: uid, hotkey, stake, permit, trust, consensus, incentive, dividends, emission',
  options: NETUID,
  async run (ctx) {
    const { amountJson, raoToTao } = await client()
    const netuid = netuidOf(ctx)
    const r = await (await agora()).withClient(ctx, async c => c.chain.subnet(netuid))
    if (flag(ctx, 'json')) {
      return outJson(ctx, {
        netuid,
        subnet: { owner: r.subnet.owner, n: r.subnet.n, tempo: r.subnet.params.tempo, burn: amountJson(r.subnet.burn), pending: amountJson(r.subnet.pending) },
        // u16 fixed-point values as the chain keeps them; divide by 65535 for the fraction
        metagraph: r.metagraph.map(m => ({ ...m, stake: amountJson(m.stake), emission: amountJson(m.emission) }))
      })
    }
    out(ctx, `subnet ${netuid}: ${r.subnet.n} UIDs, tempo ${r.subnet.params.tempo}, burn ${raoToTao(r.subnet.burn)} TAO, owner ${r.subnet.owner ?? '-'}`)
    out(ctx, 'UID  HOTKEY                                            STAKE(TAO)      PERMIT  TRUST   CONSENSUS  INCENTIVE  DIVIDENDS  EMISSION(TAO)')
    for (const m of r.metagraph) {
      out(ctx, `${String(m.uid).padEnd(3)}  ${m.hotkey.padEnd(48)}  ${raoToTao(m.stake).padEnd(14)}  ${(m.permit ? 'yes' : 'no').padEnd(6)}  ${f(m.trust)}  ${f(m.consensus).padEnd(9)}  ${f(m.incentive).padEnd(9)}  ${f(m.dividends).padEnd(9)}  ${raoToTao(m.emission)}`)
    }
  }
})

const subnetRegister = defineCommand({
  name: 'register',
  description: "burn-register a hotkey on a subnet (default: the daemon's hotkey), paid by the coldkey",
  options: { ...TX_OPTIONS, ...HOTKEY_OPTION, ...NETUID },
  async run (ctx) {
    const { coldkey, landed, signAndSubmit } = await client()
    const netuid = netuidOf(ctx, 1)
    const key = await coldkey(ctx)
    const r = await (await agora()).withClient(ctx, async (c) => {
      const hotkey = await hotkeyOf(ctx, c)
      const s = await signAndSubmit(ctx, c, key, { kind: 'burnedRegister', netuid, hotkey })
      const uid = s.block == null ? undefined : (await c.chain.subnet(netuid)).metagraph.find(m => m.hotkey === hotkey)?.uid
      return { ...s, hotkey, netuid, uid }
    })
    if (flag(ctx, 'json')) return outJson(ctx, r)
    out(ctx, `registered ${r.hotkey} on subnet ${netuid}${r.uid != null ? ` as uid ${r.uid}` : ''} ${landed(r)}`)
  }
})

function u16List (ctx: CommandContext, name: string): number[] {
  const s = str(ctx, name)
  if (s == null) throw new UsageError(`--${name} <a,b,…> is required`)
  return s.split(',').map(x => {
    const n = Number(x.trim())
    if (!/^\d+$/.test(x.trim()) || n > U16) throw new UsageError(`--${name}: ${x} is not an integer 0..65535`)
    return n
  })
}

function weightsCommand (action: 'set' | 'commit' | 'reveal'): CommandDef {
  return defineCommand({
    name: action,
    description: action === 'set'
      ? 'set the daemon hotkey\'s weights on a subnet (u16 values; the chain normalizes them)'
      : action === 'commit' ? 'commit to weights (prints the salt needed to reveal)' : 'reveal weights committed earlier',
    options: {
      ...NETUID,
      uids: { type: 'string', description: 'uids, comma-separated', valueName: '<a,b,…>' },
      values: { type: 'string', description: 'weights as u16 integers, comma-separated, same order as --uids', valueName: '<a,b,…>' },
      'version-key': { type: 'string', default: '0', description: 'weights version key', valueName: '<n>' },
      ...(action === 'set' ? {} : { salt: { type: 'string', description: `hex salt${action === 'commit' ? ' (default: random)' : ' (from the commit)'}`, valueName: '<hex>' } }),
      'no-wait': TX_OPTIONS['no-wait']
    },
    async run (ctx) {
      const { landed } = await client()
      const netuid = netuidOf(ctx)
      const uids = u16List(ctx, 'uids')
      const values = u16List(ctx, 'values')
      if (uids.length !== values.length) throw new UsageError('--uids and --values differ in length')
      const versionKey = Number(str(ctx, 'version-key') ?? '0')
      if (!Number.isSafeInteger(versionKey) || versionKey < 0) throw new UsageError('--version-key must be a non-negative integer')
      const salt = str(ctx, 'salt')
      if (action === 'reveal' && salt == null) throw new UsageError('--salt <hex> is required (printed by weights commit)')
      const r = await (await agora()).withClient(ctx, async c => c.chain.weights({ action, netuid, uids, values, versionKey, salt }, !flag(ctx, 'no-wait')))
      if (flag(ctx, 'json')) return outJson(ctx, { ...r, netuid })
      out(ctx, `weights ${action === 'set' ? 'set' : action === 'commit' ? 'committed' : 'revealed'} by ${r.hotkey} on subnet ${netuid} ${landed(r)}`)
      if (action === 'commit') out(ctx, `salt ${r.salt ?? ''} (keep it: agora weights reveal --salt ${r.salt ?? ''} …)`)
    }
  })
}

/** `stake`, `subnet`, `weights`. */
export const subnetCommands: CommandDef[] = [
  defineCommand({ name: 'stake', description: 'stake TAO to hotkeys', subCommands: [stakeMove('add'), stakeMove('remove'), stakeShow] }),
  defineCommand({ name: 'subnet', description: 'subnets and their metagraphs', subCommands: [subnetCreate, subnetList, subnetShow, subnetRegister] }),
  defineCommand({ name: 'weights', description: "the daemon hotkey's weights", subCommands: [weightsCommand('set'), weightsCommand('commit'), weightsCommand('reveal')] })
]
