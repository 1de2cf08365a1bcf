/**
 * Ledger commands, shaped like btcli: `wallet create|list|balance|transfer`,
 * `chain genesis|status|block`, and (from `ledger-subnet.ts`) `stake`, `subnet`, `weights`.
 * Coldkeys live in the password-encrypted keystore `<repo>/wallets`; transactions are signed
 * here and submitted through the daemon's chain API.
 */
import { writeFile } from 'node:fs/promises'
import { resolve as resolvePath } from 'node:path'
import { defineCommand, list, out, outJson, str, flag } from '../command.ts'
import { UsageError } from '../errors.ts'
import { TX_OPTIONS, WALLET_OPTION } from '../ledger-options.ts'
import { subnetCommands } from '../ledger-subnet.ts'
import type { CommandDef } from '../command.ts'

// Lazy loading: the ledger (keys, codecs, wallets) and the daemon client load inside `run`, so
// these definitions cost nothing to `--help` or to commands that never touch the ledger.
const ledger = async () => import('../../ledger/index.ts')
const client = async () => import('../ledger-client.ts')
const agora = async () => import('../connect.ts')

const walletCreate = defineCommand({
  name: 'create',
  description: 'create a coldkey in the password-encrypted keystore (<repo>/wallets)',
  options: {
    name: { type: 'string', description: 'wallet name (default: default, or dev with --dev)', valueName: '<name>' },
    dev: { type: 'boolean', description: 'import the well-known dev account that funds `agora daemon --dev` chains (INSECURE: its seed is public)' }
  },
  async run (ctx) {
    const { createWallet, devAccount } = await ledger()
    const { password, walletDir } = await client()
    const dev = flag(ctx, 'dev')
    const name = str(ctx, 'name') ?? (dev ? 'dev' : 'default')
    const w = await createWallet(walletDir(ctx), name, await password(ctx, true), dev ? devAccount().secretKey : undefined)
    if (flag(ctx, 'json')) outJson(ctx, { name: w.name, address: w.address, path: w.path })
    else out(ctx, `created wallet ${w.name}\n  coldkey ${w.address}\n  keystore ${w.path}`)
  }
})

const walletList = defineCommand({
  name: 'list',
  description: 'list the coldkeys in the keystore',
  async run (ctx) {
    const { listWallets } = await ledger()
    const { walletDir } = await client()
    const wallets = await listWallets(walletDir(ctx))
    if (flag(ctx, 'json')) return outJson(ctx, wallets)
    if (wallets.length === 0) { ctx.io.stderr.write(`no wallets in ${walletDir(ctx)} (create one with: agora wallet create)\n`); return }
    const w = Math.max(...wallets.map(x => x.name.length))
    for (const x of wallets) out(ctx, `${x.name.padEnd(w)}  ${x.address}`)
  }
})

