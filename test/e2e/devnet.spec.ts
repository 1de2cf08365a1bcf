/**
 * `agora devnet` as a user runs it: a process that starts the peers, prints how to reach them
 * and stops them all on SIGINT.
 */
import { join } from 'node:path'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { runCli, spawnDaemon, stopAll, tempDir } from '../utils/daemon.ts'
import type { TestDaemon } from '../utils/daemon.ts'

afterAll(stopAll)

interface DevnetView {
  dir: string
  netuid: number
  content: string[]
  peers: Array<{ name: string, role: string, repo: string, peerId: string, api: string, pid: number }>
}

function alive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** `agora devnet` with one miner and one validator in `dir`, ready once it prints DEVNET_READY. */
async function devnetIn (dir: string): Promise<TestDaemon<DevnetView>> {
  return spawnDaemon<DevnetView>({
    command: ['devnet'],
    replaceArgs: true,
    args: ['--miners', '1', '--validators', '1', '--tempo', '5', '--block-time', '400', '--dir', dir],
    ready: (line) => line.startsWith('DEVNET_READY ') ? JSON.parse(line.slice('DEVNET_READY '.length)) as DevnetView : undefined,
    readyTimeout: 120_000
  })
}

describe('e2e: devnet', () => {
  it('default: starts an authority, a miner and a validator that register and earn, and stops them all on SIGINT', async () => {
    const dir = join(await tempDir(), 'net')
    const devnet = await devnetIn(dir)
    const net = devnet.info
    expect(net.peers.map(p => `${p.name}:${p.role}`)).toEqual(['authority:authority', 'miner-1:miner', 'validator-1:validator'])
    expect(net.content).toHaveLength(2)
    expect(devnet.stdout()).toContain(`repo ${join(dir, 'miner-1')}`)
    const miner = net.peers[1]
    // The miner registers itself and, once the validator's weights are in, earns incentive.
    await vi.waitFor(async () => {
      const s = JSON.parse((await runCli(['status', '--json'], { repo: miner.repo })).stdout) as { uid: number | null, incentive: number }
      expect(s.uid).not.toBeNull()
      expect(s.incentive).toBeGreaterThan(0)
    }, { timeout: 90_000, interval: 2000 })

    // The authority runs no role: `agora status` says so instead of a bare 404.
    const plain = await runCli(['status'], { repo: net.peers[0].repo })
    expect(plain.code).not.toBe(0)
    expect(plain.stderr).toContain('runs no miner or validator role')

    devnet.proc.kill('SIGINT')
    const code = await new Promise<number | null>(resolve => { devnet.proc.once('exit', resolve) })
    expect(code).toBe(0)
    expect(devnet.stderr()).toContain('received SIGINT, stopping 3 peers')
    for (const p of net.peers) expect(alive(p.pid)).toBe(false)
    // the first run funded, registered, staked and published
    for (const did of ['funded 2 hotkey(s)', 'validator-1 registered and staked', 'dev account created subnet', 'published sample-a']) expect(devnet.stderr()).toContain(did)

    // the same --dir again: the peers start, and nothing that is done already is claimed again
    const again = await devnetIn(dir)
    expect(again.info.content).toEqual(net.content)
    expect(again.stderr()).toContain('started validator-1')
    for (const did of ['funded', 'registered', 'staked', 'created subnet', 'published']) expect(again.stderr()).not.toContain(did)
    // Ctrl-C right after the ready line: every peer of this run stops too
    again.proc.kill('SIGINT')
    expect(await new Promise<number | null>(resolve => { again.proc.once('exit', resolve) })).toBe(0)
    for (const p of again.info.peers) expect(alive(p.pid), p.name).toBe(false)
  })
})
