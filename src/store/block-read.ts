/**
 * Reading one local block for the file reader: straight from its blockstore-fs file into a
 * reused buffer when the repo's block directory is known, else through any block reader; either
 * way hashed against its CID before anyone sees a byte.
 */
import { createHash } from 'node:crypto'
import { open } from 'node:fs/promises'
import { join } from 'node:path'
import { equals } from 'uint8arrays/equals'
import { getBlock } from './dag.ts'
import { BlockNotFoundError, CorruptBlockError, InvalidDagError } from './errors.ts'
import { blockFile } from './maintenance.ts'
import type { BlockReader } from './dag.ts'
import type { BufferPool } from './pipeline.ts'
import type { AbortOptions } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'

/**
 * A blockstore-fs directory laid out as `openRepo` creates it (default next-to-last sharding,
 * `.data` files): its blocks are read with one `read` into a reused buffer instead of the
 * store's 64 KiB stream pieces.
 */
export interface BlockFiles { readonly blocksDir: string }

/** Where the file reader gets blocks: the repo's block files, or any block reader. */
export type BlockSource = BlockFiles | BlockReader

/** Bytes lent by a reader: valid until `release()`, after which their buffer may be reused. */
export interface Lent {
  readonly bytes: Uint8Array
  release: () => void
}

/**
 * Policy: no block this program writes or fetches is over 2 MiB (importer profiles: 1 MiB leaves;
 * the fetch protocol's limit: 2 MiB); a local block file larger than this is refused before any
 * buffer is allocated for it.
 */
export const MAX_LOCAL_BLOCK_SIZE = 4 * 1024 * 1024

const IDENTITY = 0x00
const SHA2_256 = 0x12
const SHA2_512 = 0x13

const noop = (): void => {}

/** An owned (not pooled) byte array as a {@link Lent} whose release does nothing. */
export function owned (bytes: Uint8Array): Lent {
  return { bytes, release: noop }
}

/**
 * Throws `CorruptBlockError` unless `bytes` hash to `cid`'s digest (sha2-256, sha2-512,
 * identity). A hash function we cannot compute is a `CorruptBlockError` too: we never return
 * bytes we could not check.
 */
export function verifyLocalBlock (cid: CID, bytes: Uint8Array): void {
  const mh = cid.multihash
  let digest: Uint8Array
  if (mh.code === SHA2_256) digest = createHash('sha256').update(bytes).digest()
  else if (mh.code === SHA2_512) digest = createHash('sha512').update(bytes).digest()
  else if (mh.code === IDENTITY) digest = bytes
  else throw new CorruptBlockError(`block ${cid.toString()} uses multihash 0x${mh.code.toString(16)}, which this program cannot verify`)
  if (!equals(digest, mh.digest)) {
    throw new CorruptBlockError(`block ${cid.toString()} in the local store does not match its CID (run: agora repo verify)`)
  }
}

async function readBlockFile (blocksDir: string, cid: CID, pool: BufferPool | undefined, options?: AbortOptions): Promise<Lent> {
  const { dir, file } = blockFile(cid)
  let fh
  try {
    fh = await open(join(blocksDir, dir, file), 'r')
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') {
      throw new BlockNotFoundError(`block ${cid.toString()} is not in the local store (while \`agora daemon\` runs, missing blocks are fetched from peers)`, { cause: err })
    }
    throw err
  }
  try {
    const { size } = await fh.stat()
    if (size > MAX_LOCAL_BLOCK_SIZE) throw new InvalidDagError(`block ${cid.toString()} is ${size} bytes, over the ${MAX_LOCAL_BLOCK_SIZE} byte limit`)
    const fromPool = pool != null && size <= pool.size
    const buf = fromPool ? pool.take() : Buffer.allocUnsafeSlow(size)
    let got = 0
    try {
      while (got < size) {
        options?.signal?.throwIfAborted()
        const { bytesRead } = await fh.read(buf, got, size - got, got)
        if (bytesRead === 0) break // truncated under us: the hash check below fails
        got += bytesRead
      }
      const bytes = buf.subarray(0, got)
      verifyLocalBlock(cid, bytes)
      return fromPool ? { bytes, release: onceOnly(() => { pool.give(buf) }) } : owned(bytes)
    } catch (err) {
      if (fromPool) pool.give(buf)
      throw err
    }
  } finally {
    await fh.close()
  }
}

function onceOnly (fn: () => void): () => void {
  let done = false
  return () => {
    if (done) return
    done = true
    fn()
  }
}

/**
 * Read and verify one block. From {@link BlockFiles} the block lands in a buffer of `pool`
 * (when given and large enough; released back to it); from a {@link BlockReader} it is
 * gathered into a buffer of its own. Identity CIDs carry their bytes and read nothing.
 *
 * @throws BlockNotFoundError, CorruptBlockError, InvalidDagError (oversized block file)
 */
export async function readLocalBlock (source: BlockSource, cid: CID, pool?: BufferPool, options?: AbortOptions): Promise<Lent> {
  options?.signal?.throwIfAborted()
  if (cid.multihash.code === IDENTITY) return owned(cid.multihash.digest)
  if ('blocksDir' in source) return readBlockFile(source.blocksDir, cid, pool, options)
  const bytes = await getBlock(source, cid, options)
  if (bytes.byteLength > MAX_LOCAL_BLOCK_SIZE) throw new InvalidDagError(`block ${cid.toString()} is ${bytes.byteLength} bytes, over the ${MAX_LOCAL_BLOCK_SIZE} byte limit`)
  verifyLocalBlock(cid, bytes)
  return owned(bytes)
}
