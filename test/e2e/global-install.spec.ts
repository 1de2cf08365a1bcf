import { execFile } from 'node:child_process'
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { delimiter, join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { projectLockfiles, startLocalRegistry } from './fixtures/local-registry.ts'
import type { LocalRegistry } from './fixtures/local-registry.ts'

const run = promisify(execFile)
const root = resolve(import.meta.dirname, '../..')

// The machine's PATH without the project's node_modules/.bin (which npm scripts put first, with
// the bundled Node 22): what a user's shell has after `npm install -g`. On this machine and in
// CI, its `node` is Debian's Node 20.
const userPath = (process.env.PATH ?? '').split(delimiter).filter(p => !p.includes('node_modules')).join(delimiter)

let dir: string
let agora: string
let registry: LocalRegistry | undefined
const env = (): NodeJS.ProcessEnv => ({ ...process.env, PATH: userPath, AGORA_REPO: join(dir, 'repo') })

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'agora-global-'))
  // `npm pack` as a publisher would (prepack → shrinkwrap, prepare → dist/), then
  // `npm install -g agora` from a registry on 127.0.0.1 that serves that tarball as the public
  // registry would after `npm publish` (see fixtures/local-registry.ts), into a prefix of our
  // own. --prefer-offline: tarballs come from the npm cache that `npm ci` filled.
  await run('npm', ['pack', '--silent', '--pack-destination', dir], { cwd: root, env: { ...process.env } })
  const tgz = (await readdir(dir)).find(f => f.endsWith('.tgz'))
  if (tgz == null) throw new Error('npm pack wrote no tarball')
  const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { name: string, version: string }
  registry = await startLocalRegistry({ name: pkg.name, version: pkg.version, tarball: join(dir, tgz), lockfiles: projectLockfiles(root), manifest: pkg })
  await run('npm', ['install', '-g', '--prefer-offline', '--no-audit', '--no-fund', '--registry', registry.url, '--replace-registry-host=never', '--prefix', join(dir, 'global'), `${pkg.name}@${pkg.version}`], { cwd: dir, env: env() })
  agora = join(dir, 'global', 'bin', 'agora')
}, 240_000)

afterAll(async () => {
  await registry?.close()
  await rm(dir, { recursive: true, force: true })
})

describe('a global install of the packed project', () => {
  it('default: `agora` runs from a PATH whose node is the machine\'s, not the bundled one', async () => {
    const machineNode = (await run('node', ['--version'], { env: env() })).stdout.trim()
    const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { version: string }
    const version = await run(agora, ['--version'], { env: env() })
    expect(version.stdout.trim(), `agora --version with node ${machineNode} first on the PATH`).toBe(pkg.version)
    const help = await run(agora, ['--help'], { env: env() })
    expect(help.stdout).toContain('Usage: agora <command>')
    // init, add and cat need Node 22 (node:sqlite, the store's workers): the launcher re-executes
    // with the package's own Node whatever `node` the PATH finds.
    expect((await run(agora, ['init'], { env: env() })).stdout).toBe(`initialised repo at ${join(dir, 'repo')}\n`)
    await writeFile(join(dir, 'hello.txt'), 'hello world\n')
    // A one-chunk file under the default profile is a raw leaf: CIDv1 raw of sha256("hello world\n")
    // (the same CID as test/api/cli-content.spec.ts, from the store's vectors).
    const cid = 'bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4'
    expect((await run(agora, ['add', '-q', 'hello.txt'], { cwd: dir, env: env() })).stdout).toBe(`${cid}\n`)
    expect((await run(agora, ['cat', cid], { env: env() })).stdout).toBe('hello world\n')
  }, 120_000)
})
