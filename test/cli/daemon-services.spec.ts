/**
 * The daemon's flags → services choice (src/cli/daemon-services.ts): a content-only peer runs
 * the market alone; `--dev` adds the ledger before it; `--role` adds the incentives after both,
 * and without a chain is refused with `IncentivesSetupError` before anything starts.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { daemonServices } from '../../src/cli/daemon-services.ts'
import { initRepo } from '../../src/store/index.ts'
import type { DaemonFlags } from '../../src/cli/daemon-services.ts'

const dirs: string[] = []
afterEach(async () => { for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true }) })

async function flags (over: Partial<DaemonFlags> = {}): Promise<DaemonFlags & { err: string[] }> {
  const repo = await mkdtemp(join(tmpdir(), 'agora-daemon-services-'))
  dirs.push(repo)
  await initRepo(repo)
  const err: string[] = []
  const io = { stdout: { write: () => true }, stderr: { write: (c: string | Uint8Array) => { err.push(String(c)); return true } }, env: {}, cwd: repo }
  return { repo, dev: false, roles: [], io, err, ...over }
}

describe('daemon services', () => {
  it('default: a peer without a chain runs the market only', async () => {
    const f = await flags()
    expect((await daemonServices(f)).map(s => s.key.name)).toEqual(['market'])
  })

  it('behavior: --dev adds the ledger first, --role the incentives last', async () => {
    const f = await flags({ dev: true, roles: ['miner', 'validator', 'miner'] })
    const services = await daemonServices(f)
    expect(services.map(s => s.key.name)).toEqual(['ledger', 'market', 'incentives'])
    expect(services[2].requires?.map(k => k.name)).toEqual(['ledger'])
    expect(f.err.join('')).toContain('authority (produces blocks)')
  })

  it('behavior: a new dev chain has 1 s blocks and tempo 20, or the block time --block-time gives; the genesis keeps it', async () => {
    const quick = await flags({ dev: true })
    await daemonServices(quick)
    const g = JSON.parse(await readFile(join(quick.repo, 'genesis.json'), 'utf8')) as { params: { blockTimeMs: number, newSubnet: { tempo: number } } }
    expect(g.params.blockTimeMs).toBe(1000)
    expect(g.params.newSubnet.tempo).toBe(20)
    // a registration counts as a weight set: on a dev chain weights can follow it at once
    expect((g.params.newSubnet as { weightsSetRateLimit?: number }).weightsSetRateLimit).toBe(1)
    const main = await flags({ dev: true, blockTimeMs: 12_000 })
    await daemonServices(main)
    expect((JSON.parse(await readFile(join(main.repo, 'genesis.json'), 'utf8')) as { params: { blockTimeMs: number } }).params.blockTimeMs).toBe(12_000)
  })

  it('behavior: --role without a chain is refused with IncentivesSetupError', async () => {
    const f = await flags({ roles: ['miner'] })
    await expect(daemonServices(f)).rejects.toMatchObject({ name: 'IncentivesSetupError', message: '--role needs a chain: run the daemon with --dev or --genesis <file>' })
  })
})
