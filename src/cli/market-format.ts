/**
 * Formatting and parsing for the market commands: TAO amounts, expiries, listing summaries.
 */
import { formatTao as formatTaoAmount } from '../ledger/index.ts'
import { formatBytes } from './progress.ts'
import { UsageError } from './errors.ts'
import { safeText } from './safe-text.ts'
import type { ListingView } from '../market/index.ts'
import type { PurchasesWire } from '../api/index.ts'

/** Rao → "5 TAO", "0.25 TAO" (the ledger's `formatTao`). */
export function formatTao (rao: bigint | string): string {
  return `${formatTaoAmount(BigInt(rao))} TAO`
}

/** `--expires`: an ISO date, or a duration from now (30d, 12h, 90m). Returns ms since the epoch. */
export function parseExpiry (s: string, now = Date.now()): number {
  const m = /^(\d+)([dhm])$/.exec(s)
  if (m != null) return now + Number(m[1]) * { d: 86_400_000, h: 3_600_000, m: 60_000 }[m[2] as 'd' | 'h' | 'm']
  const t = Date.parse(s)
  if (!Number.isFinite(t)) throw new UsageError(`--expires takes a date (2027-01-31) or a duration (30d, 12h, 90m), got ${s}`)
  return t
}

/**
 * A field of a listing, written by its publisher, on one line. Policy: every control character,
 * newline included, becomes a visible escape, so a name cannot clear the screen, plant a link
 * or forge a line of its own (a fake `price  free (open)`); see safe-text.ts.
 */
const field = (s: string): string => safeText(s)

/** One line of a search result. */
export function listingLine (l: ListingView): string {
  const price = l.access === 'paid' ? formatTao(l.price) : 'free'
  return `${field(l.id)}  ${field(l.kind).padEnd(7)} ${field(l.name)}@${field(l.version)}  ${field(l.license)}  ${price}  ${formatBytes(l.size)}${l.tags.length > 0 ? '  [' + l.tags.map(field).join(', ') + ']' : ''}${fraudNote(l) === '' ? '' : `  ${fraudNote(l)}`}`
}

/** `FRAUD REPORTED` for a listing named by a verified fraud report, `SELLER REPORTED` for another of its publisher's. */
function fraudNote (l: ListingView): string {
  return l.fraud.listing ? 'FRAUD REPORTED' : l.fraud.publisher ? 'SELLER REPORTED' : ''
}

/** The full description of a listing. */
export function listingDetails (l: ListingView, providers?: number): string[] {
  const lines = [
    `id           ${field(l.id)}`,
    `${field(l.kind).padEnd(13)}${field(l.name)} version ${field(l.version)}${l.state === 'revoked' ? ' (REVOKED)' : ''}`,
    `licence      ${field(l.license)}${l.license === 'unspecified' ? '' : `  https://spdx.org/licenses/${encodeURIComponent(l.license)}.html`}`,
    `price        ${l.access === 'paid' ? `${formatTao(l.price)} per ${l.unit} (${l.price} rao), encrypted` : 'free (open)'}`,
    `publisher    ${field(l.publisherPeerId)}${l.fraud.publisher ? ' (a verified fraud report names this seller)' : ''}`,
    `root CID     ${field(l.root)}`,
    `size         ${formatBytes(l.size)} in ${l.files.length} file${l.files.length === 1 ? '' : 's'}`
  ]
  if (l.fraud.listing) lines.push('FRAUD        a verified report shows the key this listing committed to does not decrypt it: do not buy')
  if (providers != null) lines.push(`providers    ${providers}`)
  if (l.task != null) lines.push(`task         ${field(l.task)}`)
  if (l.tags.length > 0) lines.push(`tags         ${l.tags.map(field).join(', ')}`)
  if (l.card != null) lines.push(`card         ${field(l.card)}`)
  if (l.parent != null) lines.push(`previous     ${field(l.parent)}`)
  lines.push(`created      ${new Date(l.created).toISOString()}`, `expires      ${new Date(l.expires).toISOString()}`)
  // the description is multi-line on purpose: its newlines and tabs stay, every other control is escaped
  if (l.description !== '') lines.push('', safeText(l.description, { multiline: true }))
  lines.push('', 'files:')
  for (const f of l.files) lines.push(`  ${field(f.path)}  ${formatBytes(f.size)}  ${field(f.cid)}${f.sha256 != null ? `  sha256:${field(f.sha256)}` : ''}`)
  return lines
}

/** What each escrow state means to the buyer. */
const PURCHASE_STATE: Record<string, string> = {
  open: 'paid into escrow, waiting for the seller',
  delivered: 'key delivered, being checked (run agora buy again if it stopped)',
  accepted: 'key checked and accepted: the seller is paid',
  paid: 'the dispute window ended: the seller is paid',
  refunded: 'not delivered in time: refunded',
  failed: 'the delivered key did not open the listing: disputed and refunded'
}

/** One purchase of `agora market purchases`, as lines. */
export function purchaseLines (p: PurchasesWire['purchases'][number]): string[] {
  const name = p.name == null ? p.listing : `${safeText(p.name)} (${p.listing})`
  const blocks = [`opened in block ${p.openedAt}`]
  if (p.state === 'open') blocks.push(`deliver by block ${p.deadline}`)
  if (p.deliveredAt > 0) blocks.push(`delivered in block ${p.deliveredAt}`)
  if (p.closedAt > 0) blocks.push(`closed in block ${p.closedAt}`)
  return [
    `${p.state.padEnd(9)} ${formatTao(p.amount)}  ${name}`,
    `          escrow ${p.escrow}; ${blocks.join(', ')}`,
    `          ${PURCHASE_STATE[p.state] ?? p.state}${p.received ? '; the key is kept here (agora buy downloads again for free)' : ''}`
  ]
}
