/**
 * Worked examples of subtensor's pre-dTAO emission, registration and payout rules (v1.2.5), exact
 * to the rao. The numbers are in the JSON fixture read below, where each entry's `from` names the
 * subtensor unit test it reproduces (T) or the chain function it was derived from (D).
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { epochDue, emitThroughHotkey } from '../../src/ledger/hooks.ts'
import { blockEmission, lockCost, rootEmissionValues, u16ProportionI96F32, upgradedBurn } from '../../src/ledger/math.ts'
import { Records } from '../../src/ledger/records.ts'
import { Overlay, StateStore } from '../../src/ledger/state.ts'
import { neuronToPrune } from '../../src/ledger/tx/register.ts'
import { subnetToPrune } from '../../src/ledger/tx/subnets.ts'
import { yumaEpoch } from '../../src/ledger/yuma-adapter.ts'
import { blocks, send, TAO, testGenesis, testKey, testLedger } from './helpers.ts'
import type { Subnet } from '../../src/ledger/records.ts'

const X = JSON.parse(readFileSync(new URL('../fixtures/ledger/tokenomics-examples.json', import.meta.url), 'utf8'))
const big = (s: string): bigint => BigInt(s)

describe('subtensor emission, registration and payout examples', () => {
  it('default: block emission by issuance (root.rs::test_halving)', () => {
    for (const c of X.halving.cases) expect(blockEmission(big(c.issuance)), c.from).toBe(big(c.emission))
  })

  it('behavior: issuance converges below 21 M (root.rs::test_issuance_bounds)', () => {
    let issuance = 0n
    for (let era = 0; era < X.convergence.eras; era++) issuance += blockEmission(issuance) * BigInt(X.convergence.blocksPerEra)
    expect(issuance).toBe(big(X.convergence.finalIssuance))
  })

  it('behavior: lock cost with the mock parameters (root.rs::test_root_subnet_creation_deletion)', () => {
    const L = X.lockCostMock
    const cost = (last: string, blocksLater: number): bigint => lockCost(big(last), 1, 1 + blocksLater, big(L.minLock), L.interval)
    L.afterFirst.blocksLater.forEach((d: number, i: number) => expect(cost(L.afterFirst.lastLock, d)).toBe(big(L.afterFirst.cost[i])))
    expect(cost(L.payAt150.lastLock, 0)).toBe(big(L.payAt150.next))
    L.chain.lastLocks.forEach((l: string, i: number) => expect(cost(l, 0)).toBe(big(L.chain.next[i])))
    L.decayFrom1350.blocksLater.forEach((d: number, i: number) => expect(cost(L.decayFrom1350.lastLock, d)).toBe(big(L.decayFrom1350.cost[i])))
  })

  it('behavior: mock-parameter lock cost through registerNetwork transactions', async () => {
    const L = X.lockCostMock
    const ledger = await testLedger(testGenesis({ owner: 10_000n * TAO }, { networkMinLockCost: L.minLock, networkLockReductionInterval: L.interval, networkRateLimit: 0 }))
    const owner = testKey('owner')
    await send(ledger, owner, { kind: 'registerNetwork' })
    await blocks(ledger, 1)
    // the first registration (block 1) paid the floor, 100 TAO; the price then doubles and decays
    expect(ledger.subnet(1)?.lock).toBe(big(L.minLock))
    L.afterFirst.blocksLater.forEach((d: number, i: number) => expect(ledger.lockCostAt(ledger.genesis.params, 1 + d)).toBe(big(L.afterFirst.cost[i])))
    await send(ledger, owner, { kind: 'registerNetwork' })
    await blocks(ledger, 1)
    expect(ledger.subnet(2)?.lock).toBe(big(L.payAt150.lastLock))
    expect(ledger.lockCostAt(ledger.genesis.params, 2)).toBe(big(L.payAt150.next))
    expect(ledger.audit().ok).toBe(true)
  })

  it('behavior: lock cost with mainnet defaults (get_network_lock_cost)', () => {
    const L = X.lockCostMainnet
    for (const row of L.table) {
      expect(lockCost(big(L.lastLock), L.lastRegistered, L.lastRegistered + row.d, big(L.minLock), L.interval)).toBe(big(row.cost))
    }
    const p = L.payAtD7200
    expect(lockCost(big(p.paid), p.block, p.block, big(L.minLock), L.interval)).toBe(big(p.nextAtSameBlock))
    expect(lockCost(big(p.paid), p.block, p.block2, big(L.minLock), L.interval)).toBe(big(p.nextAtBlock2))
  })

  it('behavior: which subnet is pruned (root.rs::test_network_prune_results)', () => {
    for (const c of X.subnetPrune.cases) {
      const subnets = c.emission.map((e: number, i: number) => ({ netuid: i + 1, registeredAt: 1 + 3 * i, emissionValue: BigInt(e) }) as Subnet)
      expect(subnetToPrune(subnets, 100_000, 50_400)).toBe(c.prune)
    }
  })

  it('behavior: pruning reuses the oldest netuid, refunds its lock and zeroes its root column (root.rs::test_weights_after_network_pruning)', async () => {
    const P = X.pruneWithRootWeights
    const ledger = await testLedger(testGenesis({ a: 5000n * TAO, b: 5000n * TAO, c: 5000n * TAO, v: 10n * TAO }, {
      subnetLimit: 2, networkRateLimit: 0, networkImmunityPeriod: 3, networkMinLockCost: '100000000000', rootTempo: 10_000, newSubnet: { weightsSetRateLimit: 0 }
    }))
    const [a, b, c, v] = ['a', 'b', 'c', 'v'].map(testKey)
    await send(ledger, a, { kind: 'registerNetwork' })
    await blocks(ledger, 1)
    await send(ledger, b, { kind: 'registerNetwork' })
    await send(ledger, v, { kind: 'rootRegister', hotkey: testKey('vhot').address })
    await blocks(ledger, 1)
    await send(ledger, testKey('vhot'), { kind: 'setWeights', netuid: 0, uids: [0, 1, 2], values: P.rootRow, versionKey: 0 })
    await blocks(ledger, 1)
    expect(ledger.neuron(0, 0)?.weights.map(([, w]) => w)).toEqual(P.stored)
    const lockA = ledger.subnet(1)!.lock
    const balanceA = ledger.balance(a.address)
    await blocks(ledger, 3)
    await send(ledger, c, { kind: 'registerNetwork' })
    await blocks(ledger, 1)
    expect(ledger.subnet(P.pruned)?.owner).toBe(c.address)
    expect(ledger.balance(a.address)).toBe(balanceA + lockA)
    expect(ledger.neuron(0, 0)?.weights.map(([, w]) => w)).toEqual(P.storedAfter)
    expect(ledger.audit().ok).toBe(true)
  })

  it('behavior: root emission values, rho 30 and rho 10 (root.rs::test_network_pruning)', () => {
    const R = X.rootEmission
    const stakes = Array.from({ length: 10 }, () => 1000n * TAO)
    const weights = Array.from({ length: 10 }, (_, i) => Array.from({ length: 11 }, (_, j) => j < i ? 65_535 : 0))
    expect(rootEmissionValues({ stakes, weights, rho: 30, kappa: 32_767, blockEmission: TAO })).toEqual(R.rho30.map(big))
    expect(rootEmissionValues({ stakes, weights, rho: 10, kappa: 32_767, blockEmission: TAO })).toEqual(R.rho10.map(big))
  })

  it('behavior: the root epoch inside the ledger sets PendingEmission(1) (rho 30)', async () => {
    const names = Array.from({ length: 10 }, (_, i) => `root${i}`)
    const ledger = await testLedger(testGenesis(Object.fromEntries(names.map(n => [n, 1000n * TAO])), {
      subnetLimit: 10, networkRateLimit: 0, networkMinLockCost: '1000000000', networkLockReductionInterval: 1, rootTempo: 29, rootRho: 30, newSubnet: { weightsSetRateLimit: 0, tempo: 1000 }
    }))
    const cold = names.map(testKey)
    const hot = names.map(n => testKey(`${n}-hot`))
    for (let i = 0; i < 10; i++) {
      await send(ledger, cold[i], { kind: 'registerNetwork' })
      await send(ledger, cold[i], { kind: 'rootRegister', hotkey: hot[i].address })
      await blocks(ledger, 1)
    }
    for (let i = 0; i < 10; i++) await send(ledger, cold[i], { kind: 'addStake', hotkey: hot[i].address, amount: 100n * TAO })
    await blocks(ledger, 1)
    for (let i = 1; i < 10; i++) {
      await send(ledger, hot[i], { kind: 'setWeights', netuid: 0, uids: Array.from({ length: i }, (_, j) => j), values: Array.from({ length: i }, () => 1), versionKey: 0 })
    }
    await blocks(ledger, 1)
    expect(ledger.subnet(1)!.pending).toBe(0n)
    await blocks(ledger, 29 - ledger.status().height) // up to and including the root-epoch block 29
    expect(ledger.subnets().map(s => s.emissionValue)).toEqual(X.rootEmission.rho30.map(big))
    expect(ledger.subnet(1)!.pending).toBe(big(X.rootEmission.pendingNetuid1AfterOneBlockRho30))
    expect(ledger.subnet(0)!.pending).toBe(0n)
  })

  it('behavior: which neuron is replaced (registration.rs::test_burn_registration_pruning_scenarios)', () => {
    const N = X.neuronToPrune
    for (const c of N.cases) {
      const neurons = c.scores.map((s: number, uid: number) => ({ uid, pruningScore: s, registeredAt: c.registeredAt[uid] }))
      expect(neuronToPrune(neurons, c.block, N.immunityPeriod), c.note).toBe(c.prune)
    }
  })

  it('behavior: burn (and difficulty) adjustment in I110F18 (upgraded_burn)', () => {
    const A = X.burnAlphaZero
    expect(upgradedBurn(big(A.burn), A.registrations, A.target, big(A.alpha), 1n, 100n * TAO)).toBe(big(A.next))
    for (const c of X.burnAlpha097.cases) expect(upgradedBurn(TAO, c.registrations, 1, big(X.burnAlpha097.alpha), 1n, 100n * TAO)).toBe(big(c.next))
    for (const c of X.difficultyAlphaZero.cases) expect(upgradedBurn(big(c.value), c.registrations, c.target, 0n, big(c.min), 1n << 62n)).toBe(big(c.next))
    const seq = X.difficultyAlphaZero.halvingToMin.sequence.map(big)
    for (let i = 1; i < seq.length; i++) expect(upgradedBurn(seq[i - 1], 0, 1, 0n, 1n, 1n << 62n)).toBe(seq[i])
  })

  it('behavior: burn adjustment runs in the block hooks (registration.rs::test_burn_adjustment)', async () => {
    const A = X.burnAlphaZero
    const ledger = await testLedger(testGenesis({ owner: 1000n * TAO }, {
      networkMinLockCost: '100000000000', initialBurn: A.burn, newSubnet: { adjustmentInterval: A.interval, targetRegistrationsPerInterval: A.target, adjustmentAlpha: A.alpha, maxRegistrationsPerBlock: 2 }
    }))
    const owner = testKey('owner')
    await send(ledger, owner, { kind: 'registerNetwork' })
    await send(ledger, owner, { kind: 'burnedRegister', netuid: 1, hotkey: testKey('h1').address })
    await send(ledger, owner, { kind: 'burnedRegister', netuid: 1, hotkey: testKey('h2').address })
    await blocks(ledger, 2)
    expect(ledger.subnet(1)!.burn).toBe(big(A.next))
    // the two burns left TotalIssuance (recycled)
    expect(ledger.globals().issuance).toBe(1000n * TAO - 2n * big(A.burn))
  })

  it('behavior: epoch blocks of netuids 1 and 3 at tempo 360', () => {
    const E = X.epochOffsets
    for (const c of E.cases) {
      const due = Array.from({ length: 1200 }, (_, b) => b).filter(b => epochDue(b, c.netuid, E.tempo))
      expect(due.slice(0, c.blocks.length)).toEqual(c.blocks)
    }
  })

  it('behavior: owner cut of 11796/65535 in I96F32', () => {
    const O = X.ownerCut
    expect(361n * big(O.emissionValue)).toBe(big(O.perEpoch))
    expect(u16ProportionI96F32(big(O.perEpoch), 11_796)).toBe(big(O.cut))
    expect(u16ProportionI96F32(big(O.p361Tao.pending), 11_796)).toBe(big(O.p361Tao.cut))
    expect(big(O.p361Tao.pending) - big(O.p361Tao.cut)).toBe(big(O.p361Tao.remainder))
  })

  it('behavior: a full tempo through the ledger pays owner, miner and validator exactly', async () => {
    const O = X.ownerCut
    const names = ['o1', 'o2', 'o3', 'o4']
    const ledger = await testLedger(testGenesis({ ...Object.fromEntries(names.map(n => [n, 2000n * TAO])), val: 10n * TAO, miner: 10n * TAO }, {
      emissionSplit: 'even', rootTempo: 4, subnetLimit: 4, networkRateLimit: 0, networkMinLockCost: '1000000000', networkLockReductionInterval: 1
    }))
    for (const n of names) await send(ledger, testKey(n), { kind: 'registerNetwork' })
    const [val, miner, vh, mh] = ['val', 'miner', 'val-hot', 'miner-hot'].map(testKey)
    await blocks(ledger, 1)
    await send(ledger, val, { kind: 'burnedRegister', netuid: 1, hotkey: vh.address })
    await blocks(ledger, 1)
    await send(ledger, miner, { kind: 'burnedRegister', netuid: 1, hotkey: mh.address })
    await send(ledger, val, { kind: 'addStake', hotkey: vh.address, amount: 5n * TAO })
    await blocks(ledger, 1)
    await blocks(ledger, 360 - ledger.status().height) // past the first epoch (359): the validator now holds a permit
    expect(ledger.neuron(1, 0)!.permit).toBe(true)
    expect(ledger.subnet(1)!.emissionValue).toBe(big(O.emissionValue))
    await send(ledger, vh, { kind: 'setWeights', netuid: 1, uids: [1], values: [1], versionKey: 0 })
    await blocks(ledger, 719 - ledger.status().height)
    const ownerBefore = ledger.balance(testKey('o1').address)
    const vBefore = ledger.stake(vh.address, val.address)
    const mBefore = ledger.stake(mh.address, miner.address)
    expect(ledger.subnet(1)!.pending).toBe(360n * big(O.emissionValue))
    await blocks(ledger, 1) // block 720: the epoch
    expect(ledger.balance(testKey('o1').address) - ownerBefore).toBe(big(O.cut))
    await blocks(ledger, 1) // block 721: credited as stake
    expect(ledger.stake(mh.address, miner.address) - mBefore).toBe(big(O.each))
    expect(ledger.stake(vh.address, val.address) - vBefore).toBe(big(O.each))
    expect(ledger.audit().ok).toBe(true)
  })

  it('behavior: epoch with no cross-weights pays by stake (epoch.rs::test_10_graph, test_1_graph)', () => {
    const N = X.noCrossWeights
    const run = (n: number): bigint[] => {
      const out = yumaEpoch({
        netuid: 1,
        stake: Array.from({ length: n }, () => 1n),
        weights: Array.from({ length: n }, (_, i) => [[i, 65_535]]),
        bonds: Array.from({ length: n }, () => []),
        validatorPermits: Array.from({ length: n }, () => true),
        lastUpdate: Array.from({ length: n }, () => 1),
        blockAtRegistration: Array.from({ length: n }, () => 0),
        currentBlock: 1,
        tempo: 360,
        lastMechanismStepBlock: 0,
        activityCutoff: 5000,
        kappa: 32_767,
        bondsMovingAverage: 900_000,
        yuma3: false,
        liquidAlpha: false,
        maxAllowedValidators: 64,
        stakeThreshold: 0n,
        raoEmission: big(N.raoEmission)
      })
      return out.serverEmission.map((s, i) => s + out.validatorEmission[i])
    }
    expect(run(N.uids)).toEqual(Array.from({ length: N.uids }, () => big(N.each)))
    expect(run(1)).toEqual([big(N.singleUid)])
  })

  it('behavior: delegate payout with take (emit_inflation_through_hotkey_account)', () => {
    const D = X.delegatePayout
    const [owner, nominator, hot] = ['owner', 'nominator', 'hot'].map(n => testKey(n).address)
    const r = new Records(new Overlay(new StateStore()))
    r.putGlobals({ issuance: 0n, blockEmission: 0n, netuids: [], networkLastLockCost: 0n, networkLastRegistered: 0 })
    r.putHotkey(hot, { owner, take: D.take, stakes: [], total: 0n })
    r.addStake(hot, owner, big(D.ownerStake))
    r.addStake(hot, nominator, big(D.nominatorStake))
    expect(emitThroughHotkey(r, hot, 0n, big(D.validatorEmission))).toBe(big(D.validatorEmission))
    expect(r.stake(hot, nominator) - big(D.nominatorStake)).toBe(big(D.nominatorGets))
    expect(r.stake(hot, owner) - big(D.ownerStake)).toBe(big(D.ownerTotal))
  })

  it('behavior: neuron and subnet immunity boundaries (strict <)', () => {
    const I = X.immunity
    const other = { uid: 1, pruningScore: 65_535, registeredAt: 0 }
    const n = { uid: 0, pruningScore: 0, registeredAt: I.neuron.registeredAt }
    expect(neuronToPrune([n, other], I.neuron.lastImmune, I.neuron.period)).toBe(1)
    expect(neuronToPrune([n, other], I.neuron.firstPrunable, I.neuron.period)).toBe(0)
    const s = { netuid: 1, registeredAt: I.subnet.registeredAt, emissionValue: 0n } as Subnet
    expect(subnetToPrune([s], I.subnet.lastImmune, I.subnet.period)).toBeUndefined()
    expect(subnetToPrune([s], I.subnet.firstPrunable, I.subnet.period)).toBe(1)
  })
})
