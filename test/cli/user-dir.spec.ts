/**
 * Relative paths mean the user's directory however the CLI is started. Under `npm run agora` npm
 * runs the CLI in the package root and names the user's directory INIT_CWD (with
 * npm_lifecycle_event=agora and npm_package_name=agora): a real CLI process started that way
 * reads `./data.txt` from INIT_CWD. The same variables from another script (a test run, another
 * package) change nothing.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { userDir } from '../../src/cli/main.ts'
import { runCli } from '../utils/daemon.ts'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const dirs: string[] = []
afterEach(async () => { await Promise.all(dirs.splice(0).map(async d => rm(d, { recursive: true, force: true }))) })

describe('the user\'s directory', () => {
  it('default: INIT_CWD in this package\'s agora and start scripts only', () => {
    const npm = (event: string, name = 'agora'): NodeJS.ProcessEnv => ({ INIT_CWD: '/home/u/models', npm_lifecycle_event: event, npm_package_name: name })
    expect(userDir(npm('agora'), '/opt/agora')).toBe('/home/u/models')
    expect(userDir(npm('start'), '/opt/agora')).toBe('/home/u/models')
    expect(userDir(npm('test'), '/opt/agora')).toBe('/opt/agora')
    expect(userDir(npm('agora', 'other-package'), '/opt/agora')).toBe('/opt/agora')
    expect(userDir({ ...npm('agora'), INIT_CWD: 'relative' }, '/opt/agora')).toBe('/opt/agora')
    expect(userDir({}, '/opt/agora')).toBe('/opt/agora')
  })

  it('behavior: started as npm run agora starts it (in the package root), add ./data.txt reads the user\'s file', async () => {
    const user = await mkdtemp(join(tmpdir(), 'agora-user-dir-'))
    dirs.push(user)
    await writeFile(join(user, 'data.txt'), 'the user\'s own file\n')
    const env = { INIT_CWD: user, npm_lifecycle_event: 'agora', npm_package_name: 'agora', AGORA_REPO: join(user, 'repo') }
    expect((await runCli(['init'], { cwd: ROOT, env })).code).toBe(0)
    const r = await runCli(['add', './data.txt', '--json'], { cwd: ROOT, env })
    expect(r.code, r.stderr).toBe(0)
    const added = JSON.parse(r.stdout) as { cid: string, size: number }
    // 20 bytes of the user's file
    expect(added.size).toBe(20)
    const cat = await runCli(['cat', added.cid], { cwd: ROOT, env })
    expect(cat.stdout).toBe('the user\'s own file\n')
  })
})
