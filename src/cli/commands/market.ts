/**
 * Market commands: `publish`, `market status|search|show|ls|update|revoke|purchases` and `buy`. Each is a
 * thin caller of the client's `market` (the daemon's `/api/v0/market/…` routes): the daemon signs
 * with its hotkey.
 */
import { resolve } from 'node:path'
import { defineCommand, flag, list, out, outJson, str } from '../command.ts'
import { UsageError } from '../errors.ts'
import { WALLET_OPTION } from '../ledger-options.ts'
import { formatBytes } from '../progress.ts'
import type { CommandContext, CommandDef, OptionDef } from '../command.ts'
import type { PublishedWire } from '../../api/index.ts'

// Lazy loading: the daemon client and the formatting (which reads TAO amounts with the ledger's
// codec) load inside `run`, so these definitions cost nothing to `--help`.
const client = async () => import('../connect.ts')
const format = async () => import('../market-format.ts')

const listingOptions: Record<string, OptionDef> = {
  license: { type: 'string', description: 'SPDX licence id (e.g. apache-2.0, MIT) or "unspecified"', valueName: '<spdx>' },
  version: { type: 'string', description: 'version label (default 1)', valueName: '<version>' },
  price: { type: 'string', description: 'price in TAO; above 0 publishes the content encrypted (default free)', valueName: '<TAO>' },
  unit: { type: 'string', description: 'what the price buys: download (default) or gib (each started GiB of the files)', valueName: '<download|gib>' },
  tag: { type: 'string', multiple: true, description: 'tag (repeatable)', valueName: '<tag>' },
  task: { type: 'string', description: 'task, e.g. text-generation', valueName: '<task>' },
  card: { type: 'string', description: 'README (markdown) shown as the card', valueName: '<file>' },
  description: { type: 'string', description: 'one-paragraph description', valueName: '<text>' },
  expires: { type: 'string', description: 'expiry: a date or a duration from now (default 30d, at most 400d)', valueName: '<when>' }
}

/** `update`'s options: the same fields, each unchanged when not given (not publish's defaults). */
const updateOptions: Record<string, OptionDef> = Object.fromEntries(Object.entries(listingOptions).map(([k, o]) => [k, {
  ...o,
  description: `${(o.description ?? '').replace(/ ?\((default|at most)[^)]*\)/g, '').replace(/; default[^;]*$/, '')} (unchanged when not given)`
}]))

/** The listing fields of publish/update as API query parameters. */
async function listingQuery (ctx: CommandContext): Promise<Record<string, string | string[] | undefined>> {
  const { parseExpiry } = await format()
  const { taoToRao } = await import('../ledger-client.ts')
  const price = str(ctx, 'price')
  const expires = str(ctx, 'expires')
  const card = str(ctx, 'card')
  return {
    license: str(ctx, 'license'),
    version: str(ctx, 'version'),
    price: price == null ? undefined : taoToRao(price).toString(),
    unit: str(ctx, 'unit'),
    tag: list(ctx, 'tag').length > 0 ? list(ctx, 'tag').map(t => t.toLowerCase()) : undefined,
    task: str(ctx, 'task'),
    card: card == null ? undefined : resolve(ctx.io.cwd, card),
    description: str(ctx, 'description'),
    expires: expires == null ? undefined : String(parseExpiry(expires))
  }
}

async function reportPublished (ctx: CommandContext, verb: string, r: PublishedWire): Promise<void> {
  if (flag(ctx, 'json')) { outJson(ctx, r); return }
  const { listingLine } = await format()
  out(ctx, `${verb} ${r.listing.id}`)
  out(ctx, `  ${listingLine(r.listing)}`)
  out(ctx, `  announced to ${r.gossip} peer(s) by gossip, stored on ${r.dht} DHT peer(s)${r.providedTo > 0 ? `, content provided to ${r.providedTo}` : ''}`)
}

