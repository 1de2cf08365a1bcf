/**
 * Which listed files a round looks up providers for, drawn with the round seed. Pure and
 * deterministic given the active listings and the seed.
 *
 * Policy: a round can afford a bounded number of DHT lookups (`maxFiles`), so it must choose
 * which listings' files take part, and nothing a publisher sets may decide that. Ranking by
 * `created`, as the first validators did, let one listing dated a few minutes ahead take every
 * slot. The draw:
 * 1. Groups the listings by publisher. Each publisher gets the key
 *    `SHA256(varint(len(D)) ‖ D ‖ seed ‖ publisher)`, each listing
 *    `SHA256(… ‖ seed ‖ listingCID.bytes)`, each file `SHA256(… ‖ seed ‖ fileCID.bytes)`, with
 *    `D = 'agora-probe-draw'`; each list is ordered by its keys (a permutation nobody can choose
 *    before the seed exists, the hash of a block made after the listings).
 * 2. Within a publisher, its listings take turns file by file, at most `perListing` files from
 *    one listing and `perPublisher` from one publisher.
 * 3. Publishers take turns in their order, one file each per pass, until `maxFiles`: every
 *    publisher with listings has the same weight, however many listings or files it has.
 * Publishers whose hotkey the chain knows (registered, or with stake) take their turns first:
 * keys are free, so without that a flood of listings from fresh keys would fill the draw with
 * files no registered miner serves, and validators would probe nobody.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { CID } from 'multiformats/cid'
import { domainPrefixed } from '../signing.ts'
import { ELIGIBLE_DRAW_DOMAIN } from './constants.ts'
import { InvalidTaskInputError } from './errors.ts'

/** Orders byte strings as unsigned big-endian numbers (equal lengths here: SHA-256 digests). */
function compareBytes (a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b)
}

/** One active listing as the draw sees it. */
export interface DrawListing<F extends { cid: string } = { cid: string }> {
  /** The listing's CID string. */
  id: string
  /** The publisher's 32-byte public key. */
  publisher: Uint8Array
  /** Whether the chain knows the publisher's hotkey (its turns come first). */
  known: boolean
  files: readonly F[]
}

/** Bounds of the draw. */
export interface DrawLimits {
  /** Files drawn in all. @default 64 */
  maxFiles?: number
  /** Files drawn from one listing. @default 8 */
  perListing?: number
  /** Files drawn from one publisher. @default 16 */
  perPublisher?: number
}

/** A drawn file with the listing it came from. */
export interface Drawn<L, F> {
  listing: L
  file: F
}

/**
 * Draws up to `maxFiles` files from `listings` with `seed` (see the module comment).
 *
 * @throws InvalidTaskInputError for a seed or publisher key that is not 32 bytes, or a malformed CID
 */
export function drawEligible<L extends DrawListing> (listings: readonly L[], seed: Uint8Array, limits: DrawLimits = {}): Array<Drawn<L, L['files'][number]>> {
  type F = L['files'][number]
  if (!(seed instanceof Uint8Array) || seed.length !== 32) throw new InvalidTaskInputError('seed must be 32 bytes')
  const maxFiles = limits.maxFiles ?? 64
  const perListing = limits.perListing ?? 8
  const perPublisher = limits.perPublisher ?? 16
  const key = (bytes: Uint8Array): Uint8Array => sha256(domainPrefixed(ELIGIBLE_DRAW_DOMAIN, seed, bytes))
  const cidBytes = (s: string): Uint8Array => {
    try { return CID.parse(s).bytes } catch { throw new InvalidTaskInputError(`not a CID: ${s}`) }
  }

  const byPublisher = new Map<string, { key: Uint8Array, known: boolean, listings: Array<{ key: Uint8Array, listing: L, files: F[] }> }>()
  for (const l of listings) {
    if (!(l.publisher instanceof Uint8Array) || l.publisher.length !== 32) throw new InvalidTaskInputError('publisher must be 32 bytes')
    const files = [...l.files]
      .map(f => ({ f, k: key(cidBytes(f.cid)) }))
      .sort((a, b) => compareBytes(a.k, b.k))
      .slice(0, perListing)
      .map(x => x.f)
    if (files.length === 0) continue
    const p = Buffer.from(l.publisher).toString('hex')
    let entry = byPublisher.get(p)
    if (entry == null) { entry = { key: key(l.publisher), known: l.known, listings: [] }; byPublisher.set(p, entry) }
    entry.known ||= l.known
    entry.listings.push({ key: key(cidBytes(l.id)), listing: l, files })
  }

  // each publisher's own sequence of files: its listings in key order, taking turns
  const queues = [...byPublisher.values()]
    .sort((a, b) => a.known !== b.known ? (a.known ? -1 : 1) : compareBytes(a.key, b.key))
    .map(p => {
      const ls = p.listings.sort((a, b) => compareBytes(a.key, b.key))
      const out: Array<Drawn<L, F>> = []
      for (let i = 0; out.length < perPublisher; i++) {
        let any = false
        for (const l of ls) {
          if (i < l.files.length && out.length < perPublisher) { out.push({ listing: l.listing, file: l.files[i] }); any = true }
        }
        if (!any) break
      }
      return { known: p.known, out }
    })

  // known publishers' turns first, then the rest; one file per publisher per pass
  const drawn: Array<Drawn<L, F>> = []
  for (const tier of [queues.filter(q => q.known), queues.filter(q => !q.known)]) {
    for (let pass = 0; drawn.length < maxFiles; pass++) {
      let any = false
      for (const q of tier) {
        if (drawn.length >= maxFiles) break
        if (pass < q.out.length) { drawn.push(q.out[pass]); any = true }
      }
      if (!any) break
    }
  }
  return drawn
}
