import { createReadStream } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { sha256Hex, writeDeterministicFile } from '../utils/data.ts'
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
})
