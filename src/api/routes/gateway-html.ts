/**
 * The one page the gateway writes itself: a directory listing. Every name in it comes from a
 * publisher's DAG or from the request, so every piece is escaped for where it lands.
 */
import { encodePath } from './gateway-origin.ts'
import type { LsEntry } from '../../store/index.ts'

/** Escape text for an HTML text node or a quoted attribute value. */
export function escapeHtml (s: string): string {
  return s.replace(/[&<>"'`]/g, c => `&#${c.charCodeAt(0)};`)
}

/** What a listing page shows. */
export interface ListingPage {
  /** The heading, e.g. `/ipfs/<cid>/<path>` (decoded; escaped here). */
  title: string
  /** URL path of the listed directory (decoded; each segment encoded here), e.g. `/ipfs/<cid>/a` or `/a` on a subdomain. */
  base: string
  entries: LsEntry[]
}

/** Join a decoded base path and an entry name into an encoded href. */
export function entryHref (base: string, name: string): string {
  const dir = base.replace(/\/+$/, '')
  return `${encodePath(dir)}/${encodeURIComponent(name)}`
}

/**
 * The listing as HTML. Policy: names are HTML-escaped as text, and hrefs are built from
 * `encodeURIComponent` of each path segment and then HTML-escaped as attributes, so neither a
 * name like `"><script>` nor markup in the request path can leave the element it is in.
 */
export function listingHtml (page: ListingPage): string {
  const rows = page.entries.map(e =>
    `<li><a href="${escapeHtml(entryHref(page.base, e.name))}">${escapeHtml(e.name)}</a> ${escapeHtml(e.type)} ${e.size}</li>`
  )
  return `<!doctype html><meta charset="utf-8"><title>${escapeHtml(page.title)}</title><h1>${escapeHtml(page.title)}</h1><ul>${rows.join('')}</ul>\n`
}
