/**
 * The daemon's flags → services choice (src/cli/daemon-services.ts): a content-only peer runs
 * the market alone; `--dev` adds the ledger before it; `--role` adds the incentives after both,
 * and without a chain is refused with `IncentivesSetupError` before anything starts.
 */
import { mkdtemp, rm } from 'node:fs/promises'
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

  it('behavior: --role without a chain is refused with IncentivesSetupError', async () => {
    const f = await flags({ roles: ['miner'] })
    await expect(daemonServices(f)).rejects.toMatchObject({ name: 'IncentivesSetupError', message: '--role needs a chain: run the daemon with --dev or --genesis <file>' })
  })
})
