/**
 * Blocks and persistence: one atomic write per block, restart at the same root, replay from
 * genesis to the same root, and the named refusals of `applyBlock`.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MemoryDatastore } from 'datastore-core'
import { LevelDatastore } from 'datastore-level'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { decodeBlock, sealBlock } from '../../src/ledger/block.ts'
import { createLedger, Ledger, signTx, yumaEpoch } from '../../src/ledger/index.ts'
import { blocks, send, TAO, testGenesis, testKey, testLedger } from './helpers.ts'
import type { Block } from '../../src/ledger/index.ts'

const genesis = testGenesis({ alice: 1000n * TAO, bob: 10n * TAO }, { networkMinLockCost: '100000000000', newSubnet: { tempo: 1000 } })
const [alice, bob] = ['alice', 'bob'].map(testKey)
const dirs: string[] = []

afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true })
})

async function follower (): Promise<Ledger> {
  const l = new Ledger({ datastore: new MemoryDatastore(), genesis, epoch: yumaEpoch })
  await l.start()
  return l
}

describe('ledger blocks', () => {
  it('default: blocks persist atomically; a restart resumes at the same state root; replay gives the same root', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'agora-ledger-'))
    dirs.push(dir)
    let ds = new LevelDatastore(dir)
    await ds.open()
    let ledger = await testLedger(genesis, ds as never)
    await send(ledger, alice, { kind: 'transfer', to: bob.address, amount: 3n * TAO })
    await send(ledger, alice, { kind: 'registerNetwork' })
    await blocks(ledger, 2)
    await send(ledger, bob, { kind: 'burnedRegister', netuid: 1, hotkey: testKey('bob-hot').address })
    await blocks(ledger, 3)
    const root = ledger.stateRoot()
    const height = ledger.status().height
    await ledger.stop()
    await ds.close()

    ds = new LevelDatastore(dir)
    await ds.open()
    ledger = await testLedger(genesis, ds as never)
    expect(ledger.status().height).toBe(height)
    expect(ledger.stateRoot()).toBe(root)
    expect(ledger.balance(bob.address)).toBe(13n * TAO - 1n * TAO) // +3 TAO, −1 TAO burn
    // it carries on producing from there
    await blocks(ledger, 1)
    expect(ledger.status().height).toBe(height + 1)

    const replica = await follower()
    for (let h = 1; h <= ledger.status().height; h++) await replica.applyBlock((await ledger.getBlock(h))!.bytes)
    expect(replica.stateRoot()).toBe(ledger.stateRoot())
    expect(replica.status().hash).toBe(ledger.status().hash)
    await ledger.stop()
    await ds.close()
  })

  it('behavior: a datastore of another chain is refused with CorruptLedgerError', async () => {
    const ds = new MemoryDatastore()
    await testLedger(genesis, ds)
    const other = testGenesis({ alice: 1n }, {})
    await expect(createLedger({ datastore: ds, genesis: other })).rejects.toHaveProperty('name', 'CorruptLedgerError')
  })

  it('behavior: only the authority produces blocks (NotAuthorityError)', async () => {
    const l = await follower()
    await expect(l.produceBlock()).rejects.toHaveProperty('name', 'NotAuthorityError')
    expect(() => new Ledger({ datastore: new MemoryDatastore(), genesis, epoch: yumaEpoch, authorityKey: alice.secretKey })).toThrow(expect.objectContaining({ name: 'NotAuthorityError' }))
  })

  it('behavior: applyBlock refuses a wrong parent, a bad signature, a bad state root, a bad transaction', async () => {
    const ledger = await testLedger(genesis)
    await send(ledger, alice, { kind: 'transfer', to: bob.address, amount: 5n })
    const b1 = await ledger.produceBlock()
    await send(ledger, alice, { kind: 'transfer', to: bob.address, amount: 7n })
    const b2 = await ledger.produceBlock()
    const f = await follower()
    const genesisRoot = f.stateRoot()

    await expect(f.applyBlock(b2.bytes)).rejects.toHaveProperty('name', 'WrongParentError')
    const forged = sealBlock(b1.header, b1.txs, testKey('mallory').secretKey)
    await expect(f.applyBlock(forged.bytes)).rejects.toHaveProperty('name', 'InvalidBlockError')
    const auth = testKey('authority').secretKey
    const badRoot = sealBlock({ ...b1.header, stateRoot: new Uint8Array(32) }, b1.txs, auth)
    await expect(f.applyBlock(badRoot.bytes)).rejects.toHaveProperty('name', 'StateRootMismatchError')
    const tx = b1.txs[0].slice()
    tx[tx.length - 1] ^= 1
    const badTx = sealBlock(b1.header, [tx], auth)
    await expect(f.applyBlock(badTx.bytes)).rejects.toHaveProperty('name', 'InvalidBlockError')
    await expect(f.applyBlock(new Uint8Array([1, 2, 3]))).rejects.toHaveProperty('name', 'MalformedError')
    // none of that changed anything; the genuine blocks apply
    expect(f.stateRoot()).toBe(genesisRoot)
    expect(f.status().height).toBe(0)
    await f.applyBlock(b1.bytes)
    await expect(f.applyBlock(b1.bytes)).rejects.toHaveProperty('name', 'WrongParentError')
    const older = sealBlock({ ...b2.header, timestamp: b1.header.timestamp - 1 }, b2.txs, auth)
    await expect(f.applyBlock(older.bytes)).rejects.toHaveProperty('name', 'InvalidBlockError')
    await f.applyBlock(decodeBlock(b2.bytes))
    expect(f.stateRoot()).toBe(ledger.stateRoot())
    expect(f.balance(bob.address)).toBe(10n * TAO + 12n)
  })

  it('behavior: a transaction submitted at a follower is pooled for the authority and leaves the pool once in a block', async () => {
    const ledger = await testLedger(genesis)
    const f = await follower()
    await send(f, alice, { kind: 'transfer', to: bob.address, amount: 9n })
    const pooled = f.pendingTransactions()
    expect(pooled).toHaveLength(1)
    for (const t of pooled) await ledger.submit(t)
    const b: Block = await ledger.produceBlock()
    expect(b.txs).toHaveLength(1)
    await f.applyBlock(b.bytes)
    expect(f.pendingTransactions()).toHaveLength(0)
    expect(f.balance(bob.address)).toBe(10n * TAO + 9n)
  })

  it('behavior: a transaction submitted at a follower while a block is being written still sees the pool', async () => {
    // regression: the follower's pool was re-applied only after the block's write finished, so
    // a burnedRegister submitted during the write met an open block without the registerNetwork
    // it depends on and was refused with SubnetNotFoundError
    const ledger = await testLedger(genesis)
    const ds = new MemoryDatastore()
    const f = new Ledger({ datastore: ds, genesis, epoch: yumaEpoch })
    await f.start()
    await send(f, alice, { kind: 'registerNetwork' })
    const empty: Block = await ledger.produceBlock() // the authority has not heard of it yet
    let release = (): void => {}
    const held = new Promise<void>(resolve => { release = resolve })
    const batch = ds.batch.bind(ds)
    ds.batch = () => {
      const b = batch()
      return { put: b.put.bind(b), delete: b.delete.bind(b), commit: async () => { await held; await b.commit() } }
    }
    const applying = f.applyBlock(empty.bytes)
    await new Promise(resolve => setImmediate(resolve))
    await send(f, bob, { kind: 'burnedRegister', netuid: 1, hotkey: testKey('bob-hot').address })
    release()
    await applying
    expect(f.status().height).toBe(1)
    expect(f.pendingTransactions()).toHaveLength(2)
  })

  it('behavior: a failed block write leaves state and head as they were, and loses no accepted transaction', async () => {
    const ds = new MemoryDatastore()
    const ledger = await testLedger(genesis, ds)
    const root = ledger.stateRoot()
    const batch = ds.batch.bind(ds)
    let fail = (): void => {}
    const failing = new Promise<void>(resolve => { fail = resolve })
    ds.batch = () => {
      const b = batch()
      return { put: b.put.bind(b), delete: b.delete.bind(b), commit: async () => { await failing; throw new Error('disk full') } }
    }
    await send(ledger, alice, { kind: 'transfer', to: bob.address, amount: 5n })
    const producing = ledger.produceBlock()
    producing.catch(() => {})
    // accepted while the block is being written: it goes to the next block
    await new Promise(resolve => setImmediate(resolve))
    const later = signTx({ chainId: genesis.chainId, signer: bob.address, nonce: 0, body: { kind: 'transfer', to: alice.address, amount: 2n } }, bob.secretKey)
    await ledger.submit(later.bytes)
    fail()
    await expect(producing).rejects.toThrow('disk full')
    expect(ledger.stateRoot()).toBe(root)
    expect(ledger.status().height).toBe(0)
    expect(ledger.audit().ok).toBe(true)
    // both accepted transactions wait in the open block again, the sealed one first
    expect(ledger.status().pending).toBe(2)
    ds.batch = batch
    // the state on disk is still the genesis state: a restart agrees
    const again = await testLedger(genesis, ds)
    expect(again.stateRoot()).toBe(root)
    // the next block holds both: alice −5 +2, bob +5 −2
    const block = await ledger.produceBlock()
    expect(block.txs).toHaveLength(2)
    expect(ledger.balance(alice.address)).toBe(1000n * TAO - 3n)
    expect(ledger.balance(bob.address)).toBe(10n * TAO + 3n)
  })

  it('behavior: submitMany checks a large batch in parallel, refusing exactly the bad signatures; a follower replays it', async () => {
    const names = Array.from({ length: 50 }, (_, i) => `sender${i}`)
    const g = testGenesis(Object.fromEntries(names.map(n => [n, 10n * TAO])), {})
    const ledger = await testLedger(g)
    const keys = names.map(testKey)
    const txs = Array.from({ length: 300 }, (_, i) => {
      const k = keys[i % 50]
      const bytes = signTx({ chainId: g.chainId, signer: k.address, nonce: Math.floor(i / 50), body: { kind: 'transfer', to: bob.address, amount: 1n } }, k.secretKey).bytes.slice()
      if (i % 97 === 5) bytes[bytes.length - 1] ^= 1 // corrupt the signature of txs 5, 102, 199, 296
      return bytes
    })
    const res = await ledger.submitMany(txs)
    const refusedAt = res.flatMap((r, i) => 'error' in r ? [[i, r.error.name]] : [])
    // a bad signature refuses that tx, and the same sender's later txs then fail on their nonce
    expect(refusedAt.filter(([, n]) => n === 'BadSignatureError').map(([i]) => i)).toEqual([5, 102, 199, 296])
    expect(refusedAt.every(([i, n]) => n === 'BadSignatureError' || (n === 'BadNonceError' && [5, 102, 199, 296].some(b => (Number(i) - b) % 50 === 0)))).toBe(true)
    const block = await ledger.produceBlock()
    expect(block.txs.length).toBe(300 - refusedAt.length)
    const f = new Ledger({ datastore: new MemoryDatastore(), genesis: g, epoch: yumaEpoch })
    await f.start()
    await f.applyBlock(block.bytes)
    expect(f.stateRoot()).toBe(ledger.stateRoot())
    await f.stop()
    await ledger.stop()
  })

  it('behavior: blocks are produced on a timer when asked to', async () => {
    const g = testGenesis({ alice: 1n }, { blockTimeMs: 20 })
    const l = await createLedger({ datastore: new MemoryDatastore(), genesis: g, authorityKey: testKey('authority').secretKey, produceBlocks: true })
    await expectHeight(l, 3)
    await l.stop()
  })
})

async function expectHeight (l: Ledger, h: number): Promise<void> {
  await vi.waitFor(() => expect(l.status().height).toBeGreaterThanOrEqual(h), { timeout: 5000, interval: 20 })
}
