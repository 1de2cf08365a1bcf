/**
 * Identity blocks: a CID whose multihash is `identity` carries its block as its digest. The
 * repo's blockstore answers for them from the CID and never writes them, so every reader (the
 * fetch server, Bitswap, the exporter, the file reader) still gets their bytes while no link in
 * a stranger's block can become a file of ours.
 */
import { FsBlockstore } from 'blockstore-fs'
import { isIdentityCid } from './dag.ts'
import type { AbortOptions } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'

/**
 * The repo's blockstore-fs with identity CIDs answered from the CID: `has` is true, `get`
 * yields the digest, `put` and `delete` touch no file. It stays an `FsBlockstore`, so the
 * import and fetch paths that write block files directly keep doing so for other blocks.
 *
 * Policy: identity blocks are never stored, whoever puts them (fetch, Bitswap, an import, a
 * service's own blocks): storing them would cost a file per link of a block someone sent us.
 */
export class IdentityFsBlockstore extends FsBlockstore {
  override async put (key: CID, val: Parameters<FsBlockstore['put']>[1], options?: AbortOptions): Promise<CID> {
    if (isIdentityCid(key)) return key
    return super.put(key, val, options)
  }

  override async * get (key: CID, options?: AbortOptions): AsyncGenerator<Uint8Array> {
    if (isIdentityCid(key)) {
      options?.signal?.throwIfAborted()
      yield key.multihash.digest
      return
    }
    yield * super.get(key, options)
  }

  override async has (key: CID, options?: AbortOptions): Promise<boolean> {
    if (isIdentityCid(key)) return true
    return super.has(key, options)
  }

  override async delete (key: CID, options?: AbortOptions): Promise<void> {
    if (isIdentityCid(key)) return
    await super.delete(key, options)
  }
}
