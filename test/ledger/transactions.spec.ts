/**
 * Transactions: encoding, signatures, and every named refusal, each leaving the pending state
 * root unchanged.
 */
import * as cbor from '@ipld/dag-cbor'
import { describe, expect, it } from 'vitest'
import { commitHash, decodeTx, fromAddress, isAddress, MAX_TX_BYTES, signTx, toAddress } from '../../src/ledger/index.ts'
import { blocks, peekNonce, send, TAO, testGenesis, testKey, testLedger } from './helpers.ts'
import type { Ledger, TxBody } from '../../src/ledger/index.ts'
import type { TestKey } from './helpers.ts'

const [alice, bob, carol] = ['alice', 'bob', 'carol'].map(testKey)
const [ah, bh, ch] = ['alice-hot', 'bob-hot', 'carol-hot'].map(testKey)

async function refused (ledger: Ledger, who: TestKey, body: TxBody, name: string, nonceOffset = 0): Promise<void> {
  const before = ledger.previewStateRoot()
  const stx = signTx({ chainId: ledger.genesis.chainId, signer: who.address, nonce: peekNonce(ledger, who.address) + nonceOffset, body }, who.secretKey)
  await expect(ledger.submit(stx.bytes)).rejects.toHaveProperty('name', name)
  expect(ledger.previewStateRoot()).toBe(before)
}

/** A chain with subnet 1 (owner alice) where alice-hot (staked) and bob-hot are registered. */
async function chain (subnet: Record<string, unknown> = {}): Promise<Ledger> {
  const ledger = await testLedger(testGenesis({ alice: 5000n * TAO, bob: 100n * TAO, carol: TAO / 2n }, {
    networkMinLockCost: '1000000000000', networkRateLimit: 10, initialBurn: '1000000000', subnetLimit: 1, newSubnet: { tempo: 9, weightsSetRateLimit: 5, ...subnet }
  }))
  await send(ledger, alice, { kind: 'registerNetwork' })
  await send(ledger, alice, { kind: 'burnedRegister', netuid: 1, hotkey: ah.address })
  await blocks(ledger, 1)
  await send(ledger, bob, { kind: 'burnedRegister', netuid: 1, hotkey: bh.address })
  await send(ledger, alice, { kind: 'addStake', hotkey: ah.address, amount: 100n * TAO })
  await blocks(ledger, 1)
  return ledger
}

