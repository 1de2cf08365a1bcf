/**
 * `get` of a CID that is not UnixFS (a dag-cbor node, such as a validator's report batch) writes
 * the block's bytes, as `ipfs block get` would; before, it "saved 0 files" and wrote nothing.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as dagCbor from '@ipld/dag-cbor'
import { MemoryBlockstore } from 'blockstore-core'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { getToPath } from '../../src/store/read.ts'

let dir = ''
beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'agora-get-block-')) })
afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

describe('get of a dag-cbor node', () => {
  it('behavior: writes the block itself, keeps an identical file, and replaces a different one only with force', async () => {
    const bytes = dagCbor.encode({ batch: 7, reports: [new Uint8Array([1, 2, 3])] })
    const cid = CID.createV1(dagCbor.code, await sha256.digest(bytes))
    const bs = new MemoryBlockstore()
    await bs.put(cid, bytes)
    const out = join(dir, 'batch.cbor')
    expect(await getToPath(bs, cid, '', out)).toEqual({ path: out, files: 1, bytes: bytes.length })
    expect(new Uint8Array(await readFile(out))).toEqual(bytes)
    // the same bytes are there already: kept
    expect(await getToPath(bs, cid, '', out)).toMatchObject({ files: 1 })
    await writeFile(out, 'something else')
    await expect(getToPath(bs, cid, '', out)).rejects.toMatchObject({ name: 'OutputExistsError' })
    expect(await readFile(out, 'utf8')).toBe('something else')
    await getToPath(bs, cid, '', out, { force: true })
    expect(new Uint8Array(await readFile(out))).toEqual(bytes)
  })
})
