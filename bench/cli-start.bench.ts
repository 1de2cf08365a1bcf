/**
 * CLI start-up: wall time of whole `agora` commands as a user runs them (`bin/agora.js`, its
 * shebang and launcher included), against a bare `node -e 0` measured in the same run:
 *   - the package as `npm install -g` of its `npm pack` tarball installs it (compiled dist/),
 *     and the clone (which runs src/ with Node's type stripping, so edits need no build);
 *   - with Node 22 first on the PATH (npm scripts, npx, a machine with Node 22), and with the
 *     machine's PATH (Node 20 here), where the launcher re-executes with the package's Node 22
 *     and so pays for two Node start-ups;
 *   - two commands: `--help`, and `id` on an initialised repo with no daemon.
 *
 *   node bench/cli-start.bench.ts [--runs 15]
 */
import { spawnSync } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import { parseArgs } from 'node:util'
import { fileURLToPath } from 'node:url'

const { values } = parseArgs({ options: { runs: { type: 'string', default: '15' } } })
const RUNS = Number(values.runs)
const root = fileURLToPath(new URL('..', import.meta.url))
const clone = join(root, 'bin', 'agora.js')
const dir = await mkdtemp(join(tmpdir(), 'agora-cli-start-'))
const repo = join(dir, 'repo')
const node22Path = process.env.PATH ?? ''
const machinePath = node22Path.split(delimiter).filter(p => !p.includes('node_modules')).join(delimiter)

function time (cmd: string, args: string[], path: string): number {
  const t0 = process.hrtime.bigint()
  const r = spawnSync(cmd, args, { env: { ...process.env, PATH: path, AGORA_REPO: repo }, stdio: ['ignore', 'ignore', 'pipe'] })
  const ms = Number(process.hrtime.bigint() - t0) / 1e6
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr.toString()}`)
  return ms
}

function median (f: () => number): number {
  f() // warm the page cache and Node's compile cache
  const xs = Array.from({ length: RUNS }, f).sort((a, b) => a - b)
  return xs[Math.floor(xs.length / 2)]
}

/** `npm pack` and a global install into `dir` from the npm cache (nothing is contacted). */
function install (): string {
  const sh = (args: string[], cwd: string): string => {
    const r = spawnSync('npm', args, { cwd, env: { ...process.env, PATH: machinePath }, encoding: 'utf8' })
    if (r.status !== 0) throw new Error(`npm ${args.join(' ')}: ${r.stderr}`)
    return r.stdout.trim()
  }
  const tgz = sh(['pack', '--silent', '--pack-destination', dir], root).split('\n').at(-1) ?? ''
  sh(['install', '-g', '--offline', '--no-audit', '--no-fund', '--prefix', join(dir, 'global'), join(dir, tgz)], dir)
  return join(dir, 'global', 'bin', 'agora')
}

try {
  const installed = install()
  time(installed, ['init'], node22Path)
  const machineNode = spawnSync('node', ['--version'], { env: { ...process.env, PATH: machinePath } }).stdout.toString().trim()
  const bare = median(() => time(process.execPath, ['-e', '0'], node22Path))
  console.log(`node -e 0 (${process.version}): ${bare.toFixed(1)} ms (median of ${RUNS})`)
  for (const [where, bin] of [['installed', installed], ['clone', clone]]) {
    for (const [path, v] of [[node22Path, process.version], [machinePath, machineNode]]) {
      for (const args of [['--help'], ['id']]) {
        const ms = median(() => time(bin, args, path))
        console.log(`${where}: agora ${args.join(' ')} with node ${v} first on the PATH: ${ms.toFixed(1)} ms = ${(ms / bare).toFixed(2)}× node -e 0`)
      }
    }
  }
} finally {
  await rm(dir, { recursive: true, force: true })
}