const publish = defineCommand({
  name: 'publish',
  description: 'list a model or dataset on the market (imports, encrypts if priced, signs, announces; needs the daemon)',
  positionals: [{ name: 'path', description: 'file or directory to publish', required: true }],
  options: {
    kind: { type: 'string', description: 'model or dataset', valueName: '<kind>' },
    name: { type: 'string', description: 'name, unique among your listings of this kind', valueName: '<name>' },
    ...listingOptions
  },
  run: async (ctx) => {
    const kind = str(ctx, 'kind')
    const name = str(ctx, 'name')
    if (kind !== 'model' && kind !== 'dataset') throw new UsageError('--kind model or --kind dataset is required')
    if (name == null) throw new UsageError('--name is required')
    if (str(ctx, 'license') == null) throw new UsageError('--license is required (an SPDX id such as apache-2.0, or "unspecified")')
    const fields = await listingQuery(ctx)
    const r = await (await client()).withClient(ctx, async c => c.market.publish(resolve(ctx.io.cwd, ctx.positionals[0]), kind, name, fields))
    await reportPublished(ctx, 'published', r)
  }
})

const search = defineCommand({
  name: 'search',
  description: 'search the local listing index (all words must match; no words lists everything)',
  positionals: [{ name: 'text', description: 'words to search for', variadic: true }],
  options: {
    kind: { type: 'string', description: 'model or dataset', valueName: '<kind>' },
    tag: { type: 'string', description: 'only listings with this tag', valueName: '<tag>' },
    license: { type: 'string', description: 'only this SPDX licence', valueName: '<spdx>' },
    task: { type: 'string', description: 'only this task', valueName: '<task>' },
    'max-price': { type: 'string', description: 'highest price in TAO', valueName: '<TAO>' },
    publisher: { type: 'string', description: 'only this publisher (peer id)', valueName: '<peer id>' },
    limit: { type: 'string', description: 'results to show (default 20)', valueName: '<n>' }
  },
  run: async (ctx) => {
    const max = str(ctx, 'max-price')
    const { listingLine } = await format()
    const { taoToRao } = await import('../ledger-client.ts')
    const q = {
      q: ctx.positionals.join(' '),
      kind: str(ctx, 'kind'),
      tag: str(ctx, 'tag')?.toLowerCase(),
      license: str(ctx, 'license'),
      task: str(ctx, 'task'),
      maxPrice: max == null ? undefined : taoToRao(max).toString(),
      publisher: str(ctx, 'publisher'),
      limit: str(ctx, 'limit')
    }
    const r = await (await client()).withClient(ctx, async c => c.market.search(q))
    if (flag(ctx, 'json')) { outJson(ctx, r); return }
    if (r.state !== 'ready') out(ctx, 'indexing… the listing index is still loading; try again in a moment')
    for (const h of r.hits) out(ctx, listingLine(h.listing))
    // Policy (empty results, command.ts): nothing on stdout, exit 0
    if (r.state === 'ready' && r.hits.length === 0) ctx.io.stderr.write('no listings match\n')
  }
})

const show = defineCommand({
  name: 'show',
  description: 'show a listing: licence, price, files, providers, root CID',
  positionals: [{ name: 'id', description: 'listing id', required: true }],
  run: async (ctx) => {
    const r = await (await client()).withClient(ctx, async c => c.market.show(ctx.positionals[0]))
    if (flag(ctx, 'json')) { outJson(ctx, r); return }
    if (r.superseded != null) out(ctx, `${r.superseded} is an earlier version; the current one is ${r.listing.id} (version ${r.listing.version}):`)
    for (const line of (await format()).listingDetails(r.listing, r.providers)) out(ctx, line)
    if (r.formerIds.length > 0) out(ctx, `earlier       ${r.formerIds.join(' ')}`)
  }
})

const ls = defineCommand({
  name: 'ls',
  description: 'list listings: --mine for your own',
  options: { mine: { type: 'boolean', description: 'only the listings this peer published' } },
  run: async (ctx) => {
    const r = await (await client()).withClient(ctx, async c => flag(ctx, 'mine')
      ? c.market.mine()
      : { listings: (await c.market.search({ q: '', limit: 1000 })).hits.map(h => h.listing) })
    if (flag(ctx, 'json')) { outJson(ctx, r); return }
    const { listingLine } = await format()
    for (const l of r.listings) out(ctx, listingLine(l))
  }
})

