/**
 * `agora buy <id>`: the buyer's coldkey pays the listing's price into escrow (recipient: a
 * one-time key the daemon made for this purchase; agent: the daemon's hotkey), the daemon waits
 * for the seller's delivery, checks the key and accepts it (the seller is paid) or disputes it
 * (the chain refunds), fetches and decrypts. Run again, it pays nothing for a listing already
 * bought or an escrow of ours still under way. When the seller does not deliver in time, the
 * same coldkey takes the refund.
 */
import { join, resolve } from 'node:path'
import { assertSafeName, entryKind, OutputExistsError } from '../store/index.ts'
import { flag, out, outJson, str } from './command.ts'
import { withClient } from './connect.ts'
import { UsageError } from './errors.ts'
import { coldkey, signAndSubmit } from './ledger-client.ts'
import { formatTao } from './market-format.ts'
import { formatBytes, progressBar } from './progress.ts'
import type { AgoraClient } from './agora-client.ts'
import type { ReceivedWire } from '../api/index.ts'
import type { CommandContext } from './command.ts'

/** Where `buy` writes: `-o` as given, else a new directory named after the listing. */
interface Destination { path: string, into: boolean }

/**
 * The directory name for a listing's files in the current directory.
 *
 * Policy: the seller chose the name; anything but letters, digits, `.`, `_` and `-` becomes `_`
 * and leading dots are dropped (no hidden `.bashrc`, no `..`), so the result is one plain name.
 */
export function listingDirName (name: string): string {
  const clean = name.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '').slice(0, 100)
  const dir = clean === '' ? 'listing' : clean
  assertSafeName(dir)
  return dir
}

function destination (ctx: CommandContext, listingName: string): Destination {
  const o = str(ctx, 'output')
  return o != null ? { path: resolve(ctx.io.cwd, o), into: false } : { path: join(ctx.io.cwd, listingDirName(listingName)), into: true }
}

/**
 * Before paying: refuse when a file of the listing would land on an existing entry (the daemon
 * keeps one with the listed bytes, but that is only known after the purchase).
 */
async function assertFree (dest: Destination, files: Array<{ path: string }>): Promise<void> {
  const paths = files.length === 1 && !dest.into ? [dest.path] : files.map(f => join(dest.path, ...f.path.split('/')))
  for (const p of paths) {
    if (await entryKind(p) !== 'none') throw new OutputExistsError(`${JSON.stringify(p)} exists: nothing was paid (use --force to replace it, or -o <path>)`)
  }
}

async function receive (ctx: CommandContext, c: AgoraClient, id: string, escrow: string | undefined, dest: Destination, total: number): Promise<ReceivedWire> {
  const bar = progressBar(ctx.io, 'fetching', !flag(ctx, 'json'))
  try {
    return await c.market.receive({ id, escrow, out: dest.path, into: dest.into, force: flag(ctx, 'force'), onProgress: (bytes) => { bar.update(bytes, total) } })
  } finally {
    bar.done()
  }
}

/**
 * `agora buy <id>` (its definition, options and help are in commands/market.ts, loaded for
 * every command; this module, with the store and the API client, only when it runs).
 */
export async function buy (ctx: CommandContext): Promise<number> {
  const id = ctx.positionals[0]
  const windowText = str(ctx, 'window') ?? '20'
  const window = Number(windowText)
  if (!Number.isSafeInteger(window) || window < 1 || window > 100_800) throw new UsageError(`--window must be 1 to 100800 blocks, got ${windowText}`)
  return withClient(ctx, async (c) => {
    const q = await c.market.quote(id)
    if (!flag(ctx, 'json')) {
      if (q.superseded) ctx.io.stderr.write(`${id} is an earlier version: this buys the current one, version ${q.listing.version} (${q.listing.id})\n`)
      for (const e of q.ownedEarlier) ctx.io.stderr.write(`you bought an earlier version (${e}; agora buy ${e} downloads it again): a purchase is of one version, so this one is paid for anew\n`)
    }
    const files = q.listing.files
    const dest = destination(ctx, q.listing.name)
    if (!q.owned && !flag(ctx, 'force')) await assertFree(dest, files)
    let escrow: string | undefined
    let key: Awaited<ReturnType<typeof coldkey>> | undefined
    if (q.pending != null) {
      escrow = q.pending
      if (!flag(ctx, 'json')) ctx.io.stderr.write(`carrying on with escrow ${escrow} (nothing is paid again)\n`)
      key = await coldkey(ctx)
    } else if (!q.owned) {
      key = await coldkey(ctx)
      if (!flag(ctx, 'json')) ctx.io.stderr.write(`paying ${formatTao(q.amount)} into escrow for ${q.listing.name} (seller ${q.seller})\n`)
      const fromHex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'))
      const paid = await signAndSubmit(ctx, c, key, { kind: 'escrow', seller: q.seller, agent: q.agent, recipient: fromHex(q.recipient), commitment: fromHex(q.commitment), amount: BigInt(q.amount), listing: q.listing.id, timeout: window })
      escrow = paid.hash
      if (!flag(ctx, 'json')) ctx.io.stderr.write(`escrow ${escrow} in block ${paid.block ?? '?'}; waiting for the seller to deliver the key\n`)
    } else if (!flag(ctx, 'json')) {
      ctx.io.stderr.write('already bought: using the receipt (nothing is paid again)\n')
    }
    let done: ReceivedWire
    try {
      done = await receive(ctx, c, id, escrow, dest, q.listing.size)
    } catch (err) {
      if ((err as Error).name !== 'DeliveryTimeoutError' || escrow == null || key == null) throw err
      const r = await signAndSubmit(ctx, c, key, { kind: 'refund', escrow })
      if (flag(ctx, 'json')) outJson(ctx, { refunded: true, escrow, refund: r.hash, block: r.block })
      else out(ctx, `the seller did not deliver in time: refunded ${formatTao(q.amount)} (escrow ${escrow}, refund tx ${r.hash})`)
      return 2
    }
    if (flag(ctx, 'json')) { outJson(ctx, { listing: id, ...done }); return 0 }
    for (const f of done.files) out(ctx, `wrote ${f.path} (${formatBytes(f.size)}, sha256 ${f.sha256} verified)`)
    out(ctx, done.source === 'delivery' ? `bought with escrow ${done.escrow}; the receipt allows downloading again` : `downloaded again with the receipt of escrow ${done.escrow}`)
    return 0
  })
}
