/**
 * `agora buy <id>`: the buyer's coldkey pays the listing's price into escrow (recipient: this
 * daemon's hotkey), the daemon waits for the seller's delivery, checks the key, fetches and
 * decrypts; with a receipt from an earlier purchase nothing is paid again. When the seller does
 * not deliver in time, the same coldkey takes the refund.
 */
import { resolve } from 'node:path'
import { ApiError } from '../api/index.ts'
import { defineCommand, flag, out, outJson, str } from './command.ts'
import { withDaemon } from './content-session.ts'
import { UsageError } from './errors.ts'
import { coldkey, signAndSubmit, WALLET_OPTION } from './ledger-client.ts'
import { formatTao } from './market-format.ts'
import { formatBytes, progressBar } from './progress.ts'
import type { ApiClient } from './client.ts'
import type { CommandContext } from './command.ts'
import type { ListingView } from '../market/view.ts'

interface QuoteJson { listing: ListingView, owned: boolean, seller: string, recipient: string, chainId: string, amount: string }
interface DoneJson { source: 'delivery' | 'receipt', escrow: string, files: Array<{ path: string, size: number, sha256: string }> }

async function receive (ctx: CommandContext, api: ApiClient, id: string, escrow: string | undefined, dest: string, total: number): Promise<DoneJson> {
  const bar = progressBar(ctx.io, 'fetching', !flag(ctx, 'json'))
  try {
    for await (const line of api.lines('POST', '/api/v0/market/receive', { arg: id, escrow, out: dest })) {
      if (line.type === 'progress') bar.update(Number(line.bytes), total)
      if (line.type === 'done') return line as unknown as DoneJson
    }
  } finally {
    bar.done()
  }
  throw new ApiError('PurchaseError', 'the daemon ended the purchase without an answer', 500)
}

async function refund (ctx: CommandContext, api: ApiClient, key: Awaited<ReturnType<typeof coldkey>>, escrow: string): Promise<{ hash: string, block?: number }> {
  return signAndSubmit(ctx, api, key, { kind: 'refund', escrow })
}

/** The `buy` command. */
export const buyCommand = defineCommand({
  name: 'buy',
  description: 'buy a paid listing: escrow the price (coldkey), get the key from the seller, fetch, decrypt and verify (needs the daemon and a chain)',
  positionals: [{ name: 'id', description: 'listing id', required: true }],
  options: {
    output: { type: 'string', short: 'o', description: 'where to write the content (a file for one-file listings, else a directory); default: the file name in the current directory', valueName: '<path>' },
    window: { type: 'string', description: 'blocks the seller has to deliver before the escrow can be refunded (default 20)', valueName: '<blocks>' },
    ...WALLET_OPTION
  },
  run: async (ctx) => {
    const id = ctx.positionals[0]
    const windowText = str(ctx, 'window') ?? '20'
    const window = Number(windowText)
    if (!Number.isSafeInteger(window) || window < 1 || window > 100_800) throw new UsageError(`--window must be 1 to 100800 blocks, got ${windowText}`)
    return withDaemon(ctx, async (api) => {
      const q = await api.json<QuoteJson>('GET', '/api/v0/market/quote', { arg: id })
      const files = q.listing.files
      const dest = resolve(ctx.io.cwd, str(ctx, 'output') ?? (files.length === 1 ? files[0].path.split('/').pop() ?? q.listing.name : q.listing.name))
      let escrow: string | undefined
      let key: Awaited<ReturnType<typeof coldkey>> | undefined
      if (!q.owned) {
        key = await coldkey(ctx)
        if (!flag(ctx, 'json')) ctx.io.stderr.write(`paying ${formatTao(q.amount)} into escrow for ${q.listing.name} (seller ${q.seller})\n`)
        const paid = await signAndSubmit(ctx, api, key, { kind: 'escrow', seller: q.seller, recipient: new Uint8Array(Buffer.from(q.recipient, 'hex')), amount: BigInt(q.amount), listing: id, timeout: window })
        escrow = paid.hash
        if (!flag(ctx, 'json')) ctx.io.stderr.write(`escrow ${escrow} in block ${paid.block ?? '?'}; waiting for the seller to deliver the key\n`)
      } else if (!flag(ctx, 'json')) {
        ctx.io.stderr.write('already bought: using the receipt (nothing is paid again)\n')
      }
      let done: DoneJson
      try {
        done = await receive(ctx, api, id, escrow, dest, q.listing.size)
      } catch (err) {
        if ((err as Error).name !== 'DeliveryTimeoutError' || escrow == null || key == null) throw err
        const r = await refund(ctx, api, key, escrow)
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
})
