/**
 * Ledger commands that work offline: the coldkey wallet (`wallet create|list`) and the genesis
 * file (`chain genesis`). Commands that need a running chain (balance, transfer, stake, subnet,
 * weights, chain status) come with the daemon's ledger API.
 */
import { writeFile } from 'node:fs/promises'
import { join, resolve as resolvePath } from 'node:path'
import { createWallet, isAddress, listWallets, makeGenesis } from '../../ledger/index.ts'
import { defineCommand, list, out, outJson, str, flag } from '../command.ts'
import { repoPath } from '../content-session.ts'
import { UsageError } from '../errors.ts'
import type { CommandContext, CommandDef } from '../command.ts'

/** The environment variable scripts put the wallet password in. */
export const PASSWORD_ENV = 'AGORA_WALLET_PASSWORD'

function walletDir (ctx: CommandContext): string {
  return join(repoPath(ctx), 'wallets')
}

/** Read one line from a TTY without echo. */
async function promptHidden (ctx: CommandContext, question: string): Promise<string> {
  const stdin = ctx.io.stdin as (NodeJS.ReadStream | undefined)
  if (stdin?.isTTY !== true || typeof stdin.setRawMode !== 'function') {
    throw new UsageError(`no password: set ${PASSWORD_ENV} or run on a terminal`)
  }
  ctx.io.stderr.write(question)
  stdin.setRawMode(true)
  stdin.resume()
  try {
    return await new Promise<string>((resolve, reject) => {
      let line = ''
      const onData = (chunk: Buffer): void => {
        for (const ch of chunk.toString('utf8')) {
          if (ch === '\r' || ch === '\n') { stdin.off('data', onData); ctx.io.stderr.write('\n'); resolve(line); return }
          if (ch === '\u0003') { stdin.off('data', onData); reject(new UsageError('cancelled')); return }
          if (ch === '\u007f' || ch === '\b') line = line.slice(0, -1)
          else line += ch
        }
      }
      stdin.on('data', onData)
    })
  } finally {
    stdin.setRawMode(false)
    stdin.pause()
  }
}

/** The wallet password: `$AGORA_WALLET_PASSWORD`, else a prompt (twice when creating). */
async function password (ctx: CommandContext, confirm: boolean): Promise<string> {
  const env = ctx.io.env[PASSWORD_ENV]
  if (env != null && env !== '') return env
  const first = await promptHidden(ctx, 'Wallet password: ')
  if (confirm && await promptHidden(ctx, 'Repeat password: ') !== first) throw new UsageError('the passwords differ')
  if (first === '') throw new UsageError('the password must not be empty')
  return first
}

const walletCreate = defineCommand({
  name: 'create',
  description: 'create a coldkey in the password-encrypted keystore (<repo>/wallets)',
  options: { name: { type: 'string', default: 'default', description: 'wallet name', valueName: '<name>' } },
  async run (ctx) {
    const name = str(ctx, 'name') ?? 'default'
    const w = await createWallet(walletDir(ctx), name, await password(ctx, true))
    if (flag(ctx, 'json')) outJson(ctx, { name: w.name, address: w.address, path: w.path })
    else out(ctx, `created wallet ${w.name}\n  coldkey ${w.address}\n  keystore ${w.path}`)
  }
})

const walletList = defineCommand({
  name: 'list',
  description: 'list the coldkeys in the keystore',
  async run (ctx) {
    const wallets = await listWallets(walletDir(ctx))
    if (flag(ctx, 'json')) return outJson(ctx, wallets)
    if (wallets.length === 0) return out(ctx, `no wallets in ${walletDir(ctx)} (create one with: agora wallet create)`)
    const w = Math.max(...wallets.map(x => x.name.length))
    for (const x of wallets) out(ctx, `${x.name.padEnd(w)}  ${x.address}`)
  }
})

const TAO_AMOUNT = /^(\d+)(?:\.(\d{1,9}))?$/

/** Parse "5" or "0.25" TAO into rao. */
function taoToRao (s: string): bigint {
  const m = TAO_AMOUNT.exec(s)
  if (m == null) throw new UsageError(`not a TAO amount: ${s}`)
  return BigInt(m[1]) * 1_000_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'))
}

const chainGenesis = defineCommand({
  name: 'genesis',
  description: 'write a genesis file for a multi-peer network',
  options: {
    authority: { type: 'string', description: 'address of the block producer (required)', valueName: '<address>' },
    'chain-id': { type: 'string', default: 'agora', description: 'chain id', valueName: '<id>' },
    fund: { type: 'string', multiple: true, description: 'fund an account: <address>=<TAO> (repeatable)', valueName: '<addr=TAO>' },
    'block-time': { type: 'string', default: '12000', description: 'milliseconds between blocks', valueName: '<ms>' },
    tempo: { type: 'string', description: 'tempo of new subnets (blocks)', valueName: '<n>' },
    output: { type: 'string', short: 'o', description: 'write to this file instead of stdout', valueName: '<file>' }
  },
  async run (ctx) {
    const authority = str(ctx, 'authority')
    if (authority == null || !isAddress(authority)) throw new UsageError('--authority <address> is required (an SS58 address)')
    const balances: Record<string, bigint> = {}
    for (const f of list(ctx, 'fund')) {
      const [addr, amount] = f.split('=')
      if (!isAddress(addr) || amount == null) throw new UsageError(`--fund wants <address>=<TAO>, got ${f}`)
      balances[addr] = (balances[addr] ?? 0n) + taoToRao(amount)
    }
    const blockTimeMs = Number(str(ctx, 'block-time'))
    if (!Number.isSafeInteger(blockTimeMs) || blockTimeMs < 10) throw new UsageError('--block-time must be an integer number of ms (>= 10)')
    const tempo = str(ctx, 'tempo')
    const params: Record<string, unknown> = { blockTimeMs }
    if (tempo != null) params.newSubnet = { tempo: Number(tempo) }
    const doc = makeGenesis({ chainId: str(ctx, 'chain-id') ?? 'agora', authority, balances, timestamp: Date.now(), params })
    const text = JSON.stringify(doc, null, 2) + '\n'
    const file = str(ctx, 'output')
    if (file == null) {
      ctx.io.stdout.write(text)
      return
    }
    const path = resolvePath(ctx.io.cwd, file)
    await writeFile(path, text, { flag: 'wx' })
    if (flag(ctx, 'json')) outJson(ctx, { path, chainId: doc.chainId, authority: doc.authority })
    else out(ctx, `wrote genesis of chain ${doc.chainId} to ${path}`)
  }
})

/** The ledger commands. */
export const ledgerCommands: CommandDef[] = [
  defineCommand({ name: 'wallet', description: 'coldkeys in a password-encrypted keystore', subCommands: [walletCreate, walletList] }),
  defineCommand({ name: 'chain', description: 'the ledger chain', subCommands: [chainGenesis] })
]
