import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'

// Why this is the property: `agora --help` used to take about a second because the command table
// imported every implementation, and with them libp2p, Helia, the store (blockstore, LevelDB
// datastore) and the ledger, before the arguments were parsed. Startup time itself is measured by
// bench/cli-start.bench.ts, not asserted here (it depends on the machine and its load); what a
// test can check exactly is that none of those packages is loaded at all.
const BIN = fileURLToPath(new URL('../../src/cli/bin.ts', import.meta.url))
const HEAVY = /\/node_modules\/(libp2p|helia|@libp2p\/|@helia\/|@chainsafe\/|blockstore-|datastore-|interface-blockstore|interface-datastore|ipfs-unixfs|classic-level|level)/

// Records every module URL Node resolves (ESM and require alike), written out at exit.
const HOOK = `data:text/javascript,${encodeURIComponent(`
import { registerHooks } from 'node:module'
import { writeFileSync } from 'node:fs'
const seen = new Set()
registerHooks({ resolve (s, c, next) { const r = next(s, c); seen.add(r.url); return r } })
process.on('exit', () => { writeFileSync(process.env.AGORA_TEST_MODULES, [...seen].join('\\n')) })
`)}`

const dir = mkdtempSync(join(tmpdir(), 'agora-lazy-'))
afterAll(() => { rmSync(dir, { recursive: true, force: true }) })

function modulesOf (args: string[]): string[] {
  const out = join(dir, `modules-${args.join('-')}.txt`)
  const r = spawnSync(process.execPath, ['--import', HOOK, BIN, ...args], {
    env: { ...process.env, AGORA_TEST_MODULES: out, AGORA_REPO: join(dir, 'repo') },
    encoding: 'utf8'
  })
  expect(r.stderr).toBe('')
  expect(r.status).toBe(0)
  return readFileSync(out, 'utf8').split('\n')
}

describe('cli start-up loads only what the command needs', () => {
  it('agora --help loads the command definitions and no libp2p, Helia, store or ledger package', () => {
    const mods = modulesOf(['--help'])
    // the hook saw the CLI itself (so an empty list cannot pass by accident)
    expect(mods.some(m => m.endsWith('/src/cli/commands/index.ts'))).toBe(true)
    expect(mods.filter(m => HEAVY.test(m))).toEqual([])
    expect(mods.filter(m => /\/src\/(node|store|dht|ledger|market|incentives|api)\//.test(m) || m.endsWith('/src/node.ts'))).toEqual([])
  })

  it('agora <group> --help (market, wallet, yuma) loads no implementation either', () => {
    for (const group of ['market', 'wallet', 'yuma', 'pin']) {
      const mods = modulesOf([group, '--help'])
      expect(mods.filter(m => HEAVY.test(m))).toEqual([])
    }
  })

  it('agora --version loads nothing heavy', () => {
    expect(modulesOf(['--version']).filter(m => HEAVY.test(m))).toEqual([])
  })
})