const status = defineCommand({
  name: 'status',
  description: 'state of the local listing index (indexing… or ready) and catalogue pulls',
  run: async (ctx) => {
    const r = await (await client()).withClient(ctx, async c => c.market.status())
    if (flag(ctx, 'json')) { outJson(ctx, r); return }
    out(ctx, r.state === 'ready' ? `index ready: ${r.listings ?? 0} listings` : 'indexing… (the listing index is loading)')
    if (r.usage != null) out(ctx, `stored: ${r.usage.total.listings} listings, ${formatBytes(r.usage.total.bytes)}; of publishers without stake ${r.usage.unstaked.listings}, ${formatBytes(r.usage.unstaked.bytes)}`)
    out(ctx, `catalogue pulls: ${r.catalogue.peers} peers, ${r.catalogue.accepted} listings taken, ${r.catalogue.refused} refused, ${r.catalogue.failed} failed`)
  }
})

const update = defineCommand({
  name: 'update',
  description: 'publish a new version of one of your listings (fields you give change; --path replaces the content)',
  positionals: [{ name: 'id', description: 'listing id', required: true }],
  options: { path: { type: 'string', description: 'new content (file or directory)', valueName: '<path>' }, ...updateOptions },
  run: async (ctx) => {
    const path = str(ctx, 'path')
    const fields = await listingQuery(ctx)
    const r = await (await client()).withClient(ctx, async c => c.market.update(ctx.positionals[0], path == null ? undefined : resolve(ctx.io.cwd, path), fields))
    await reportPublished(ctx, 'updated', r)
  }
})

const revoke = defineCommand({
  name: 'revoke',
  description: 'withdraw one of your listings (a signed revocation replaces every version)',
  positionals: [{ name: 'id', description: 'listing id', required: true }],
  run: async (ctx) => {
    const r = await (await client()).withClient(ctx, async c => c.market.revoke(ctx.positionals[0]))
    await reportPublished(ctx, 'revoked', r)
  }
})

const purchases = defineCommand({
  name: 'purchases',
  description: 'your purchases made through this daemon, with where each escrow stands on the chain',
  options: { buyer: { type: 'string', description: 'only those paid by this coldkey address', valueName: '<address>' } },
  run: async (ctx) => {
    const r = await (await client()).withClient(ctx, async c => c.market.purchases(str(ctx, 'buyer')))
    if (flag(ctx, 'json')) { outJson(ctx, r); return }
    if (r.purchases.length === 0) { ctx.io.stderr.write('no purchases through this daemon\n'); return }
    const { purchaseLines } = await format()
    for (const p of r.purchases) for (const line of purchaseLines(p)) out(ctx, line)
  }
})

const market = defineCommand({
  name: 'market',
  description: 'find, inspect and manage listings, list your purchases (needs the daemon)',
  subCommands: [search, show, ls, status, update, revoke, purchases]
})

/** `agora buy` (the purchase itself is market-buy.ts). */
const buyCommand = defineCommand({
  name: 'buy',
  description: 'buy a paid listing: escrow the price (coldkey), get the key from the seller, fetch, decrypt and verify (needs the daemon and a chain)',
  positionals: [{ name: 'id', description: 'listing id', required: true }],
  options: {
    output: { type: 'string', short: 'o', description: 'where to write the content (a file for one-file listings, else a directory); default: a new directory named after the listing in the current directory', valueName: '<path>' },
    force: { type: 'boolean', description: 'replace existing files (without it an existing file is never replaced)' },
    window: { type: 'string', description: 'blocks the seller has to deliver before the escrow can be refunded (default 20)', valueName: '<blocks>' },
    ...WALLET_OPTION
  },
  run: async (ctx) => (await import('../market-buy.ts')).buy(ctx)
})

/** The market commands. */
export const marketCommands: CommandDef[] = [publish, market, buyCommand]
