/**
 * The gateway is nobody's download robot: real daemons in their own processes, A holding a
 * 20 MiB file, B and C connected to A. Cross-site requests to B fetch nothing, a 1-byte Range
 * fetches only the blocks covering it, and C's per-request fetch cap stops a full GET.
 */
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { initRepo } from '../../src/store/index.ts'
import { deterministicBuffer, writeDeterministicFile } from '../utils/data.ts'
import { blockFiles, spawnDaemon, stopAll, tempDir } from '../utils/daemon.ts'
import type { ConfigOverrides } from '../../src/config.ts'
import type { TestDaemon } from '../utils/daemon.ts'

afterAll(stopAll)

const MiB = 1024 * 1024
const SIZE = 20 * MiB

/** Block files in a repo's blockstore (`blocks/<shard>/<key>.data`). */
/** A daemon on a repo created beforehand with `config` (loopback addresses are a LAN here). */
async function daemonWith (config: ConfigOverrides, bootstrap: string): Promise<TestDaemon> {
  const repo = join(await tempDir(), 'repo')
  await initRepo(repo, { config: { ...config, swarm: { network: 'lan', ...config.swarm } } })
  return spawnDaemon({ repo, args: ['--bootstrap', bootstrap] })
}

describe('e2e: a hostile page cannot make the gateway fetch', () => {
  let a: TestDaemon
  let b: TestDaemon
  let c: TestDaemon
  let cid: string

  beforeAll(async () => {
    const dir = await tempDir()
    const file = join(dir, 'model.bin')
    await writeDeterministicFile(file, 'hostile-gw', SIZE)
    a = await spawnDaemon()
    b = await daemonWith({}, a.info.addresses[0])
    c = await daemonWith({ gateway: { maxFetchBytes: 4 * MiB } }, a.info.addresses[0])
    // Added once B and C are connected, so the provider record reaches the DHT they query.
    const added = await a.cli(['add', '--json', file])
    expect(added.stderr).toBe('')
    cid = (JSON.parse(added.stdout) as { cid: string }).cid
  }, 120_000)

  it('behavior: cross-site requests (Sec-Fetch-Site, a foreign Origin or Referer) for content B lacks are 412 and B stores no block', async () => {
    const before = (await blockFiles(b.repo)).length
    const attacks: Array<Record<string, string>> = [
      // what a browser sends for <img src="http://127.0.0.1:…/ipfs/<cid>"> on another site
      { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'no-cors', 'sec-fetch-dest': 'image' },
      // an older browser or a fetch() from another site: only Origin
      { origin: 'http://evil.example' },
      { referer: 'http://evil.example/page.html' }
    ]
    for (const headers of attacks) {
      const res = await fetch(`${b.info.gateway}/ipfs/${cid}`, { headers, signal: AbortSignal.timeout(60_000) })
      expect(res.status).toBe(412)
      const body = await res.json() as { error: { name: string, message: string } }
      expect(body.error.name).toBe('NotHeldLocallyError')
      expect(body.error.message).toContain('not held locally')
    }
    expect((await blockFiles(b.repo)).length).toBe(before)
  })

  it('behavior: a 1-byte Range fetches only the root and the first leaf', async () => {
    const before = (await blockFiles(b.repo)).length
    const res = await fetch(`${b.info.gateway}/ipfs/${cid}`, { headers: { range: 'bytes=0-0' }, signal: AbortSignal.timeout(60_000) })
    expect(res.status).toBe(206)
    expect(res.headers.get('content-range')).toBe(`bytes 0-0/${SIZE}`)
    expect(Buffer.from(await res.arrayBuffer())).toEqual(Buffer.from(deterministicBuffer('hostile-gw', 1)))
    // unixfs-v1-2025: 20 raw leaves of 1 MiB under one dag-pb root (up to 1024 links per node,
    // so no intermediate level). Byte 0 lies in leaf 0: the root (to learn the size and the
    // leaf sizes) and that leaf are the only blocks that cover it. The whole DAG is 21 blocks.
    expect((await blockFiles(b.repo)).length - before).toBe(2)
  })

  it('behavior: past gateway.maxFetchBytes a full GET fails with FetchLimitExceededError and the fetch stops', async () => {
    const res = await fetch(`${c.info.gateway}/ipfs/${cid}`, { signal: AbortSignal.timeout(60_000) })
    expect(res.status).toBe(403)
    const body = await res.json() as { error: { name: string } }
    expect(body.error.name).toBe('FetchLimitExceededError')
    // The cap is 4 MiB: the fetch is aborted once a 5th leaf has arrived; leaves already in
    // flight may still land, but C never holds the whole 21-block DAG.
    expect((await blockFiles(c.repo)).length).toBeLessThan(21)
  })
})
