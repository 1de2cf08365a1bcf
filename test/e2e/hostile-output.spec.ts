/**
 * `agora get -o` of a hostile DAG across real processes on 127.0.0.1: a hostile daemon holds the
 * symlink-then-directory DAG of issue 10 (two links named `a`: a symlink to the victim's
 * directory, then a directory holding `authorized_keys`); a victim daemon fetches it from that
 * peer and writes it, and the CLI writes it offline from its own repo. Neither writes anything
 * outside the output, and both exit non-zero naming the duplicate.
 */
import { mkdir, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { initRepo, openRepo } from '../../src/store/index.ts'
import { runCli, spawnDaemon, stopAll, tempDir } from '../utils/daemon.ts'
import { symlinkThenDirectory } from '../utils/hostile-tree.ts'
import type { TestDaemon } from '../utils/daemon.ts'
import type { CraftedDag } from '../utils/hostile-tree.ts'

let dir: string
let victimDir: string
let dag: CraftedDag
let hostile: TestDaemon
let victim: TestDaemon

/** A repo (not running) whose blockstore holds the DAG's blocks. */
async function repoWith (path: string, d: CraftedDag): Promise<string> {
  await initRepo(path)
  const repo = await openRepo(path)
  try {
    for (const b of d.blocks) await repo.blockstore.put(b.cid, b.bytes)
  } finally {
    await repo.close()
  }
  return path
}

/** Entries of `path`, none when it does not exist. */
async function entries (path: string): Promise<string[]> {
  return readdir(path).catch((err: NodeJS.ErrnoException) => { if (err.code === 'ENOENT') return []; throw err })
}

beforeAll(async () => {
  dir = await tempDir('agora-hostile-out-')
  victimDir = join(dir, 'victim-ssh')
  await mkdir(victimDir)
  dag = await symlinkThenDirectory(victimDir)
  ;[hostile, victim] = await Promise.all([
    spawnDaemon({ repo: await repoWith(join(dir, 'hostile-repo'), dag) }),
    spawnDaemon()
  ])
}, 120_000)

afterAll(stopAll)

describe('e2e: hostile output', { timeout: 120_000 }, () => {
  it('behavior: a daemon fetching the symlink-then-directory DAG from a hostile peer refuses it: exit non-zero, the duplicate "a" named, nothing in the victim directory', async () => {
    const out = join(dir, 'daemon-out')
    const r = await victim.cli(['get', dag.root.toString(), '-o', out, '--provider', hostile.info.addresses[0], '--timeout', '30s'])
    expect(r.code).not.toBe(0)
    expect(r.stderr).toContain('duplicate name "a"')
    expect(await entries(victimDir)).toEqual([])
    // Reasoning: the walk stops at the second "a" and symlinks are made last, so the output
    // directory (made before the walk) stays empty.
    expect(await entries(out)).toEqual([])
  })

  it('behavior: the CLI offline, the blocks in its own repo, refuses the same DAG and writes nothing in the victim directory', async () => {
    const repo = await repoWith(join(dir, 'offline-repo'), dag)
    const out = join(dir, 'offline-out')
    const r = await runCli(['get', dag.root.toString(), '-o', out], { repo })
    expect(r.code).not.toBe(0)
    expect(r.stderr).toContain('duplicate name "a"')
    expect(await entries(victimDir)).toEqual([])
    expect(await entries(out)).toEqual([])
  })
})
