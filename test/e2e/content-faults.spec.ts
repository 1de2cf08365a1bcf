import { createReadStream } from 'node:fs'
import { readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { sha256Hex, writeDeterministicFile } from '../utils/data.ts'
import { blockFiles, spawnDaemon, stopAll, tempDir } from '../utils/daemon.ts'

afterAll(stopAll)

/** Every block file (`*.data`) under a repo's blockstore. */
interface GetJson { bytes: number, fetch: { blocksFetched: number, blocksSkipped: number, providers: Array<{ peer: string, error?: string }> } }

describe('e2e: faults', () => {
  it('behavior: kill -9 of the fetching daemon, or of the fetching agora get, then the same fetch completes without fetching stored blocks again', async () => {
    const dir = await tempDir()
    const file = join(dir, 'big.bin')
    await writeDeterministicFile(file, 'resume', 128 * 1024 * 1024)
    const a = await spawnDaemon()
    // Kubo's classic layout: 512 leaves of 256 KiB, so the kill lands mid-transfer.
    const { cid } = JSON.parse((await a.cli(['add', '--json', '--profile', 'unixfs-v0-2015', file])).stdout) as { cid: string }
    const total = (JSON.parse((await a.cli(['repo', 'stat', '--json'])).stdout) as { blocks: number }).blocks
    const c = await spawnDaemon({ args: ['--bootstrap', a.info.addresses[0]] })
    const out = join(dir, 'out.bin')
    const first = c.cli(['get', cid, '-o', out, '--timeout', '30s'])
    await vi.waitFor(async () => { expect((await blockFiles(c.repo)).length).toBeGreaterThanOrEqual(40) }, { timeout: 60_000, interval: 5 })
    await c.kill()
    expect((await first).code).not.toBe(0)
    const stored = (await blockFiles(c.repo)).length
    expect(stored).toBeLessThan(total)

    const c2 = await spawnDaemon({ repo: c.repo, args: ['--bootstrap', a.info.addresses[0]] })
    const again = await c2.cli(['get', '--json', cid, '-o', out])
    expect(again.stderr).toBe('')
    const r = JSON.parse(again.stdout) as GetJson
    expect(r.fetch.blocksSkipped).toBe(stored)
    expect(r.fetch.blocksFetched).toBe(total - stored)
    expect(await sha256Hex(createReadStream(out))).toBe(await sha256Hex(createReadStream(file)))
    expect(JSON.parse((await c2.cli(['repo', 'verify', '--json'])).stdout)).toMatchObject({ checked: total, corrupt: [] })

    // Now kill -9 the `agora get` process itself: the daemon drops the fetch with the request,
    // and the same command again completes, skipping what was stored.
    const file2 = join(dir, 'big2.bin')
    await writeDeterministicFile(file2, 'resume-2', 128 * 1024 * 1024)
    const { cid: cid2 } = JSON.parse((await a.cli(['add', '--json', '--profile', 'unixfs-v0-2015', file2])).stdout) as { cid: string }
    const total2 = (JSON.parse((await a.cli(['repo', 'stat', '--json'])).stdout) as { blocks: number }).blocks - total
    const killer = new AbortController()
    const getting = c2.cli(['get', cid2, '-o', join(dir, 'out2.bin'), '--timeout', '30s'], { signal: killer.signal, killSignal: 'SIGKILL' })
    await vi.waitFor(async () => { expect((await blockFiles(c2.repo)).length).toBeGreaterThanOrEqual(total + 40) }, { timeout: 60_000, interval: 5 })
    killer.abort()
    expect((await getting).signal).toBe('SIGKILL')
    const storedAtKill = (await blockFiles(c2.repo)).length - total
    const resumed = JSON.parse((await c2.cli(['get', '--json', cid2, '-o', join(dir, 'out2.bin')])).stdout) as GetJson
    expect(resumed.fetch.blocksFetched + resumed.fetch.blocksSkipped).toBe(total2)
    expect(resumed.fetch.blocksSkipped).toBeGreaterThanOrEqual(storedAtKill)
    expect(await sha256Hex(createReadStream(join(dir, 'out2.bin')))).toBe(await sha256Hex(createReadStream(file2)))
    await c2.stop({ keepRepo: true })
  })

  it('behavior: a provider serving a corrupt block is detected, nothing corrupt is stored, and the file arrives intact from an honest provider', async () => {
    const dir = await tempDir()
    const file = join(dir, 'data.bin')
    await writeDeterministicFile(file, 'corrupt', 8 * 1024 * 1024 + 5)
    const a = await spawnDaemon()
    const { cid } = JSON.parse((await a.cli(['add', '--json', file])).stdout) as { cid: string }
    // Flip one byte in one 1 MiB leaf on A's disk; A serves what it has, as Kubo does by default.
    const leaves = []
    for (const f of await blockFiles(a.repo)) if ((await stat(f)).size === 1024 * 1024) leaves.push(f)
    expect(leaves.length).toBe(8)
    const bytes = await readFile(leaves[3])
    bytes[1000] ^= 0x01
    await writeFile(leaves[3], bytes)
    expect((await a.cli(['repo', 'verify'])).code).toBe(1)

    const c = await spawnDaemon({ args: ['--bootstrap', a.info.addresses[0]] })
    const out = join(dir, 'out.bin')
    const failed = await c.cli(['get', cid, '-o', out, '--timeout', '3s'])
    expect(failed.code).toBe(1)
    expect(failed.stderr).toMatch(/NoProvidersError|FetchStalledError/)
    const partial = JSON.parse((await c.cli(['repo', 'verify', '--json'])).stdout) as { checked: number, corrupt: unknown[] }
    expect(partial.corrupt).toEqual([])
    expect(partial.checked).toBeLessThan(10)

    const b = await spawnDaemon({ args: ['--bootstrap', a.info.addresses[0]] })
    expect(JSON.parse((await b.cli(['add', '--json', file])).stdout)).toMatchObject({ cid })
    const got = await c.cli(['get', '--json', cid, '-o', out, '--provider', b.info.addresses[0]])
    expect(got.stderr).toBe('')
    const r = JSON.parse(got.stdout) as GetJson
    // 8 full 1 MiB leaves, one 5-byte leaf, one root node.
    expect(r.fetch.blocksFetched + r.fetch.blocksSkipped).toBe(10)
    expect(r.fetch.providers.find(p => p.peer === b.info.peerId)?.error).toBeUndefined()
    expect(await sha256Hex(createReadStream(out))).toBe(await sha256Hex(createReadStream(file)))
    expect(JSON.parse((await c.cli(['repo', 'verify', '--json'])).stdout)).toMatchObject({ checked: 10, corrupt: [] })
  })
})
