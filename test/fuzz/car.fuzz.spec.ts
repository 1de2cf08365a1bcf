/**
 * Fuzzing the CAR export (the trustless gateway's `?format=car`) over hostile DAGs: the export
 * either completes with a CARv1 that `@ipld/car` reads back, rooted at the requested CID, whose
 * every block hashes to its CID and is held by the store, or it ends with a named error. Agora
 * reads no CAR files itself (only `CarWriter` is used), so no CAR reader is fuzzed here.
 */
import { CarReader } from '@ipld/car/reader'
import fc from 'fast-check'
import { sha256 } from 'multiformats/hashes/sha2'
import { describe, expect, it } from 'vitest'
import { exportCar } from '../../src/store/car.ts'
import { fuzzBudget } from './budget.ts'
import { blockEdit, buildDag, hostileDag, mutateOneBlock, realDag } from './hostile-dag.ts'
import type { HostileDag } from './hostile-dag.ts'

const budget = fuzzBudget(2)
Error.stackTraceLimit = 64

/** car.ts contract: the store's named errors (the walk's undecodable blocks become InvalidDagError). */
const CAR_ERRORS = ['PathNotFoundError', 'BlockNotFoundError', 'InvalidDagError', 'WrongContentTypeError', 'NotUnixFSError', 'NoResolverError', 'NotFoundError', 'BadPathError']

/** Exports, then checks the CAR; a throw must be named. */
async function exportAndCheck (dag: HostileDag, path: string): Promise<void> {
  const parts: Uint8Array[] = []
  try {
    for await (const chunk of exportCar(dag.blocks, dag.root, path)) parts.push(chunk)
  } catch (err) {
    const e = err as Error
    if (CAR_ERRORS.includes(e.name)) return
    throw err
  }
  const reader = await CarReader.fromBytes(Uint8Array.from(Buffer.concat(parts)))
  expect((await reader.getRoots()).map(String)).toEqual([dag.root.toString()])
  for await (const { cid, bytes } of reader.blocks()) {
    // every block sent is the one its CID names (identity CIDs carry their bytes) and is held by the store
    if (cid.multihash.code === sha256.code) expect((await sha256.digest(bytes)).digest).toEqual(cid.multihash.digest)
    if (cid.multihash.code !== 0) expect(await dag.blocks.has(cid)).toBe(true)
  }
}

const real = await realDag()

describe('fuzz: CAR export', () => {
  it('finding: a child block that is not dag-pb under a dag-pb CID ends the export with InvalidDagError', async () => {
    // the root is a valid UnixFS directory; its one child holds 0xff (no protobuf), which the
    // walk's dag-pb decode threw as a bare Error("protobuf: …") before car.ts named it
    const dag = await buildDag([
      { kind: 'bytes', bytes: Uint8Array.of(0xff), codec: 0x70 },
      { kind: 'pb', type: 'directory', data: new Uint8Array(0), blockSizes: [], links: [{ child: 0, name: 'x', tsize: 1 }] }
    ])
    await expect(exportAndCheck(dag, '')).resolves.toBeUndefined()
    const run = async (): Promise<number> => { let n = 0; for await (const chunk of exportCar(dag.blocks, dag.root, '')) n += chunk.byteLength; return n }
    await expect(run()).rejects.toHaveProperty('name', 'InvalidDagError')
  })

  it('exportCar over hostile DAGs: a valid CAR of held blocks, or a named error', async () => {
    await fc.assert(fc.asyncProperty(hostileDag(8), fc.constantFrom('', 'a'), async (make, path) => {
      await exportAndCheck(await make(), path)
    }), budget.params(150))
  }, budget.timeout)

  it('exportCar over a real DAG with one block mutated: a valid CAR, or a named error', async () => {
    await fc.assert(fc.asyncProperty(blockEdit, fc.constantFrom('', 'big.bin', 'small.txt'), async ([pick, edit], path) => {
      await exportAndCheck(await mutateOneBlock(real, pick, edit), path)
    }), budget.params(150))
  }, budget.timeout)
})
