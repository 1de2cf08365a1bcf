/**
 * CAR export for the trustless gateway: the blocks along a path, then the whole DAG of its target,
 * depth-first, as a CARv1 stream rooted at the requested CID.
 */
import { CarWriter } from '@ipld/car/writer'
import { walkPath } from 'ipfs-unixfs-exporter'
import { getBlock, mhKey, walkDag } from './dag.ts'
import { InvalidDagError } from './errors.ts'
import { resolveEntry } from './read.ts'
import type { BlockReader } from './dag.ts'
import type { AbortOptions } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'

/** Stream a CARv1 of `cid`/`path`: path blocks (root to target), then every block of the target DAG. */
export async function * exportCar (blocks: BlockReader, cid: CID, path: string, options?: AbortOptions): AsyncGenerator<Uint8Array> {
  // Resolve first so a bad path fails before any byte (and the HTTP status) is sent.
  const target = (await resolveEntry(blocks, cid, path, options)).cid
  const { writer, out } = CarWriter.create([cid])
  const produce = (async () => {
    try {
      const seen = new Set<string>()
      const pathCids = path === '' ? [] : walkPath(`${cid.toString()}/${path}`, blocks, { signal: options?.signal })
      for await (const e of pathCids) {
        for (const c of [...e.roots, e.cid]) {
          if (c.equals(target) || seen.has(mhKey(c))) continue
          seen.add(mhKey(c))
          await writer.put({ cid: c, bytes: await getBlock(blocks, c, options) })
        }
      }
      for await (const b of walkDag(blocks, target, options)) {
        if (seen.has(mhKey(b.cid))) continue
        await writer.put({ cid: b.cid, bytes: b.bytes })
      }
    } catch (err) {
      throw named(err, cid)
    } finally {
      await writer.close()
    }
  })()
  // Surface a producer failure to the consumer instead of leaving it unhandled.
  produce.catch(() => {})
  for await (const chunk of out) yield chunk
  await produce
}

/**
 * Policy: a block of the DAG that its codec cannot decode (dag-pb, dag-cbor and the exporter
 * throw bare `Error`s and `RangeError`s for hostile bytes) ends the export with
 * `InvalidDagError`; named errors (a missing block, an abort) pass through as they are.
 */
function named (err: unknown, root: CID): unknown {
  const name = (err as { name?: unknown } | null)?.name
  if (name !== 'Error' && name !== 'RangeError' && name !== 'TypeError') return err
  return new InvalidDagError(`the DAG of ${root.toString()} holds a block that cannot be decoded: ${(err as Error).message}`, { cause: err })
}
