import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { CarReader } from '@ipld/car'
import { afterAll, describe, expect, it } from 'vitest'
import { deterministicBuffer, sha256Hex, writeDeterministicFile } from '../utils/data.ts'
import { spawnDaemon, stopAll, tempDir } from '../utils/daemon.ts'

afterAll(stopAll)

describe('e2e: content over the DHT', () => {
  it('default: C, bootstrapped only from B, finds A through the DHT and fetches A\'s 64 MiB file byte-identical', async () => {
    const dir = await tempDir()
    const file = join(dir, 'model.bin')
    const size = 64 * 1024 * 1024
    await writeDeterministicFile(file, 'e2e-64', size)
    const a = await spawnDaemon()
    const b = await spawnDaemon({ args: ['--bootstrap', a.info.addresses[0]] })
    const c = await spawnDaemon({ args: ['--bootstrap', b.info.addresses[0]] })

    const added = await a.cli(['add', '--json', file])
    expect(added.stderr).toBe('')
    const { cid, providedTo } = JSON.parse(added.stdout) as { cid: string, providedTo: number }
    expect(providedTo).toBeGreaterThanOrEqual(1)

    const found = await c.cli(['dht', 'findprovs', '--json', cid])
    expect(found.code).toBe(0)
    expect((JSON.parse(found.stdout) as { providers: Array<{ peerId: string }> }).providers.map(p => p.peerId)).toContain(a.info.peerId)

    const out = join(dir, 'fetched.bin')
    const got = await c.cli(['get', '--json', cid, '-o', out])
    expect(got.stderr).toBe('')
    const r = JSON.parse(got.stdout) as { bytes: number, fetch: { blocksFetched: number, providers: Array<{ peer: string, blocks: number }> } }
    expect(r.bytes).toBe(size)
    // 64 MiB in 1 MiB raw leaves (unixfs-v1-2025) plus the root node; the root came with the path lookup.
    expect(r.fetch.blocksFetched).toBeGreaterThanOrEqual(64)
    expect(await sha256Hex(createReadStream(out))).toBe(await sha256Hex(createReadStream(file)))
    // C verifies every stored block again from disk.
    const v = await c.cli(['repo', 'verify', '--json'])
    expect(JSON.parse(v.stdout)).toMatchObject({ corrupt: [] })
    expect(v.code).toBe(0)
  })

  it('behavior: a daemon\'s gateway serves content it first fetches from another peer, as a verifiable CAR and as a file range', async () => {
    const dir = await tempDir()
    await mkdir(join(dir, 'set', 'train'), { recursive: true })
    await writeDeterministicFile(join(dir, 'set', 'train', 'part-0.bin'), 'gw-part', 2 * 1024 * 1024 + 3)
    await writeFile(join(dir, 'set', 'README.md'), '# dataset\n')
    const a = await spawnDaemon()
    const b = await spawnDaemon({ args: ['--bootstrap', a.info.addresses[0]] })
    const { cid } = JSON.parse((await a.cli(['add', '--json', join(dir, 'set')])).stdout) as { cid: string }

    const readme = await fetch(`${b.info.gateway}/ipfs/${cid}/README.md`, { signal: AbortSignal.timeout(60_000) })
    expect(readme.status).toBe(200)
    expect(await readme.text()).toBe('# dataset\n')

    const car = await fetch(`${b.info.gateway}/ipfs/${cid}/train/part-0.bin?format=car`, { signal: AbortSignal.timeout(60_000) })
    expect(car.status).toBe(200)
    const reader = await CarReader.fromBytes(new Uint8Array(await car.arrayBuffer()))
    expect((await reader.getRoots()).map(String)).toEqual([cid])
    let blocks = 0
    for await (const blk of reader.blocks()) {
      blocks++
      // Independent check of each block: sha2-256 of its bytes equals its CID's digest.
      expect(Buffer.from(createHash('sha256').update(blk.bytes).digest()).equals(Buffer.from(blk.cid.multihash.digest))).toBe(true)
    }
    // root dir + train dir (path), then the file's root node and its three raw leaves.
    expect(blocks).toBe(6)

    const range = await fetch(`${b.info.gateway}/ipfs/${cid}/train/part-0.bin`, { headers: { range: 'bytes=-3' } })
    expect(range.status).toBe(206)
    expect(Buffer.from(await range.arrayBuffer())).toEqual(Buffer.from(deterministicBuffer('gw-part', 2 * 1024 * 1024 + 3).subarray(-3)))
  })
})