const chainGenesis = defineCommand({
  name: 'genesis',
  description: 'write a genesis file for a multi-peer network',
  options: {
    authority: { type: 'string', description: 'the block producer: its hotkey address, or its peer id (agora id shows both) (required)', valueName: '<address|peer id>' },
    'chain-id': { type: 'string', default: 'agora', description: 'chain id', valueName: '<id>' },
    fund: { type: 'string', multiple: true, description: 'fund an account: <address or peer id>=<TAO> (repeatable; without it nobody holds TAO)', valueName: '<addr=TAO>' },
    'block-time': { type: 'string', default: '12000', description: 'milliseconds between blocks', valueName: '<ms>' },
    tempo: { type: 'string', description: 'tempo of new subnets (blocks)', valueName: '<n>' },
    param: { type: 'string', multiple: true, description: 'any chain parameter: <name>=<value>, or newSubnet.<name>=<value> for new subnets (repeatable; see src/ledger/params.ts)', valueName: '<k=v>' },
    output: { type: 'string', short: 'o', description: 'write to this file instead of stdout', valueName: '<file>' },
    force: { type: 'boolean', description: 'replace the -o file if it exists' }
  },
  async run (ctx) {
    const { isAddress, makeGenesis, toAddress } = await ledger()
    const { taoToRao } = await client()
    // an address, or the peer id of an ed25519 peer key (the same key is its hotkey)
    const addressArg = async (s: string | undefined): Promise<string | undefined> => {
      if (s == null || isAddress(s)) return s
      const { peerIdFromString } = await import('@libp2p/peer-id')
      try {
        const key = peerIdFromString(s).publicKey
        return key?.type === 'Ed25519' ? toAddress(key.raw) : undefined
      } catch {
        return undefined
      }
    }
    const authority = await addressArg(str(ctx, 'authority'))
    if (authority == null) throw new UsageError(str(ctx, 'authority') == null ? '--authority is required: the block producer\'s hotkey address or peer id (agora id on that peer shows both)' : `--authority ${str(ctx, 'authority') ?? ''} is neither an SS58 address nor an ed25519 peer id`)
    const balances: Record<string, bigint> = {}
    for (const f of list(ctx, 'fund')) {
      const [given, amount] = f.split('=')
      const addr = await addressArg(given)
      if (addr == null || amount == null) throw new UsageError(`--fund wants <address or peer id>=<TAO>, got ${f}`)
      balances[addr] = (balances[addr] ?? 0n) + taoToRao(amount)
    }
    const blockTimeMs = Number(str(ctx, 'block-time'))
    if (!Number.isSafeInteger(blockTimeMs) || blockTimeMs < 10) throw new UsageError('--block-time must be an integer number of ms (>= 10)')
    const tempo = str(ctx, 'tempo')
    // Policy: subnets share the emission evenly unless a --param says otherwise: the chain's
    // "root" split pays subnets by root validators' weights, so a new network without root
    // validators would pay every subnet 0 TAO for ever (--param emissionSplit=root for it)
    const params: Record<string, unknown> = { blockTimeMs, emissionSplit: 'even' }
    const newSubnet: Record<string, unknown> = {}
    if (tempo != null) newSubnet.tempo = Number(tempo)
    for (const p of list(ctx, 'param')) {
      const m = /^(newSubnet\.)?([A-Za-z]+)=(.+)$/.exec(p)
      if (m == null) throw new UsageError(`--param wants <name>=<value>, got ${p}`)
      const v = m[3] === 'true' ? true : m[3] === 'false' ? false : /^\d+$/.test(m[3]) && Number.isSafeInteger(Number(m[3])) ? Number(m[3]) : m[3]
      if (m[1] != null) newSubnet[m[2]] = v
      else params[m[2]] = v
    }
    if (Object.keys(newSubnet).length > 0) params.newSubnet = newSubnet
    const doc = makeGenesis({ chainId: str(ctx, 'chain-id') ?? 'agora', authority, balances, timestamp: Date.now(), params })
    const text = JSON.stringify(doc, null, 2) + '\n'
    const file = str(ctx, 'output')
    if (file == null) {
      ctx.io.stdout.write(text)
      return
    }
    const path = resolvePath(ctx.io.cwd, file)
    try {
      await writeFile(path, text, { flag: flag(ctx, 'force') ? 'w' : 'wx' })
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      const { OutputExistsError } = await import('../../store/index.ts')
      throw new OutputExistsError(`${path} exists: nothing was written (use --force to replace it)`)
    }
    if (flag(ctx, 'json')) outJson(ctx, { path, chainId: doc.chainId, authority: doc.authority })
    else out(ctx, `wrote genesis of chain ${doc.chainId} to ${path}`)
  }
})

const walletBalance = defineCommand({
  name: 'balance',
  description: 'free balance and stake of a coldkey',
  options: { ...WALLET_OPTION, address: { type: 'string', description: 'any address (instead of a wallet)', valueName: '<address>' } },
  async run (ctx) {
    const { addressOf, amountJson, raoToTao } = await client()
    const address = await addressOf(ctx)
    const a = await (await agora()).withClient(ctx, async c => c.chain.account(address))
    const staked = a.stakes.reduce((s, x) => s + BigInt(x.stake), 0n)
    if (flag(ctx, 'json')) return outJson(ctx, { address, free: amountJson(a.balance), staked: amountJson(staked), total: amountJson(BigInt(a.balance) + staked), nonce: a.nonce })
    out(ctx, `${address}\n  free    ${raoToTao(a.balance)} TAO\n  staked  ${raoToTao(staked)} TAO\n  total   ${raoToTao(BigInt(a.balance) + staked)} TAO`)
  }
})