describe('ledger transactions', () => {
  it('default: SS58 addresses round-trip and carry a checksum', () => {
    expect(alice.address).toMatch(/^5/)
    expect(fromAddress(alice.address)).toEqual(alice.publicKey)
    expect(toAddress(alice.publicKey)).toBe(alice.address)
    const typo = alice.address.slice(0, -1) + (alice.address.endsWith('a') ? 'b' : 'a')
    expect(isAddress(typo)).toBe(false)
    expect(() => fromAddress(typo)).toThrow(expect.objectContaining({ name: 'MalformedError' }))
  })

  it('behavior: a transaction round-trips and one flipped bit is refused', () => {
    const stx = signTx({ chainId: 'c', signer: alice.address, nonce: 3, body: { kind: 'transfer', to: bob.address, amount: 1n << 60n } }, alice.secretKey)
    const back = decodeTx(stx.bytes)
    expect(back.tx).toEqual(stx.tx)
    expect(back.hash).toBe(stx.hash)
    for (const i of [stx.bytes.length - 1, stx.bytes.length - 70, 20]) {
      const bad = stx.bytes.slice()
      bad[i] ^= 1
      expect(() => decodeTx(bad)).toThrow(expect.objectContaining({ name: expect.stringMatching(/^(BadSignatureError|MalformedError)$/) }))
    }
    // signed by someone else than the named signer
    const forged = signTx({ chainId: 'c', signer: alice.address, nonce: 3, body: { kind: 'transfer', to: bob.address, amount: 1n } }, bob.secretKey)
    expect(() => decodeTx(forged.bytes)).toThrow(expect.objectContaining({ name: 'BadSignatureError' }))
  })

  it('behavior: malformed and oversized bytes are refused before decoding (MalformedError)', () => {
    expect(() => decodeTx(new Uint8Array(MAX_TX_BYTES + 1))).toThrow(expect.objectContaining({ name: 'MalformedError' }))
    expect(() => decodeTx(Uint8Array.from([0xff, 0x00]))).toThrow(expect.objectContaining({ name: 'MalformedError' }))
    const unknownKind = cbor.encode({ t: cbor.encode({ c: 'c', s: alice.publicKey, n: 0, k: 'mint', b: {} }), g: new Uint8Array(64) })
    expect(() => decodeTx(unknownKind)).toThrow(expect.objectContaining({ name: 'MalformedError' }))
    const negative = cbor.encode({ t: cbor.encode({ c: 'c', s: alice.publicKey, n: 0, k: 'transfer', b: { to: bob.address, amount: -1 } }), g: new Uint8Array(64) })
    expect(() => decodeTx(negative)).toThrow(expect.objectContaining({ name: 'MalformedError' }))
  })

  it('behavior: envelope refusals: nonce, chain id, per-signer limit', async () => {
    const ledger = await testLedger(testGenesis({ alice: 10n * TAO }, { maxTxsPerSignerPerBlock: 2 }))
    await refused(ledger, alice, { kind: 'transfer', to: bob.address, amount: 1n }, 'BadNonceError', 1)
    const before = ledger.previewStateRoot()
    const wrong = signTx({ chainId: 'elsewhere', signer: alice.address, nonce: 0, body: { kind: 'transfer', to: bob.address, amount: 1n } }, alice.secretKey)
    await expect(ledger.submit(wrong.bytes)).rejects.toHaveProperty('name', 'WrongChainError')
    expect(ledger.previewStateRoot()).toBe(before)
    await send(ledger, alice, { kind: 'transfer', to: bob.address, amount: 1n })
    await send(ledger, alice, { kind: 'transfer', to: bob.address, amount: 1n })
    await refused(ledger, alice, { kind: 'transfer', to: bob.address, amount: 1n }, 'RateLimitedError')
    // a replay of an included transaction fails on its nonce
    const b = await ledger.produceBlock()
    await expect(ledger.submit(b.txs[0])).rejects.toHaveProperty('name', 'BadNonceError')
  })

  it('behavior: balance and stake refusals', async () => {
    const ledger = await chain()
    await refused(ledger, carol, { kind: 'transfer', to: bob.address, amount: 2n * TAO }, 'InsufficientBalanceError')
    await refused(ledger, carol, { kind: 'transfer', to: bob.address, amount: 0n }, 'InvalidAmountError')
    await refused(ledger, bob, { kind: 'removeStake', hotkey: ah.address, amount: 1n }, 'InsufficientStakeError')
    await refused(ledger, bob, { kind: 'addStake', hotkey: ah.address, amount: 1n }, 'NotOwnerError')
    await refused(ledger, bob, { kind: 'addStake', hotkey: ch.address, amount: 1n }, 'NotRegisteredError')
    await refused(ledger, bob, { kind: 'becomeDelegate', hotkey: ah.address, take: 100 }, 'NotOwnerError')
    await refused(ledger, alice, { kind: 'becomeDelegate', hotkey: ah.address, take: 20_000 }, 'InvalidAmountError')
    // once a delegate, others may stake to it, and remove it again
    await send(ledger, alice, { kind: 'becomeDelegate', hotkey: ah.address, take: 11_796 })
    await send(ledger, bob, { kind: 'addStake', hotkey: ah.address, amount: 10n * TAO })
    await blocks(ledger, 1)
    expect(ledger.stake(ah.address, bob.address)).toBe(10n * TAO)
    await send(ledger, bob, { kind: 'removeStake', hotkey: ah.address, amount: 4n * TAO })
    await blocks(ledger, 1)
    expect(ledger.stake(ah.address, bob.address)).toBe(6n * TAO)
    expect(ledger.audit().ok).toBe(true)
  })

  it('behavior: registration refusals', async () => {
    const ledger = await chain()
    await refused(ledger, bob, { kind: 'registerNetwork' }, 'RateLimitedError')
    await blocks(ledger, 10)
    await refused(ledger, bob, { kind: 'registerNetwork' }, 'InsufficientBalanceError')
    await refused(ledger, bob, { kind: 'burnedRegister', netuid: 7, hotkey: ch.address }, 'SubnetNotFoundError')
    await refused(ledger, bob, { kind: 'burnedRegister', netuid: 0, hotkey: ch.address }, 'SubnetNotFoundError')
    await refused(ledger, bob, { kind: 'burnedRegister', netuid: 1, hotkey: bh.address }, 'AlreadyRegisteredError')
    await refused(ledger, bob, { kind: 'burnedRegister', netuid: 1, hotkey: ah.address }, 'AlreadyRegisteredError')
    await refused(ledger, carol, { kind: 'burnedRegister', netuid: 1, hotkey: ch.address }, 'InsufficientBalanceError')
    await send(ledger, bob, { kind: 'burnedRegister', netuid: 1, hotkey: ch.address })
    await refused(ledger, alice, { kind: 'burnedRegister', netuid: 1, hotkey: testKey('x').address }, 'RateLimitedError')
    await send(ledger, alice, { kind: 'setSubnetParams', netuid: 1, params: { registrationAllowed: false } })
    await refused(ledger, bob, { kind: 'setSubnetParams', netuid: 1, params: { tempo: 3 } }, 'NotOwnerError')
    await blocks(ledger, 1)
    await refused(ledger, alice, { kind: 'burnedRegister', netuid: 1, hotkey: testKey('y').address }, 'RegistrationClosedError')
    // all subnet slots taken and the only subnet still immune
    await refused(ledger, alice, { kind: 'registerNetwork' }, 'RegistrationClosedError')
  })

  it('behavior: a full subnet replaces the lowest pruning score and unstakes the old hotkey', async () => {
    const ledger = await chain({ maxAllowedUids: 2, immunityPeriod: 0 })
    await send(ledger, bob, { kind: 'addStake', hotkey: bh.address, amount: 5n * TAO })
    await blocks(ledger, 1)
    await send(ledger, alice, { kind: 'transfer', to: carol.address, amount: 2n * TAO })
    await blocks(ledger, 1)
    const bobBalance = ledger.balance(bob.address)
    const aliceBalance = ledger.balance(alice.address)
    // both have pruning score 0; bob-hot registered later; alice-hot (uid 0) is the oldest → replaced
    await send(ledger, carol, { kind: 'burnedRegister', netuid: 1, hotkey: ch.address })
    await blocks(ledger, 1)
    expect(ledger.uidOf(1, ch.address)).toBe(0)
    expect(ledger.uidOf(1, ah.address)).toBeUndefined()
    expect(ledger.stake(ah.address, alice.address)).toBe(0n)
    expect(ledger.balance(alice.address)).toBe(aliceBalance + 100n * TAO) // the 100 TAO stake came back
    expect(ledger.balance(bob.address)).toBe(bobBalance)
    expect(ledger.neuron(1, 0)!.pruningScore).toBe(65_535)
    expect(ledger.audit().ok).toBe(true)
  })

  it('behavior: weights refusals follow the chain rules', async () => {
    const ledger = await chain({ maxWeightsLimit: 40_000, weightsVersionKey: 5 })
    // uid 0 = alice-hot (staked), uid 1 = bob-hot; registered at block 1 with a rate limit of 5
    await refused(ledger, ah, { kind: 'setWeights', netuid: 1, uids: [1], values: [1], versionKey: 5 }, 'RateLimitedError')
    await blocks(ledger, 5 - ledger.status().height) // the open block is 6: past the rate limit, before the first epoch (7)
    await refused(ledger, ah, { kind: 'setWeights', netuid: 1, uids: [1], values: [1], versionKey: 5 }, 'InvalidWeightsError')
    await refused(ledger, ch, { kind: 'setWeights', netuid: 1, uids: [1], values: [1], versionKey: 5 }, 'NotRegisteredError')
    await refused(ledger, ah, { kind: 'setWeights', netuid: 4, uids: [1], values: [1], versionKey: 5 }, 'SubnetNotFoundError')
    await blocks(ledger, 9 - ledger.status().height) // epoch at block 7 ((7+2) % 10 == 0) hands out permits
    expect(ledger.neuron(1, 0)!.permit).toBe(true)
    await refused(ledger, ah, { kind: 'setWeights', netuid: 1, uids: [1, 1], values: [1, 1], versionKey: 5 }, 'InvalidWeightsError')
    await refused(ledger, ah, { kind: 'setWeights', netuid: 1, uids: [1, 5], values: [1, 1], versionKey: 5 }, 'InvalidWeightsError')
    await refused(ledger, ah, { kind: 'setWeights', netuid: 1, uids: [1], values: [1], versionKey: 4 }, 'InvalidWeightsError')
    await refused(ledger, ah, { kind: 'setWeights', netuid: 1, uids: [0, 1], values: [1, 3], versionKey: 5 }, 'InvalidWeightsError')
    await send(ledger, ah, { kind: 'setWeights', netuid: 1, uids: [0, 1], values: [2, 3], versionKey: 5 })
    await blocks(ledger, 1)
    // stored max-upscaled, round half away from zero: 2·65535/3 = 43690
    expect(ledger.neuron(1, 0)!.weights).toEqual([[0, 43_690], [1, 65_535]])
    await refused(ledger, ah, { kind: 'setWeights', netuid: 1, uids: [1], values: [1], versionKey: 5 }, 'RateLimitedError')
  })

  it('behavior: commit-reveal: commit, too early, reveal in the next epoch, expired', async () => {
    const ledger = await chain({ commitReveal: true, weightsSetRateLimit: 0 })
    await blocks(ledger, 9 - ledger.status().height) // permits from the epoch at block 7
    await refused(ledger, ah, { kind: 'setWeights', netuid: 1, uids: [1], values: [1], versionKey: 0 }, 'InvalidWeightsError')
    const salt = Uint8Array.from([1, 2, 3])
    const hash = commitHash(ah.address, 1, [1], [7], salt, 0)
    await send(ledger, ah, { kind: 'commitWeights', netuid: 1, hash })
    await blocks(ledger, 1)
    // a second commit in the same epoch (blocks 8..17 are epoch 1) is refused: one live commit per epoch
    await refused(ledger, ah, { kind: 'commitWeights', netuid: 1, hash: commitHash(ah.address, 1, [1], [3], salt, 0) }, 'RateLimitedError')
    const reveal: TxBody = { kind: 'revealWeights', netuid: 1, uids: [1], values: [7], salt, versionKey: 0 }
    await refused(ledger, ah, reveal, 'InvalidWeightsError') // same epoch: too early
    await refused(ledger, ah, { ...reveal, values: [8] } as TxBody, 'InvalidWeightsError') // does not match
    await blocks(ledger, 18 - ledger.status().height) // block 18 is in the next epoch (epoch index = floor((b+2)/10))
    await send(ledger, ah, reveal)
    await blocks(ledger, 1)
    expect(ledger.neuron(1, 0)!.weights).toEqual([[1, 65_535]])
    expect(ledger.neuron(1, 0)!.commits).toEqual([])
    // a second commit left for two epochs has expired
    await send(ledger, ah, { kind: 'commitWeights', netuid: 1, hash: commitHash(ah.address, 1, [1], [9], salt, 0) })
    await blocks(ledger, 40 - ledger.status().height)
    await refused(ledger, ah, { ...reveal, values: [9] } as TxBody, 'InvalidWeightsError')
  })
})
