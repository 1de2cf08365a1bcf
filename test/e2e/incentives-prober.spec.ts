/**
 * The network prober against miners in separate processes: an honest one, one serving corrupt
 * bytes (a byte flipped in every leaf on its disk), one that does not hold the file, and one
 * that is down. The validator is an in-process node with its own repo.
 */
import { readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ed25519 } from '@noble/curves/ed25519.js'
import { CID } from 'multiformats/cid'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { assertProbeResult, ResultCode } from '../../src/incentives/index.ts'
import { NetworkProber } from '../../src/incentives/prober.ts'
import { createNode } from '../../src/node.ts'
import { writeDeterministicFile } from '../utils/data.ts'
import { blockFiles, spawnDaemon, stopAll, tempDir } from '../utils/daemon.ts'
import type { ProbeTask } from '../../src/incentives/index.ts'
import type { AgoraNode } from '../../src/node.ts'
import type { TestDaemon } from '../utils/daemon.ts'

const MiB = 1024 * 1024
// 3 MiB + 5 bytes: three 1 MiB leaves and one of 5 bytes under a dag-pb root (default chunker).
const FILE_SIZE = 3 * MiB + 5

let honest: TestDaemon
let corrupt: TestDaemon
let empty: TestDaemon
let validator: AgoraNode
let fileCid: string
const validatorHotkey = ed25519.getPublicKey(new Uint8Array(32).fill(7))
const minerHotkey = ed25519.getPublicKey(new Uint8Array(32).fill(9))

function task (miner: TestDaemon, rangeStart: number, rangeLen: number): ProbeTask {
  return { listingCid: fileCid, fileCid, fileSize: FILE_SIZE, minerPeerId: miner.info.peerId, minerHotkey, taskKey: new Uint8Array(32), rangeStart, rangeLen }
}

beforeAll(async () => {
  const dir = await tempDir()
  const file = join(dir, 'data.bin')
  await writeDeterministicFile(file, 'probe', FILE_SIZE)
  honest = await spawnDaemon()
  const boot = honest.info.addresses[0]
  ;[corrupt, empty] = await Promise.all([spawnDaemon({ args: ['--bootstrap', boot] }), spawnDaemon({ args: ['--bootstrap', boot] })])
  fileCid = (JSON.parse((await honest.cli(['add', '--json', file])).stdout) as { cid: string }).cid
  expect((JSON.parse((await corrupt.cli(['add', '--json', file])).stdout) as { cid: string }).cid).toBe(fileCid)
  for (const f of await blockFiles(corrupt.repo)) {
    if ((await stat(f)).size !== MiB) continue
    const bytes = await readFile(f)
    bytes[1000] ^= 0x01
    await writeFile(f, bytes)
  }
  validator = await createNode({
    repo: join(await tempDir(), 'validator'),
    config: { addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] }, bootstrap: [boot], swarm: { network: 'lan' } }
  })
  // Both providers' records are on the honest peer, the validator's only DHT peer.
  await vi.waitFor(async () => {
    const found = []
    for await (const p of validator.findProviders(CID.parse(fileCid), { signal: AbortSignal.timeout(5000) })) found.push(p.id.toString())
    expect(found.sort()).toEqual([honest.info.peerId, corrupt.info.peerId].sort())
  }, { timeout: 30_000, interval: 500 })
})

// every prober made here, stopped at the end (each holds a probe peer of its last round)
const probers: NetworkProber[] = []
function newProber (...args: ConstructorParameters<typeof NetworkProber>): NetworkProber {
  const p = new NetworkProber(...args)
  probers.push(p)
  return p
}

async function peersOf (d: TestDaemon): Promise<string[]> {
  return (JSON.parse((await d.cli(['swarm', 'peers', '--json'])).stdout) as { peers: Array<{ peerId: string }> }).peers.map(p => p.peerId)
}

afterAll(async () => {
  await Promise.all(probers.map(async p => p.stop()))
  await validator?.stop()
  await stopAll()
})

