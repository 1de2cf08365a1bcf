/**
 * The network prober against miners that misbehave on the wire, over real libp2p between
 * in-process peers: a slow-drip miner, one that goes silent, one that answers with a block it
 * was not asked for, and one that does not speak the protocol. Each miner's fetch handler is
 * replaced by a misbehaving one built from the real wire encoder.
 */
import { byteStream } from '@libp2p/utils'
import { ed25519 } from '@noble/curves/ed25519.js'
import { Uint8ArrayList } from 'uint8arraylist'
import { afterEach, describe, expect, it } from 'vitest'
import { FETCH_PROTOCOL } from '../../src/dht/index.ts'
import { decodeWant, encodeBlock, FrameReader } from '../../src/dht/wire.ts'
import { assertProbeResult, ResultCode } from '../../src/incentives/index.ts'
import { NetworkProber } from '../../src/incentives/prober.ts'
import { teardown, testPeer } from '../dht/fixtures/in-process.ts'
import { importFile } from '../dht/fixtures/repo.ts'
import type { ProbeLimits, ProbeTask } from '../../src/incentives/index.ts'
import type { TestPeer } from '../dht/fixtures/in-process.ts'
import type { Stream } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'

let peers: TestPeer[] = []
afterEach(async () => { await teardown(peers); peers = [] })

// 200 KiB: one raw leaf (the default profile's chunks are 1 MiB), so the probe wants one block.
const SIZE = 200 * 1024
const validatorHotkey = ed25519.getPublicKey(new Uint8Array(32).fill(3))
const minerHotkey = ed25519.getPublicKey(new Uint8Array(32).fill(4))

type Misbehave = (stream: Stream, wanted: CID[], block: (cid: CID) => Promise<Uint8ArrayList>) => Promise<void>

/** A validator and a miner holding the file, whose fetch handler is `misbehave` (none: unhandled). */
async function setup (misbehave?: Misbehave): Promise<{ validator: TestPeer, task: ProbeTask }> {
  const validator = await testPeer({ listen: ['/ip4/127.0.0.1/tcp/0'] })
  const miner = await testPeer({ listen: ['/ip4/127.0.0.1/tcp/0'] })
  peers.push(validator, miner)
  const cid = await importFile(miner.stores.blockstore, new Uint8Array(SIZE).fill(7))
  const block = async (c: CID): Promise<Uint8ArrayList> => {
    const out = new Uint8ArrayList()
    for await (const chunk of miner.stores.blockstore.get(c)) out.append(chunk)
    return out
  }
  await miner.network.libp2p.unhandle(FETCH_PROTOCOL)
  if (misbehave != null) {
    await miner.network.libp2p.handle(FETCH_PROTOCOL, async (stream) => {
      const body = await new FrameReader(byteStream(stream), 1 << 20).next(5000)
      if (body != null) await misbehave(stream, decodeWant(body), block).catch(() => {})
    })
  }
  await validator.network.connect(miner.network.addresses()[0])
  const task: ProbeTask = {
    listingCid: cid.toString(), fileCid: cid.toString(), fileSize: SIZE, minerPeerId: miner.network.peerId.toString(), minerHotkey, taskKey: new Uint8Array(32), rangeStart: 0, rangeLen: SIZE
  }
  return { validator, task }
}

async function probe (validator: TestPeer, task: ProbeTask, limits: ProbeLimits): Promise<ReturnType<NetworkProber['probe']>> {
  const prober = new NetworkProber(validator.network, { checkProviders: false, limits })
  const r = await prober.probe(task, { round: 0, validatorHotkey }).finally(async () => prober.stop())
  assertProbeResult(r)
  return r
}

const pause = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

describe('incentives: prober against misbehaving miners', () => {
  it('behavior: a slow-drip miner ends at the maximum duration, with no unverified byte counted', async () => {
    // 512 bytes every 20 ms is about 25 KiB/s: 200 KiB would take 8 s. The limits allow
    // 300 ms + 200 KiB at 1 MiB/s ≈ 500 ms in all, and 2 s without progress (never reached).
    const { validator, task } = await setup(async (stream, wanted, block) => {
      const msg = encodeBlock(wanted[0], await block(wanted[0])).subarray()
      for (let i = 0; i < msg.byteLength; i += 512) {
        if (!stream.send(msg.subarray(i, i + 512))) return
        await pause(20)
      }
    })
    const r = await probe(validator, task, { noProgressMs: 2000, baseMaxDurationMs: 300, minThroughputBps: 1024 * 1024 })
    expect(r.resultCode).toBe(ResultCode.TIMEOUT_MAX_DURATION)
    expect(r.bytes).toBe(0) // the block never completed, so no byte of it was verified
    expect(r.ttfbMs).not.toBeNull()
  })

  it('behavior: a miner that goes silent ends without progress', async () => {
    const { validator, task } = await setup(async () => { await pause(5000) })
    const r = await probe(validator, task, { noProgressMs: 300, baseMaxDurationMs: 10_000, minThroughputBps: 1024 })
    expect(r).toMatchObject({ resultCode: ResultCode.TIMEOUT_NO_PROGRESS, ttfbMs: null, bytes: 0 })
  })

  it('behavior: an answer for a block that was not asked for is refused', async () => {
    const { validator, task } = await setup(async (stream, _wanted, block) => {
      const other = await importFile(peers[1].stores.blockstore, new Uint8Array(1000).fill(1))
      stream.send(encodeBlock(other, await block(other)))
      await pause(1000)
    })
    const r = await probe(validator, task, { noProgressMs: 3000, baseMaxDurationMs: 10_000, minThroughputBps: 1024 })
    expect(r).toMatchObject({ resultCode: ResultCode.REFUSED, verify: null })
  })

  it('behavior: a miner that does not speak the buyers\' protocol', async () => {
    const { validator, task } = await setup()
    const r = await probe(validator, task, { noProgressMs: 3000, baseMaxDurationMs: 10_000, minThroughputBps: 1024 })
    // the validator's node is connected to the miner, but the probe dials from its round's own
    // fresh peer, so the dial is a real one (dialMs is not the 0 of an existing connection)
    expect(r).toMatchObject({ resultCode: ResultCode.PROTOCOL_UNSUPPORTED, bytes: 0 })
    expect(r.dialMs).toBeGreaterThan(0)
  })
})
