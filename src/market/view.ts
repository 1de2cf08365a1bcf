/** Listings as plain JSON values, for the API and the CLI. */
import { peerIdOf } from './keys.ts'
import type { FraudMarks } from './fraud.ts'
import type { Listing } from './listing.ts'

/** A listing as JSON: CIDs as strings, bytes as hex, price in rao as a decimal string. */
export interface ListingView {
  id: string
  kind: string
  name: string
  version: string
  parent: string | null
  description: string
  card: string | null
  license: string
  tags: string[]
  task: string | null
  files: Array<{ path: string, size: number, cid: string, sha256: string | null }>
  root: string
  access: string
  /** Rao, decimal. */
  price: string
  unit: string
  /** Publisher hotkey, hex. */
  publisher: string
  /** Publisher peer id. */
  publisherPeerId: string
  created: number
  expires: number
  seq: number
  state: string
  keyCommitment: string | null
  encryption: { alg: string, chunkSize: number } | null
  /** Total plaintext bytes of the files. */
  size: number
  /** Verified fraud reports (fraud.ts): about this listing, about its publisher. */
  fraud: FraudMarks
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

const UNREPORTED: FraudMarks = { listing: false, publisher: false }

/** The JSON view of a listing, with its fraud marks (none when not given). */
export function listingView (l: Listing, fraud: FraudMarks = UNREPORTED): ListingView {
  const r = l.record
  return {
    id: l.id.toString(),
    kind: r.kind,
    name: r.name,
    version: r.version,
    parent: r.parent?.toString() ?? null,
    description: r.description,
    card: r.card?.toString() ?? null,
    license: r.license,
    tags: r.tags,
    task: r.task,
    files: r.files.map(f => ({ path: f.path, size: f.size, cid: f.cid.toString(), sha256: f.sha256 == null ? null : hex(f.sha256) })),
    root: r.root.toString(),
    access: r.access,
    price: r.price.toString(),
    unit: r.unit,
    publisher: hex(r.publisher),
    publisherPeerId: peerIdOf(r.publisher),
    created: r.created,
    expires: r.expires,
    seq: r.seq,
    state: r.state,
    keyCommitment: r.keyCommitment == null ? null : hex(r.keyCommitment),
    encryption: r.encryption,
    size: r.files.reduce((a, f) => a + f.size, 0),
    fraud: { ...fraud }
  }
}
