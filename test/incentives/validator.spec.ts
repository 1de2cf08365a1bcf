import { generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { ed25519 } from '@noble/curves/ed25519.js'
import { MemoryDatastore } from 'datastore-core'
import * as raw from 'multiformats/codecs/raw'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { commitHash, epochIndex } from '../../src/incentives/commit-reveal.ts'
import { ResultCode } from '../../src/incentives/probe-result.ts'
import { auditRound, openRoundRecord } from '../../src/incentives/round-record.ts'
import { Validator } from '../../src/incentives/validator.ts'
import { probe } from '../fixtures/incentives/simulate.ts'
import type { ProbeResult, ProbeResultCode } from '../../src/incentives/probe-result.ts'
import type { EligibleEntry, ProbeTask } from '../../src/incentives/tasks.ts'
import type { RoundOutcome } from '../../src/incentives/validator.ts'
import type { ChainView, NeuronView, SubnetWeightParams, WeightSubmitter } from '../../src/incentives/validator-types.ts'

const NETUID = 1
const secret = new Uint8Array(32).fill(91)
const validatorKey = ed25519.getPublicKey(secret)
const eligible: EligibleEntry[] = []
/** uid → behaviour: 1 and 2 honest, 3 serves corrupt bytes, 4 is offline. */
const behaviour: Record<number, ProbeResultCode> = { 1: ResultCode.OK, 2: ResultCode.OK, 3: ResultCode.CONTENT_VERIFICATION_FAILED, 4: ResultCode.DIAL_FAILED }
const minerUid = new Map<string, number>()

beforeAll(async () => {
  for (let uid = 1; uid <= 4; uid++) {
    const sk = await generateKeyPairFromSeed('Ed25519', new Uint8Array(32).fill(uid))
    const peer = peerIdFromPrivateKey(sk).toString()
    minerUid.set(peer, uid)
    for (let f = 0; f < 6; f++) {
      const cid = CID.createV1(raw.code, await sha256.digest(new Uint8Array([f]))).toString()
      eligible.push({ listingCid: cid, fileCid: cid, fileSize: 3 * 1024 * 1024, minerPeerId: peer, minerHotkey: sk.publicKey.raw })
    }
  }
})

/** A small in-memory chain: tempo 11 (12-block epochs), rounds of 4 blocks, weights checked like the ledger. */
function fakeChain (commitReveal: boolean): { chain: ChainView, weights: WeightSubmitter, state: { block: number, sets: number[][], reveals: number[][], commits: Array<{ block: number, hash: Uint8Array }> } } {
  const params: SubnetWeightParams = { tempo: 11, n: 5, weightsSetRateLimit: 4, commitReveal, revealPeriodEpochs: 1, minAllowedWeights: 1, maxWeightsLimit: 65535, weightsVersionKey: 0 }
  const neurons: NeuronView[] = [{ uid: 0, hotkey: validatorKey, permit: true, lastUpdate: 0 }, ...eligible.filter((_, i) => i % 6 === 0).map(e => ({ uid: minerUid.get(e.minerPeerId) ?? -1, hotkey: e.minerHotkey, permit: false, lastUpdate: 0 }))]
  const state = { block: 0, sets: [] as number[][], reveals: [] as number[][], commits: [] as Array<{ block: number, hash: Uint8Array }> }
  const chain: ChainView = {
    head: async () => state.block,
    blockHash: async (b) => (await sha256.digest(new TextEncoder().encode(`block ${b}`))).digest,
    subnet: async () => params,
    metagraph: async () => neurons.map(n => ({ ...n }))
  }
  const weights: WeightSubmitter = {
    setWeights: async (tx) => {
      expect(commitReveal).toBe(false)
      state.sets.push(tx.values)
      neurons[0].lastUpdate = state.block
    },
    commitWeights: async (tx) => {
      state.commits.push({ block: state.block, hash: tx.hash })
      neurons[0].lastUpdate = state.block
      return { block: state.block }
    },
    revealWeights: async (tx) => {
      const c = state.commits.at(-1)
      expect(c).toBeDefined()
      expect(epochIndex(state.block, NETUID, 11)).toBe(epochIndex(c?.block ?? 0, NETUID, 11) + 1)
      expect(commitHash({ hotkey: validatorKey, netuid: tx.netuid, uids: tx.uids, values: tx.values, salt: tx.salt, versionKey: tx.versionKey })).toEqual(c?.hash)
      state.reveals.push(tx.values)
    }
  }
  return { chain, weights, state }
}

const prober = {
  probe: async (task: ProbeTask, ctx: { round: number, validatorHotkey: Uint8Array }): Promise<ProbeResult> => ({
    ...probe(behaviour[minerUid.get(task.minerPeerId) ?? 0], { round: ctx.round, startedAt: ctx.round * 12_000, rangeLen: task.rangeLen, fileCid: task.fileCid, minerHotkey: task.minerHotkey, validatorHotkey: ctx.validatorHotkey }),
    listingCid: task.listingCid,
    minerPeerId: task.minerPeerId,
    rangeStart: task.rangeStart
  })
}

const running: Validator[] = []
afterEach(async () => {
  for (const v of running.splice(0)) await v.stop()
})

async function start (datastore: MemoryDatastore, fake: ReturnType<typeof fakeChain>): Promise<Validator> {
  const v = new Validator({ datastore, chain: fake.chain, weights: fake.weights, prober, eligible: { eligible: async () => eligible } }, { netuid: NETUID, secretKey: secret, roundBlocks: 4, kMax: 16 })
  await v.start()
  running.push(v)
  return v
}

describe('validator round', () => {
  it('behavior: a hotkey without a validator permit does not probe', async () => {
    const fake = fakeChain(false)
    const neurons = await fake.chain.metagraph(NETUID)
    fake.chain.metagraph = async () => neurons.map(n => ({ ...n, permit: n.uid !== 0 }))
    let probes = 0
    const v = new Validator({ datastore: new MemoryDatastore(), chain: fake.chain, weights: fake.weights, prober: { probe: async (t, c) => { probes++; return prober.probe(t, c) } }, eligible: { eligible: async () => eligible } }, { netuid: NETUID, secretKey: secret, roundBlocks: 4 })
    await v.start()
    running.push(v)
    fake.state.block = 8
    expect(await v.runRound()).toBeNull()
    expect(probes).toBe(0)
  })

  it('default: with commit-reveal, commits then reveals a row that pays the honest miners only, across a restart', async () => {
    const fake = fakeChain(true)
    const ds = new MemoryDatastore()
    let v = await start(ds, fake)
    const outcomes: RoundOutcome[] = []
    for (fake.state.block = 4; fake.state.block <= 60; fake.state.block += 4) {
      if (fake.state.block === 32) {
        await v.stop()
        v = await start(ds, fake)
      }
      const o = await v.runRound()
      if (o != null) outcomes.push(o)
      // A second call in the same round does nothing.
      expect(await v.runRound()).toBeNull()
    }
    expect(fake.state.commits.length).toBeGreaterThanOrEqual(3)
    expect(fake.state.reveals.length).toBeGreaterThanOrEqual(2)
    const last = fake.state.reveals.at(-1) ?? []
    // uids 1..4 in order: honest, honest, corrupt, offline.
    expect(Math.max(last[0], last[1])).toBe(65535)
    expect(last[1]).toBeGreaterThan(0)
    expect(last[2]).toBe(0)
    expect(last[3]).toBe(0)
    expect(outcomes.every(o => o.refused === 0 && o.recorded === o.k)).toBe(true)
  })

  it('behavior: each round record commits to the nonce the next one reveals, and the audit passes', async () => {
    const fake = fakeChain(false)
    const v = await start(new MemoryDatastore(), fake)
    const outcomes: RoundOutcome[] = []
    for (fake.state.block = 4; fake.state.block <= 16; fake.state.block += 4) {
      const o = await v.runRound()
      if (o != null) outcomes.push(o)
    }
    expect(fake.state.sets.length).toBeGreaterThanOrEqual(1)
    for (let i = 0; i + 1 < outcomes.length; i++) {
      const rec = await openRoundRecord(outcomes[i].record)
      const next = await openRoundRecord(outcomes[i + 1].record)
      expect(next.revealed?.round).toBe(rec.round)
      const results = outcomes[i].batches.flatMap(b => b.reports.map(r => r.result))
      expect(results).toHaveLength(rec.k)
      expect(auditRound({ record: rec, nonce: next.revealed?.nonce ?? new Uint8Array(32), results, eligible })).toEqual({ ok: true, problems: [] })
    }
  })
})
