/**
 * Who is asking the gateway, and in which origin the answer lives: the strict parse of the
 * `Host` header (path gateway or `<cid>.ipfs.localhost` subdomain gateway), browser
 * navigations that belong on the subdomain, and cross-site requests that must not make the
 * daemon fetch anything.
 *
 * @see https://specs.ipfs.tech/http-gateways/subdomain-gateway/
 */
import { base32 } from 'multiformats/bases/base32'
import { base36 } from 'multiformats/bases/base36'
import { CID } from 'multiformats/cid'
import { InvalidHostError } from '../errors.ts'
import type { IncomingMessage } from 'node:http'

/** Where a request landed. */
export type GatewayHost =
  | {
    kind: 'subdomain'
    /** The root this origin serves. */
    cid: CID
    /** The CID label as received. */
    label: string
    /** The `Host` value (lower case), e.g. `bafy….ipfs.localhost:8080`. */
    host: string
  }
  | {
    kind: 'path'
    /** The `Host` value (lower case), undefined when the request has none. */
    host?: string
    /** The host name is `localhost`: a browser can be sent to `<cid>.ipfs.localhost` instead. */
    localhost: boolean
    /** The host name is one this gateway answers to (loopback names, its configured host). */
    known: boolean
  }

/** Longest DNS label (RFC 1035); a CIDv1 sha2-256 in base32 is 59 characters. */
const MAX_LABEL = 63

const HOST = /^(?:\[[0-9a-f:.]+\]|[a-z0-9.-]{1,253})(?::(\d{1,5}))?$/
const SUBDOMAIN = /^([^.]*)\.ipfs\.localhost(?::\d{1,5})?$/

/** Host names every gateway answers to: the loopback names. */
const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]']

function hostName (host: string): string {
  return host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.replace(/:\d+$/, '')
}

/** Parse a CID from a subdomain label: CIDv1 in base32 (canonical) or base36. */
function labelCid (label: string): CID {
  if (label.length === 0 || label.length > MAX_LABEL || !/^[a-z0-9]+$/.test(label)) {
    throw new InvalidHostError(`invalid CID label ${JSON.stringify(label.slice(0, 80))} in the Host header`)
  }
  try {
    if (label.startsWith('k')) return CID.parse(label, base36)
    return CID.parse(label, base32)
  } catch (err) {
    throw new InvalidHostError(`invalid CID label ${JSON.stringify(label.slice(0, 80))} in the Host header`, { cause: err })
  }
}

/**
 * Parse the `Host` header strictly. Policy: a Host that is not a plain host name or IP literal
 * with an optional port, or a `*.ipfs.localhost` label that is not a CID, is a 400: the origin
 * content is served in must never be ambiguous.
 *
 * @param extraNames - host names besides the loopback ones this gateway answers to
 * @throws InvalidHostError
 */
export function parseGatewayHost (header: string | undefined, extraNames: readonly string[] = []): GatewayHost {
  if (header == null || header === '') return { kind: 'path', localhost: false, known: false }
  const host = header.toLowerCase()
  if (!HOST.test(host)) throw new InvalidHostError(`invalid Host header ${JSON.stringify(header.slice(0, 80))}`)
  const sub = SUBDOMAIN.exec(host)
  if (sub != null) return { kind: 'subdomain', cid: labelCid(sub[1]), label: sub[1], host }
  const name = hostName(host)
  if (name.endsWith('.localhost') && name !== 'localhost') {
    throw new InvalidHostError(`unknown gateway host ${JSON.stringify(name.slice(0, 80))} (expected <cid>.ipfs.localhost)`)
  }
  return { kind: 'path', host, localhost: name === 'localhost', known: LOOPBACK_NAMES.includes(name) || extraNames.includes(name) }
}

/** The subdomain label of a root: CIDv1 in base32, or undefined when it does not fit a DNS label. */
export function subdomainLabel (cid: CID): string | undefined {
  const label = cid.toV1().toString(base32)
  return label.length <= MAX_LABEL ? label : undefined
}

/** Encode each segment of a (decoded) content path for a URL. */
export function encodePath (path: string): string {
  return path === '' ? '' : path.split('/').map(s => encodeURIComponent(s)).join('/')
}

/**
 * Whether a request is a browser loading a page (a navigation), which belongs on the root's own
 * origin: `Sec-Fetch-Mode: navigate`, `Sec-Fetch-Dest: document`, or an `Accept` that asks for
 * HTML. Callers only ask this for requests that did not ask for a trustless format.
 */
export function isBrowserNavigation (req: IncomingMessage): boolean {
  if (req.headers['sec-fetch-mode'] === 'navigate') return true
  if (req.headers['sec-fetch-dest'] === 'document') return true
  return (req.headers.accept ?? '').includes('text/html')
}

function originOf (url: string): string | undefined {
  try {
    const u = new URL(url)
    return u.origin === 'null' ? undefined : u.origin
  } catch {
    return undefined
  }
}

/**
 * Whether a request comes from a page of another origin (another web site, another root's
 * subdomain, a sandboxed page, the path origin asking for a subdomain's content…).
 *
 * Policy: a browser tells us with `Sec-Fetch-Site` (anything but `same-origin`, or `none` for a
 * URL the user typed), with an `Origin` (sent on cross-origin and on sandboxed requests as
 * `null`) or with a `Referer` whose origin is not this request's own. The own origin is
 * `http://<Host>`, and only when the Host is one this gateway answers to: a page of a foreign
 * name that resolves to 127.0.0.1 (DNS rebinding) is same-origin to the browser, not to us.
 * Clients that send none of these headers (curl, programs, trustless clients) are not
 * cross-site.
 */
export function isCrossSite (req: IncomingMessage, where: GatewayHost): boolean {
  const own = (where.kind === 'subdomain' || where.known) && where.host != null ? `http://${where.host}` : undefined
  const site = req.headers['sec-fetch-site']
  if (site != null && site !== 'none' && (site !== 'same-origin' || own == null)) return true
  const origin = req.headers.origin
  if (origin != null && (own == null || originOf(origin) !== own)) return true
  const referer = req.headers.referer
  if (referer != null && (own == null || originOf(referer) !== own)) return true
  return false
}
