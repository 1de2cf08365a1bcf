/**
 * Emission inside the ledger: the halving follows TotalIssuance (blockEmission in
 * src/ledger/math.ts), nothing is minted at the 21 M cap, registration burns lower the issuance,
 * and a delegate's nominators share the validator part of an epoch pro rata while the miner part
 * goes to the owner (emitThroughHotkey in src/ledger/hooks.ts).
 */
import { describe, expect, it } from 'vitest'
import { blocks, send, TAO, testGenesis, testKey, testLedger } from './helpers.ts'
import type { Ledger } from '../../src/ledger/index.ts'

const params = {
  emissionSplit: 'even', rootTempo: 4, networkMinLockCost: '1000000000', newSubnet: { tempo: 9, weightsSetRateLimit: 0, targetRegistrationsPerInterval: 3, maxRegistrationsPerBlock: 3 }
}

/** Subnet 1 with a validator hotkey (owner `val`) and a miner hotkey; the validator weights the miner. */
async function subnet (ledger: Ledger): Promise<void> {
  const [owner, val, miner] = ['owner', 'val', 'miner'].map(testKey)
  await send(ledger, owner, { kind: 'registerNetwork' })
  await send(ledger, val, { kind: 'burnedRegister', netuid: 1, hotkey: testKey('val-hot').address })
  await send(ledger, miner, { kind: 'burnedRegister', netuid: 1, hotkey: testKey('miner-hot').address })
  await blocks(ledger, 1)
  await send(ledger, val, { kind: 'addStake', hotkey: testKey('val-hot').address, amount: 10n * TAO })
  await blocks(ledger, 9) // epoch at block 8 gives the validator its permit
  await send(ledger, testKey('val-hot'), { kind: 'setWeights', netuid: 1, uids: [1], values: [1], versionKey: 0 })
  await blocks(ledger, 1)
}

describe('ledger emission', () => {
  it('default: block emission halves when issuance reaches 10.5 M TAO, and what is minted is counted', async () => {
    // genesis issuance just below the first threshold: era 0, 1 TAO per block
    const below = 10_500_000n * TAO - 50n * TAO
    const ledger = await testLedger(testGenesis({ owner: 100n * TAO, val: 100n * TAO, miner: 100n * TAO, whale: below - 300n * TAO }, params))
    expect(ledger.globals().blockEmission).toBe(TAO)
    await subnet(ledger)
    // mint until the issuance crosses 10.5 M; the next root epoch sets the era-1 emission
    while (ledger.globals().issuance < 10_500_000n * TAO) await blocks(ledger, 1)
    await blocks(ledger, 5)
    expect(ledger.globals().blockEmission).toBe(TAO / 2n)
    expect(ledger.subnet(1)!.emissionValue).toBe(TAO / 2n)
    expect(ledger.audit().ok).toBe(true)
  })

  it('behavior: at the 21 M cap nothing more is minted', async () => {
    // a free registration (burn 0) so that nothing lowers the issuance
    const ledger = await testLedger(testGenesis({ owner: 100n * TAO, val: 100n * TAO, miner: 100n * TAO, whale: 21_000_000n * TAO - 300n * TAO }, { ...params, initialBurn: '0' }))
    expect(ledger.globals().blockEmission).toBe(0n)
    await subnet(ledger)
    await blocks(ledger, 30)
    expect(ledger.globals().blockEmission).toBe(0n)
    expect(ledger.subnet(1)!.emissionValue).toBe(0n)
    expect(ledger.globals().issuance).toBe(21_000_000n * TAO)
    expect(ledger.audit().ok).toBe(true)
  })

  it('behavior: nominators of a delegate share its validator emission pro rata; miner emission goes to the owner', async () => {
    const ledger = await testLedger(testGenesis({ owner: 100n * TAO, val: 100n * TAO, miner: 100n * TAO, nom: 100n * TAO }, params))
    const vh = testKey('val-hot').address
    await subnet(ledger)
    await send(ledger, testKey('val'), { kind: 'becomeDelegate', hotkey: vh, take: 11_796 })
    await send(ledger, testKey('nom'), { kind: 'addStake', hotkey: vh, amount: 30n * TAO })
    await blocks(ledger, 1)
    // stakes now 10 TAO (owner) + 30 TAO (nominator); find the next epoch and its credit block
    const val = testKey('val').address
    const nom = testKey('nom').address
    let before = [ledger.stake(vh, val), ledger.stake(vh, nom)]
    let loaded = ledger.subnet(1)!.loaded
    while (loaded.length === 0) {
      before = [ledger.stake(vh, val), ledger.stake(vh, nom)]
      await blocks(ledger, 1)
      loaded = ledger.subnet(1)!.loaded
    }
    const [, m, v] = loaded.find(([h]) => h === vh)!
    await blocks(ledger, 1) // credited now
    const total = before[0] + before[1]
    // subtensor's delegate take and shares in I64F64: take = floor(v · (11796·2^64/65535 truncated) / 2^64), shares floor(stake/total · rest)
    const take = (v * ((11_796n << 64n) / 65_535n)) >> 64n
    const rest = v - take
    const nomShare = ((((before[1] << 64n) / total)) * rest) >> 64n
    const ownShare = ((((before[0] << 64n) / total)) * rest) >> 64n
    expect(ledger.stake(vh, nom) - before[1]).toBe(nomShare)
    expect(ledger.stake(vh, val) - before[0]).toBe(take + ownShare + (rest - nomShare - ownShare) + m)
    expect(nomShare).toBeGreaterThan(0n)
    expect(ledger.audit().ok).toBe(true)
  })
})
