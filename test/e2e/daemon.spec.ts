import { existsSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { runCli, spawnDaemon, stopAll, tempDir } from '../utils/daemon.ts'

afterAll(stopAll)

describe('e2e: daemon lifecycle', () => {
  it('default: first run creates the repo, prints a ready line, and SIGTERM stops it cleanly (exit 0, api.json removed)', async () => {
    const repo = join(await tempDir(), 'fresh')
    const d = await spawnDaemon({ repo })
    expect(d.info.api).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(d.info.addresses[0]).toMatch(new RegExp(`^/ip4/127\\.0\\.0\\.1/tcp/\\d+/p2p/${d.info.peerId}$`))
    expect(d.stderr()).toContain(`initialised repo at ${repo}`)
    expect(existsSync(join(repo, 'api.json'))).toBe(true)
    const code = await d.stop({ keepRepo: true })
    expect({ code, signal: d.proc.signalCode, stderr: d.stderr() }).toMatchObject({ code: 0 })
    expect(d.stderr()).toContain('received SIGTERM, shutting down')
    expect(existsSync(join(repo, 'api.json'))).toBe(false)
    // The same repo, same identity, serves again.
    const again = await spawnDaemon({ repo })
    expect(again.info.peerId).toBe(d.info.peerId)
    again.proc.kill('SIGINT')
    expect(await again.stop({ keepRepo: true })).toBe(0)
  })

  it('behavior: after kill -9 the stale api.json is ignored and the CLI works on the repo directly', async () => {
    const d = await spawnDaemon()
    await d.kill()
    expect(existsSync(join(d.repo, 'api.json'))).toBe(true)
    const file = join(d.repo, '..', 'x.txt')
    await writeFile(file, 'hello world\n')
    const r = await runCli(['add', '--json', file], { repo: d.repo })
    expect(r.stderr).toBe('')
    expect(JSON.parse(r.stdout)).toMatchObject({ daemon: false, cid: 'bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4' })
  })

  it('behavior: an API address outside loopback is warned about', async () => {
    const d = await spawnDaemon({ args: ['--api', '0.0.0.0:0'] })
    expect(d.stderr()).toMatch(/WARNING: the API listens on 0\.0\.0\.0:0, not loopback/)
  })
})
