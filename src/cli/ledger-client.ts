/**
 * What the ledger commands share: TAO amounts (parsed and shown exactly, as bigint rao), the
 * coldkey keystore and its password, and signing + submitting through the client's chain.
 */
import { join } from 'node:path'
import { formatTao, listWallets, openWallet, parseTao, signTx } from '../ledger/index.ts'
import { flag, str } from './command.ts'
import { repoPath } from './connect.ts'
import { UsageError, WalletNotFoundError } from './errors.ts'
import { PASSWORD_ENV } from './ledger-options.ts'
import type { AgoraClient } from './agora-client.ts'
import type { SubmittedWire } from '../api/index.ts'
import type { CommandContext } from './command.ts'
import type { KeyPair, TxBody, WalletInfo } from '../ledger/index.ts'

/** Parse a TAO amount ("5", "0.25", "0.000000001") into rao, exactly: the ledger's `parseTao`. */
export function taoToRao (s: string): bigint {
  try {
    return parseTao(s.trim())
  } catch (err) {
    if ((err as Error).name === 'InvalidAmountError') throw new UsageError(`${(err as Error).message} (e.g. 5 or 0.25)`, { cause: err })
    throw err
  }
}

/** Show rao as TAO, exactly: "1.5", "0.000000001", "21000000" (the ledger's `formatTao`). */
export function raoToTao (rao: bigint | string): string {
  return formatTao(BigInt(rao))
}

/** An amount for `--json`: both units, as strings (exact). */
export function amountJson (rao: bigint | string): { rao: string, tao: string } {
  return { rao: BigInt(rao).toString(), tao: raoToTao(rao) }
}

/** The keystore directory of the repo. */
export function walletDir (ctx: CommandContext): string {
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
export async function password (ctx: CommandContext, confirm: boolean): Promise<string> {
  const env = ctx.io.env[PASSWORD_ENV]
  if (env != null && env !== '') return env
  const first = await promptHidden(ctx, 'Wallet password: ')
  if (confirm && await promptHidden(ctx, 'Repeat password: ') !== first) throw new UsageError('the passwords differ')
  if (first === '') throw new UsageError('the password must not be empty')
  return first
}

/**
 * The wallet a command uses. Policy (one convention for every command): `--name` when given;
 * else the wallet named `default`; else the only wallet there is (so `wallet create --dev`,
 * which names it `dev`, needs no `--name` after it). None, or a name that is not there:
 * `WalletNotFoundError`; several and none named `default`: a `UsageError` listing them.
 */
async function chosenWallet (ctx: CommandContext): Promise<WalletInfo> {
  const dir = walletDir(ctx)
  const wallets = await listWallets(dir)
  const given = str(ctx, 'name')
  if (given != null) {
    const w = wallets.find(x => x.name === given)
    if (w == null) throw new WalletNotFoundError(`no wallet ${given} in ${dir}${wallets.length > 0 ? ` (there: ${wallets.map(x => x.name).join(', ')})` : ''}: create it with agora wallet create --name ${given}`)
    return w
  }
  const w = wallets.find(x => x.name === 'default') ?? (wallets.length === 1 ? wallets[0] : undefined)
  if (w != null) return w
  if (wallets.length === 0) throw new WalletNotFoundError(`no wallet in ${dir}: create one with agora wallet create (on a dev chain: agora wallet create --dev)`)
  throw new UsageError(`${wallets.length} wallets in ${dir} and none is named default: choose one with --name (${wallets.map(x => x.name).join(', ')})`)
}

/** Open the coldkey the command uses ({@link chosenWallet}; asks for the password). */
export async function coldkey (ctx: CommandContext): Promise<KeyPair & { address: string, name: string }> {
  const w = await chosenWallet(ctx)
  return openWallet(walletDir(ctx), w.name, await password(ctx, false))
}

/** The address of `--address`, else of the wallet the command uses (no password needed). */
export async function addressOf (ctx: CommandContext): Promise<string> {
  const a = str(ctx, 'address')
  if (a != null) return a
  return (await chosenWallet(ctx)).address
}

/** What a submitted transaction reports. */
export type Submitted = SubmittedWire

/** Sign `body` with the coldkey (next nonce from the daemon) and submit it; waits for its block unless `--no-wait`. */
export async function signAndSubmit (ctx: CommandContext, c: AgoraClient, key: KeyPair & { address: string }, body: TxBody): Promise<Submitted> {
  const status = await c.chain.status()
  const acct = await c.chain.account(key.address)
  const stx = signTx({ chainId: status.chainId, signer: key.address, nonce: acct.nextNonce, body }, key.secretKey)
  return c.chain.submit(stx.bytes, !flag(ctx, 'no-wait'))
}

/** A line saying where a transaction landed. */
export function landed (r: Submitted): string {
  return r.block != null ? `in block ${r.block} (tx ${r.hash})` : `submitted (tx ${r.hash}), not waiting for its block`
}