describe('e2e: network prober', () => {
  it('default: an honest miner serves a 1 MiB range across two leaves, verified, with its timings', async () => {
    const prober = newProber(validator.network)
    // Range [1.5 MiB, 2.5 MiB) spans the second and third leaves; every byte of it must arrive.
    const r = await prober.probe(task(honest, 1.5 * MiB, MiB), { round: 120, validatorHotkey })
    assertProbeResult(r)
    expect(r).toMatchObject({ resultCode: ResultCode.OK, bytes: MiB, verify: true, proof: null, minerInProviderSet: true, relayed: false, protocol: '/agora/fetch/1.0.0' })
    expect(r.ttfbMs).not.toBeNull()
    expect(r.ttlbMs).toBeGreaterThanOrEqual(r.ttfbMs ?? Infinity)
    expect(r.throughputBps).toBeGreaterThan(0)
    // The tail range holds the 5-byte last leaf: the file's last 10 bytes come from two leaves.
    const tail = await prober.probe(task(honest, FILE_SIZE - 10, 10), { round: 120, validatorHotkey })
    expect(tail).toMatchObject({ resultCode: ResultCode.OK, bytes: 10 })
  })

  it('behavior: a miner serving a flipped byte fails content verification', async () => {
    const r = await newProber(validator.network).probe(task(corrupt, 0, MiB), { round: 120, validatorHotkey })
    assertProbeResult(r)
    expect(r).toMatchObject({ resultCode: ResultCode.CONTENT_VERIFICATION_FAILED, verify: false, minerInProviderSet: true })
  })

  it('behavior: a miner that does not hold the file is not advertised, and asked anyway it cannot serve the range', async () => {
    const withLookup = await newProber(validator.network).probe(task(empty, 0, MiB), { round: 120, validatorHotkey })
    expect(withLookup).toMatchObject({ resultCode: ResultCode.NOT_ADVERTISED, minerInProviderSet: false, dialMs: null })
    const direct = await newProber(validator.network, { checkProviders: false }).probe(task(empty, 0, MiB), { round: 120, validatorHotkey })
    assertProbeResult(direct)
    expect(direct).toMatchObject({ resultCode: ResultCode.RANGE_UNSATISFIABLE, bytes: 0, minerInProviderSet: null })
  })

  it('security: each round probes from a peer id the miner has not seen, never the validator\'s own', async () => {
    const p = newProber(validator.network)
    const seen: string[] = []
    for (const round of [240, 360, 480]) {
      const before = new Set(await peersOf(honest))
      const r = await p.probe(task(honest, 0, 1000), { round, validatorHotkey })
      expect(r).toMatchObject({ resultCode: ResultCode.OK, bytes: 1000 })
      // the probe's connection is the one new peer at the miner
      const fresh = (await peersOf(honest)).filter(id => !before.has(id))
      expect(fresh).toHaveLength(1)
      seen.push(fresh[0])
    }
    expect(new Set(seen).size).toBe(3)
    expect(seen).not.toContain(validator.network.peerId.toString())
    // a second probe in the same round goes out from that round's peer again
    const before = new Set(await peersOf(honest))
    await p.probe(task(honest, 1000, 1000), { round: 480, validatorHotkey })
    expect((await peersOf(honest)).filter(id => !before.has(id))).toEqual([])
  })

  it('behavior: a miner that is down cannot be dialled; the validator\'s own network down is its own failure', async () => {
    await empty.stop()
    const prober = newProber(validator.network, { checkProviders: false, dialTimeoutMs: 3000 })
    const down = await prober.probe(task(empty, 0, MiB), { round: 120, validatorHotkey })
    expect(down.resultCode).toBe(ResultCode.DIAL_FAILED)
    const network = validator.network
    await network.libp2p.stop()
    const own = await prober.probe(task(honest, 0, MiB), { round: 120, validatorHotkey })
    expect(own.resultCode).toBe(ResultCode.VALIDATOR_SIDE_ERROR)
  })
})