const walletTransfer = defineCommand({
  name: 'transfer',
  description: 'send TAO from a coldkey to an address',
  options: {
    ...TX_OPTIONS,
    dest: { type: 'string', description: 'destination address', valueName: '<address>' },
    amount: { type: 'string', description: 'TAO (decimal, up to 9 places)', valueName: '<TAO>' }
  },
  async run (ctx) {
    const { isAddress } = await ledger()
    const { amountJson, coldkey, landed, raoToTao, signAndSubmit, taoToRao } = await client()
    const dest = str(ctx, 'dest')
    if (dest == null) throw new UsageError('--dest <address> is required (an SS58 address)')
    if (!isAddress(dest)) throw new UsageError(`--dest ${dest} is not an SS58 address (5…, 48 characters, with a checksum)`)
    const amountText = str(ctx, 'amount')
    if (amountText == null) throw new UsageError('--amount <TAO> is required')
    const amount = taoToRao(amountText)
    const key = await coldkey(ctx)
    const r = await (await agora()).withClient(ctx, async c => signAndSubmit(ctx, c, key, { kind: 'transfer', to: dest, amount }))
    if (flag(ctx, 'json')) return outJson(ctx, { ...r, from: key.address, to: dest, amount: amountJson(amount) })
    out(ctx, `sent ${raoToTao(amount)} TAO to ${dest} ${landed(r)}`)
  }
})

const chainStatus = defineCommand({
  name: 'status',
  description: 'the chain head as this daemon sees it',
  async run (ctx) {
    const { amountJson, raoToTao } = await client()
    const s = await (await agora()).withClient(ctx, async c => c.chain.status())
    if (flag(ctx, 'json')) return outJson(ctx, { ...s, globals: { ...s.globals, issuance: amountJson(s.globals.issuance), blockEmission: amountJson(s.globals.blockEmission) } })
    out(ctx, `chain       ${s.chainId} (genesis ${s.genesisHash.slice(0, 16)}…)`)
    out(ctx, `height      ${s.height}  ${s.hash}`)
    out(ctx, `state root  ${s.stateRoot}`)
    out(ctx, `authority   ${s.authority}${s.isAuthority ? ' (this peer)' : ''}`)
    out(ctx, `hotkey      ${s.hotkey}`)
    out(ctx, `issuance    ${raoToTao(s.globals.issuance)} TAO, ${raoToTao(s.globals.blockEmission)} TAO per block, subnets ${s.globals.netuids.join(' ')}`)
    out(ctx, `pending     ${s.pending} transactions`)
  }
})

const chainBlock = defineCommand({
  name: 'block',
  description: 'one block: header and transactions',
  positionals: [{ name: 'n', description: 'block height', required: true }],
  async run (ctx) {
    const n = ctx.positionals[0]
    if (!/^\d{1,15}$/.test(n)) throw new UsageError(`not a block height: ${n}`)
    const b = await (await agora()).withClient(ctx, async c => c.chain.block(Number(n)))
    if (flag(ctx, 'json')) return outJson(ctx, b)
    out(ctx, `block ${b.height}  ${b.hash}`)
    out(ctx, `parent      ${b.header.parent}\nstate root  ${b.header.stateRoot}\ntime        ${new Date(b.header.timestamp).toISOString()}\ntxs         ${b.header.txCount}`)
    for (const t of b.txs) out(ctx, `  ${t.hash.slice(0, 16)}…  ${t.body.kind.padEnd(15)} ${t.signer} #${t.nonce}`)
  }
})

/** The ledger commands. */
export const ledgerCommands: CommandDef[] = [
  defineCommand({ name: 'wallet', description: 'coldkeys in a password-encrypted keystore; balances and transfers', subCommands: [walletCreate, walletList, walletBalance, walletTransfer] }),
  ...subnetCommands,
  defineCommand({ name: 'chain', description: 'the ledger chain', subCommands: [chainGenesis, chainStatus, chainBlock] })
]
