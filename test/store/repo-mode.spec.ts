import { chmod, mkdir, mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { initRepo, openRepo, REPO_FILES } from '../../src/store/index.ts'

/** The permission bits of a path. */
async function mode (p: string): Promise<number> {
  return (await stat(p)).mode & 0o777
}

describe('repo permissions', () => {
  let dir: string
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'agora-repo-mode-')) })
  afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

  it('tightens a pre-existing 0755 repo directory, blocks/ and datastore/ to 0700 on open', async () => {
    const path = join(dir, 'repo')
    await initRepo(path)
    // Loosen what an older version, a hand-made directory or a 022 umask would leave behind.
    for (const p of [path, join(path, REPO_FILES.blocks), join(path, REPO_FILES.datastore)]) await chmod(p, 0o755)
    await chmod(join(path, REPO_FILES.identity), 0o644)
    const repo = await openRepo(path)
    try {
      // 0700: owner rwx, nothing for group and others (the policy in src/store/repo.ts)
      expect(await mode(path)).toBe(0o700)
      expect(await mode(join(path, REPO_FILES.blocks))).toBe(0o700)
      expect(await mode(join(path, REPO_FILES.datastore))).toBe(0o700)
      // the key is owner read/write only, whatever it was loosened to
      expect(await mode(join(path, REPO_FILES.identity))).toBe(0o600)
      expect(await mode(join(path, REPO_FILES.token))).toBe(0o600)
    } finally {
      await repo.close()
    }
  })

  it('init into an existing 0755 directory leaves it and every sub-directory 0700', async () => {
    const path = join(dir, 'pre-made')
    await mkdir(path)
    await chmod(path, 0o755) // mkdir's mode is masked by the umask; set it explicitly
    await mkdir(join(path, REPO_FILES.blocks))
    await chmod(join(path, REPO_FILES.blocks), 0o755)
    await initRepo(path)
    expect(await mode(path)).toBe(0o700)
    expect(await mode(join(path, REPO_FILES.blocks))).toBe(0o700)
    // datastore/ is created by LevelDB with the process's default mode: 0700 only if we set it
    expect(await mode(join(path, REPO_FILES.datastore))).toBe(0o700)
  })
})
