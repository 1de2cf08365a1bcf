/**
 * The whole loop in separate processes: a devnet of 1 authority, 3 validators and 6 miners
 * (3 honest, 1 serving corrupt bytes, 1 offline half of the time, 1 serving only peers whose id
 * is in the metagraph) with a short tempo. After three epochs with weights, the honest miners
 * have the highest incentive, the corrupt one none, and the selective one far less than the
 * honest (validators probe from fresh peer ids, so it refuses every probe); then, with every peer stopped, the authority's chain is opened and every rao accounted
 * (issuance = free balances + stake + locks, and the ledger's own audit; the last epoch paid
 * as the emission rule says).
 */
import { readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { startDevnet } from '../../src/cli/devnet.ts'
import { openReportBatch } from '../../src/incentives/probe-report.ts'
import { toAddress } from '../../src/ledger/address.ts'
import { parseGenesis } from '../../src/ledger/genesis.ts'
import { Ledger } from '../../src/ledger/ledger.ts'
import { yumaEpoch } from '../../src/ledger/yuma-adapter.ts'
import { openRepo } from '../../src/store/index.ts'
import { runCli, spawnDaemon, stopAll, tempDir } from '../utils/daemon.ts'
import type { Devnet } from '../../src/cli/devnet.ts'

let net: Devnet | undefined
afterAll(async () => {
  await net?.stop()
  await stopAll()
})

interface Row { uid: number, hotkey: string, stake: string, incentive: number, emission: string, lastUpdate: number, registeredAt: number }
interface SubnetJson { subnet: { lastMechanismStepBlock: number, emissionValue: string, params: { tempo: number } }, metagraph: Row[] }

async function api (repo: string, url: string, path: string, params: Record<string, string> = {}): Promise<any> {
  const token = (await readFile(join(repo, 'api.token'), 'utf8')).trim()
  const res = await fetch(`${url}${path}?${new URLSearchParams(params).toString()}`, { headers: { authorization: `Bearer ${token}` } })
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`)
  return res.json()
}

async function flipEveryBlock (repo: string): Promise<number> {
  let n = 0
  const root = join(repo, 'blocks')
  for (const d of await readdir(root)) {
    for (const f of await readdir(join(root, d))) {
      const path = join(root, d, f)
      if (!f.endsWith('.data') || (await stat(path)).size < 4096) continue
      const bytes = await readFile(path)
      bytes[100] ^= 0x01
      await writeFile(path, bytes)
      n++
    }
  }
  return n
}

describe('e2e: incentives', () => {
  it('behavior: honest miners earn the most, a corrupt miner nothing, an offline-half-the-time or validators-only miner less; every rao is accounted', async () => {
    const tempo = 9
    net = await startDevnet({ miners: 6, validators: 3, tempo, blockTimeMs: 500, dir: join(await tempDir(), 'devnet') })
    const peer = (name: string): Devnet['peers'][number] => net!.peers.find(p => p.name === name)!
    const authority = peer('authority')
    const subnet = async (): Promise<SubnetJson> => api(authority.repo, authority.api, '/api/v0/chain/subnet', { netuid: String(net!.netuid) })
    // miner-4 serves corrupt bytes: one byte flipped in every block it pinned (both listings are single raw blocks).
    expect(await flipEveryBlock(peer('miner-4').repo)).toBe(2)
    // miner-5 is offline half of the time: down for 5 s, up for 5 s (an epoch is 10 blocks = 5 s).
    const flapping = new AbortController()
    const pause = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }
    const flap = (async () => {
      while (!flapping.signal.aborted) {
        await net!.stopPeer('miner-5')
        await pause(5000)
        if (flapping.signal.aborted) break
        await net!.startPeer('miner-5')
        await pause(5000)
      }
    })()
    const hotkeys = Object.fromEntries(net.peers.map(p => [p.name, p.hotkey]))
    // miner-6 restarts with the same repo and flags as the devnet gave it, with the fetch protocol
    // served only to the metagraph's peer ids (fixtures/selective-miner.ts)
    const metagraphIds = (await subnet()).metagraph.map(r => net!.peers.find(p => p.hotkey === r.hotkey)?.peerId).filter(id => id != null)
    expect(metagraphIds).toHaveLength(9)
    await net.stopPeer('miner-6')
    const selective = await spawnDaemon({
      repo: peer('miner-6').repo,
      args: ['--genesis', net.genesis, '--bootstrap', authority.addresses[0], '--netuid', String(net.netuid), '--role', 'miner'],
      env: { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${join(import.meta.dirname, 'fixtures', 'selective-miner.ts')}`, AGORA_SELECTIVE_ALLOW: metagraphIds.join(',') }
    })
    expect(selective.info.peerId).toBe(peer('miner-6').peerId)
    const validators = ['validator-1', 'validator-2', 'validator-3'].map(n => hotkeys[n])
    // Start counting once all 8 neurons are registered and every validator has set weights.
    let start = -1
    await vi.waitFor(async () => {
      const s = await subnet()
      expect(s.metagraph).toHaveLength(9)
      for (const v of validators) {
        const row = s.metagraph.find(r => r.hotkey === v)!
        expect(row.lastUpdate).toBeGreaterThan(row.registeredAt)
      }
      start = s.subnet.lastMechanismStepBlock
    }, { timeout: 120_000, interval: 1000 })
    let last: SubnetJson | undefined
    await vi.waitFor(async () => {
      last = await subnet()
      expect(last.subnet.lastMechanismStepBlock).toBeGreaterThanOrEqual(start + 3 * (tempo + 1))
    }, { timeout: 120_000, interval: 1000 })
    flapping.abort()
    await flap
    const incentive = (name: string): number => last!.metagraph.find(r => r.hotkey === hotkeys[name])!.incentive
    const honest = ['miner-1', 'miner-2', 'miner-3'].map(incentive)
    expect(incentive('miner-4')).toBe(0)
    expect(Math.min(...honest)).toBeGreaterThan(incentive('miner-5'))
    for (const v of validators) expect(last!.metagraph.find(r => r.hotkey === v)!.incentive).toBeLessThan(Math.min(...honest))
    // every probe of miner-6 comes from a peer id outside the metagraph and is refused, so it is
    // scored as a miner that is never reachable: "clearly less" is taken as under half the
    // least honest miner's incentive (it would equal theirs if probes came from the hotkeys)
    expect(incentive('miner-6')).toBeLessThan(Math.min(...honest) / 2)

    // The emission rule, on the snapshot of the third epoch (one API answer, one state): the
    // epoch block pays out what accrued over tempo + 1 blocks at the subnet's emission value
    // (pending += emissionValue per block; the devnet's root epoch sets that value from the
    // first epoch on), the owner takes 11796/65535 of it (floored), and Yuma splits the rest
    // into a server and a validator emission per uid, each floored to the rao: the uids' sum
    // falls short of the rest by less than 2 rao per uid, and that dust is never minted (the
    // issuance identity below holds to the rao).
    const accrued = BigInt(last!.subnet.emissionValue) * BigInt(tempo + 1)
    const paid = last!.metagraph.reduce((a, r) => a + BigInt(r.emission), 0n)
    const cut = accrued * 11_796n / 65_535n
    expect(paid).toBeGreaterThan(0n)
    expect(accrued - cut - paid).toBeGreaterThanOrEqual(0n)
    expect(accrued - cut - paid).toBeLessThan(2n * BigInt(last!.metagraph.length))

    // What the peers report about themselves: a miner its uid, a validator its per-miner figures.
    const m1 = JSON.parse((await runCli(['status', '--json'], { repo: peer('miner-1').repo })).stdout) as { uid: number, registration: string, roles: string[] }
    expect(m1).toMatchObject({ uid: last!.metagraph.find(r => r.hotkey === hotkeys['miner-1'])!.uid, registration: 'registered', roles: ['miner'] })
    const report = JSON.parse((await runCli(['validator', 'report', '--json'], { repo: peer('validator-1').repo })).stdout) as { miners: Array<{ uid: number, integrityReputation: number, codeCounts: Record<string, number> }>, batches: Array<{ round: number, cid: string, reports: number }> }
    const uidOf = (name: string): number => last!.metagraph.find(r => r.hotkey === hotkeys[name])!.uid
    const corrupt = report.miners.find(m => m.uid === uidOf('miner-4'))!
    expect(corrupt.codeCounts.CONTENT_VERIFICATION_FAILED).toBeGreaterThan(0)
    expect(corrupt.integrityReputation).toBeLessThan(0.96)
    expect(report.miners.find(m => m.uid === uidOf('miner-1'))!.codeCounts.OK).toBeGreaterThan(0)
    const selectiveReport = report.miners.find(m => m.uid === uidOf('miner-6'))!
    // its probes were refused at the stream (the fixture resets them), none answered
    expect(selectiveReport.codeCounts.REFUSED).toBeGreaterThan(0)
    expect(selectiveReport.codeCounts.OK ?? 0).toBe(0)
    // The evidence is public: another peer's gateway fetches validator-1's last report batch by
    // CID over the network (DHT lookup of its provider), and every report in it opens and verifies.
    const batches = report.batches
    expect(batches.length).toBeGreaterThan(0)
    const newest = batches[batches.length - 1]
    const res = await fetch(`${peer('miner-2').gateway}/ipfs/${newest.cid}?format=raw`)
    expect(res.status).toBe(200)
    const opened = await openReportBatch(new Uint8Array(await res.arrayBuffer()))
    expect(opened.round).toBe(newest.round)
    expect(opened.reports).toHaveLength(newest.reports)
    expect(toAddress(opened.validatorHotkey)).toBe(hotkeys['validator-1'])

    // Every rao: stop the network, open the authority's chain at rest and account for it.
    await net.stop()
    const genesis = parseGenesis(JSON.parse(await readFile(net.genesis, 'utf8')))
    const repo = await openRepo(authority.repo)
    const ledger = new Ledger({ datastore: repo.datastore, genesis, epoch: yumaEpoch, produceBlocks: false, prefix: '/ledger' })
    try {
      await ledger.start()
      const g = ledger.globals()
      const accounts = [...genesis.balances.map(([a]) => a), ...net.peers.map(p => p.hotkey)]
      const balances = [...new Set(accounts)].reduce((a, x) => a + ledger.balance(x), 0n)
      const subnets = ledger.subnets()
      const stake = subnets.filter(s => s.netuid !== 0).flatMap(s => ledger.metagraph(s.netuid)).reduce((a, r) => a + r.stake, 0n)
      const locks = subnets.reduce((a, s) => a + s.lock, 0n)
      // Issuance = free balances + stake + subnet locks (+ escrow: none was opened here).
      expect(balances + stake + locks).toBe(g.issuance)
      expect(ledger.audit().ok).toBe(true)
    } finally {
      await ledger.stop()
      await repo.close()
    }
  })
})
