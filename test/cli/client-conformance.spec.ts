import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startDaemon } from '../../src/api/index.ts'
import { connectDaemon } from '../../src/cli/client.ts'
import { HttpClient } from '../../src/cli/client-http.ts'
import { LocalClient } from '../../src/cli/client-local.ts'
import { initRepo } from '../../src/store/index.ts'
import type { AgoraClient } from '../../src/cli/agora-client.ts'
import type { Daemon } from '../../src/api/index.ts'

// The same calls, first on the repo offline (LocalClient), then on the same repo through its
// daemon (HttpClient): the two implementations of the one interface must answer alike.

let dir: string
let repo: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'agora-clients-'))
  repo = join(dir, 'repo')
  await initRepo(repo)
  await mkdir(join(dir, 'tree', 'sub'), { recursive: true })
  await writeFile(join(dir, 'tree', 'a.txt'), 'hello world\n')
  await writeFile(join(dir, 'tree', 'sub', 'b.bin'), new Uint8Array(300_000).map((_, i) => i % 251))
})

afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

async function collect (it: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = []
  for await (const c of it) parts.push(c)
  return Buffer.concat(parts)
}

/** What a sequence of commands sees: add, ls, cat (whole and a range), get, pins, repo stat, verify. */
async function session (c: AgoraClient, out: string): Promise<Record<string, unknown>> {
  const added = await c.add(join(dir, 'tree'), { profile: 'unixfs-v1-2025', pin: true })
  const { providedTo: _p, ...add } = added
  const ls = await c.ls(added.cid, {})
  const cat = (await collect(c.cat(`${added.cid}/a.txt`, {}))).toString()
  const range = [...await collect(c.cat(`${added.cid}/sub/b.bin`, { offset: 1000, length: 5 }))]
  const { fetch: _f, path: _gp, ...got } = await c.get(added.cid, out, { force: false })
  const pins = (await c.pins()).map(p => ({ cid: p.cid, type: p.type }))
  const { path: _path, ...stat } = await c.repoStat()
  const verify = await c.verify()
  return { add, ls, cat, range, got, pins, stat, verify }
}

describe('the two clients of the CLI', () => {
  it('default: offline and through the daemon, the same calls give the same answers', async () => {
    const local = new LocalClient(repo)
    let offline: Record<string, unknown>
    let id: string
    try {
      offline = await session(local, join(dir, 'out-local'))
      id = (await local.id()).peerId
    } finally {
      await local.close()
    }
    // What the answers are, from the inputs: "hello world\n" is 12 bytes; b.bin's byte i is i mod 251.
    expect(offline.cat).toBe('hello world\n')
    expect(offline.range).toEqual([1000, 1001, 1002, 1003, 1004].map(i => i % 251))
    expect(offline.got).toMatchObject({ files: 2, bytes: 300_012 })
    expect(await readFile(join(dir, 'out-local', 'a.txt'), 'utf8')).toBe('hello world\n')
    expect(offline.verify).toMatchObject({ corrupt: [] })

    const daemon: Daemon = await startDaemon({ repo, config: { addresses: { listen: ['/ip4/127.0.0.1/tcp/0'], api: '127.0.0.1:0', gateway: '127.0.0.1:0' } } })
    try {
      const api = await connectDaemon(repo)
      if (api == null) throw new Error('the daemon wrote no api.json')
      const http = new HttpClient(repo, api)
      // Adding the same tree again changes nothing in the repo, so both sessions see the same state.
      const online = await session(http, join(dir, 'out-daemon'))
      expect(online).toEqual(offline)
      expect(await readFile(join(dir, 'out-daemon', 'sub', 'b.bin'))).toEqual(await readFile(join(dir, 'tree', 'sub', 'b.bin')))
      expect((await http.id()).peerId).toBe(id)
      expect(await http.peers()).toEqual([])
    } finally {
      await daemon.stop()
    }
  })

  it('behavior: offline, what needs a running peer fails with DaemonNotRunningError and opens nothing', async () => {
    const local = new LocalClient(join(dir, 'no-such-repo'))
    for (const call of [async () => local.peers(), async () => local.chain.status(), async () => local.market.search({ q: '' }), async () => local.incentives.report()]) {
      await expect(call()).rejects.toMatchObject({ name: 'DaemonNotRunningError' })
    }
    await local.close()
  })
})
