import { CID } from 'multiformats/cid'
import { InvalidCidError } from './errors.ts'

/** Longest CID string accepted (a sha2-512 CIDv1 in base32 is ~120 chars). */
const MAX_CID_LENGTH = 256

/**
 * Parse a CID string, optionally prefixed with `/ipfs/` and followed by a path. Throws
 * `InvalidCidError` with the offending input.
 */
export function parseCidPath (input: string): { cid: CID, path: string } {
  if (typeof input !== 'string') throw new InvalidCidError('CID must be a string')
  let s = input.trim()
  if (s.startsWith('/ipfs/')) s = s.slice(6)
  const slash = s.indexOf('/')
  const head = slash === -1 ? s : s.slice(0, slash)
  const rest = slash === -1 ? '' : s.slice(slash + 1).replace(/\/+$/, '')
  if (head.length === 0 || head.length > MAX_CID_LENGTH) throw new InvalidCidError(`invalid CID ${JSON.stringify(input.slice(0, 80))}`)
  try {
    return { cid: CID.parse(head), path: rest }
  } catch (err) {
    throw new InvalidCidError(`invalid CID ${JSON.stringify(head.slice(0, 80))}`, { cause: err })
  }
}

/** Parse a bare CID (no path). */
export function parseCid (input: string): CID {
  const { cid, path } = parseCidPath(input)
  if (path !== '') throw new InvalidCidError(`expected a CID without a path, got ${JSON.stringify(input.slice(0, 80))}`)
  return cid
}
