/**
 * The signature-verification pool and the ledger paths that use it: the pool answers exactly
 * what the one verifier answers item by item (bad signatures, wrong keys, wrong messages and
 * malformed sizes anywhere in a batch, across chunk and job boundaries, with requests gathered
 * into shared jobs and a worker dying mid-job); `submitMany` through the pool refuses exactly
 * what the serial path refuses and seals the same blocks; overlapping `submitMany` and
 * `produceBlock` calls fill blocks in call order; a follower checking queued blocks ahead of
 * their turn adopts the same chain and refuses the same blocks with the same errors.
 */
import * as ed from '@noble/ed25519'
import { MemoryDatastore } from 'datastore-core'
import { afterEach, describe, expect, it } from 'vitest'
import { sealBlock } from '../../src/ledger/block.ts'
import { createLedger, generateKeyPair, Ledger, signTx, yumaEpoch } from '../../src/ledger/index.ts'
import { verify } from '../../src/ledger/keys.ts'
import { CHUNK, VerifyPool } from '../../src/ledger/verify-pool.ts'
import { TAO, testGenesis, testKey } from './helpers.ts'
import type { VerifyItem } from '../../src/ledger/verify-pool.ts'
import type { Worker } from 'node:worker_threads'

const pools: VerifyPool[] = []
afterEach(async () => {
  for (const p of pools.splice(0)) await p.close()
})

function pool (size?: number, mainThreadHelps = true): VerifyPool {
  const p = new VerifyPool(size, { mainThreadHelps })
  pools.push(p)
  return p
}

const keys = Array.from({ length: 8 }, (_, i) => generateKeyPair(new Uint8Array(32).fill(i + 1)))

/** `n` signed items; `bad` maps an index to the defect given to it. */
function items (n: number, bad: Map<number, 'signature' | 'key' | 'message' | 'short-signature' | 'short-key'>): VerifyItem[] {
  return Array.from({ length: n }, (_, i) => {
    const k = keys[i % keys.length]
    const message = new TextEncoder().encode(`message ${i} ${'x'.repeat(i % 37)}`)
    let signature: Uint8Array = ed.sign(message, k.secretKey)
    let publicKey = k.publicKey
    let msg = message
    switch (bad.get(i)) {
      case 'signature': signature = signature.slice(); signature[i % 64] ^= 0x10; break
      case 'key': publicKey = keys[(i + 1) % keys.length].publicKey; break
      case 'message': msg = message.slice(); msg[0] ^= 1; break
      case 'short-signature': signature = signature.subarray(0, 63); break
      case 'short-key': publicKey = publicKey.subarray(0, 31); break
    }
    return { signature, message: msg, publicKey }
  })
}

function defects (n: number, seed: number): Map<number, 'signature' | 'key' | 'message' | 'short-signature' | 'short-key'> {
  const kinds = ['signature', 'key', 'message', 'short-signature', 'short-key'] as const
  const m = new Map<number, typeof kinds[number]>()
  let x = seed
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) % 2147483648
    if (x % 7 === 0) m.set(i, kinds[x % kinds.length])
  }
  // the edges of the batch and of chunks
  m.set(0, 'signature')
  m.set(n - 1, 'key')
  m.set(CHUNK - 1, 'message')
  m.set(CHUNK, 'short-signature')
  return m
}

describe('verification pool', () => {
  it('behavior: answers exactly which items are bad, anywhere in a batch of many chunks', async () => {
    const n = 700
    const bad = defects(n, 7)
    const list = items(n, bad)
    const expected = Array.from({ length: n }, (_, i) => !bad.has(i))
    expect(expected.filter(x => !x).length).toBeGreaterThan(50)
    // the one verifier agrees with how the items were made
    expect(list.map(x => { try { return verify(x.signature, x.message, x.publicKey) } catch { return false } })).toEqual(expected)
    const p = pool(1)
    expect(await p.verifyAll(list)).toEqual(expected)
    // again, now that the worker is up
    expect(await p.verifyAll(list)).toEqual(expected)
    // the worker alone (the calling thread does not help)
    expect(await pool(1, false).verifyAll(list)).toEqual(expected)
    expect(await pool(2, false).verifyAll(list)).toEqual(expected)
  })

  it('behavior: requests gathered into one job each get their own answers', async () => {
    const p = pool(2, false)
    const batches = [3, 1, 40, 17, 300, 5].map(n => {
      const bad = new Map<number, 'signature' | 'key'>([[n - 1, 'signature'], [Math.floor(n / 2), 'key']])
      return { list: items(n, bad), expected: Array.from({ length: n }, (_, i) => !bad.has(i)) }
    })
    const answers = await Promise.all(batches.map(async b => p.verifyAll(b.list)))
    expect(answers).toEqual(batches.map(b => b.expected))
    expect(await p.verifyAll([])).toEqual([])
  })

  it('behavior: a worker that dies mid-job leaves its chunks to the calling thread', async () => {
    const p = pool(1, false)
    await p.verifyAll(items(CHUNK * 2, new Map())) // the worker is up
    const n = CHUNK * 40
    const bad = defects(n, 11)
    const answer = p.verifyAll(items(n, bad))
    p.flush()
    await (p as unknown as { workers: Worker[] }).workers[0].terminate()
    expect(await answer).toEqual(Array.from({ length: n }, (_, i) => !bad.has(i)))
    // and the pool carries on with a new worker
    const again = defects(n, 13)
    expect(await p.verifyAll(items(n, again))).toEqual(Array.from({ length: n }, (_, i) => !again.has(i)))
  })

  it('behavior: close finishes open jobs on the calling thread', async () => {
    const p = new VerifyPool(1)
    const bad = defects(300, 5)
    const answer = p.verifyAll(items(300, bad))
    await p.close()
    expect(await answer).toEqual(Array.from({ length: 300 }, (_, i) => !bad.has(i)))
  })
})

describe('ledger paths through the pool', () => {
  const names = Array.from({ length: 40 }, (_, i) => `s${i}`)
  const senders = names.map(testKey)
  const genesis = testGenesis(Object.fromEntries(names.map(n => [n, 10n * TAO])), { maxTxsPerSignerPerBlock: 64 })
  const auth = testKey('authority')
  const sink = testKey('sink')

  /** 600 transfers, 15 per sender; bad signatures at 7, 300, 599, garbage at 150, a wrong chain at 451. */
  function batch (): { txs: Uint8Array[], expected: Map<number, string> } {
    const txs = Array.from({ length: 600 }, (_, i) => {
      const k = senders[i % 40]
      const chainId = i === 451 ? 'another-chain' : genesis.chainId
      return signTx({ chainId, signer: k.address, nonce: Math.floor(i / 40), body: { kind: 'transfer', to: sink.address, amount: BigInt(i + 1) } }, k.secretKey).bytes.slice()
    })
    for (const i of [7, 300, 599]) txs[i][txs[i].length - 1] ^= 1
    txs[150] = new Uint8Array([0xa2, 1, 2, 3])
    // a refused tx leaves its sender's nonce where it was: the sender's later txs carry nonces
    // one too high, so each is refused with BadNonceError
    const expected = new Map<number, string>([[7, 'BadSignatureError'], [300, 'BadSignatureError'], [599, 'BadSignatureError'], [150, 'MalformedError'], [451, 'WrongChainError']])
    for (const b of [7, 300, 150, 451]) for (let i = b + 40; i < 600; i += 40) expected.set(i, 'BadNonceError')
    return { txs, expected }
  }

  it('behavior: submitMany through the pool refuses exactly what the serial path refuses, and seals the same block', async () => {
    const { txs, expected } = batch()
    const results: Array<Array<string>> = []
    const heads: Array<{ stateRoot: string, txs: Uint8Array[] }> = []
    for (const verifyThreads of [0, 1, 2]) {
      const l = new Ledger({ datastore: new MemoryDatastore(), genesis, epoch: yumaEpoch, authorityKey: auth.secretKey, verifyThreads })
      await l.start()
      const res = await l.submitMany(txs)
      results.push(res.map(r => 'error' in r ? r.error.name : 'ok'))
      const block = await l.produceBlock()
      heads.push({ stateRoot: l.stateRoot(), txs: block.txs })
      expect(l.audit().ok).toBe(true)
      await l.stop()
    }
    const want = txs.map((_, i) => expected.get(i) ?? 'ok')
    expect(results[0]).toEqual(want)
    expect(results[1]).toEqual(want)
    expect(results[2]).toEqual(want)
    expect(heads[0].txs).toHaveLength(600 - expected.size)
    expect(heads[1]).toEqual(heads[0])
    expect(heads[2]).toEqual(heads[0])
    // and one at a time
    const serial = await createLedger({ datastore: new MemoryDatastore(), genesis, authorityKey: auth.secretKey })
    const one: string[] = []
    for (const t of txs) one.push(await serial.submit(t).then(() => 'ok', (err: Error) => err.name))
    expect(one).toEqual(want)
    await serial.produceBlock()
    expect(serial.stateRoot()).toBe(heads[0].stateRoot)
    await serial.stop()
  })

  it('behavior: verifyThreads given, the workers start with the ledger and end with it', async () => {
    const workers = (x: Ledger): number | undefined => (x as unknown as { verifier?: { workers: Worker[] } }).verifier?.workers.length
    const lazy = new Ledger({ datastore: new MemoryDatastore(), genesis, epoch: yumaEpoch })
    await lazy.start()
    expect(workers(lazy)).toBeUndefined()
    await lazy.stop()
    const eager = new Ledger({ datastore: new MemoryDatastore(), genesis, epoch: yumaEpoch, verifyThreads: 2 })
    await eager.start()
    expect(workers(eager)).toBe(2)
    await eager.stop()
    expect(workers(eager)).toBeUndefined()
  })

  it('behavior: overlapping submitMany and produceBlock calls fill blocks in call order', async () => {
    const l = await createLedger({ datastore: new MemoryDatastore(), genesis, authorityKey: auth.secretKey })
    const tx = (i: number): Uint8Array => {
      const k = senders[i % 40]
      return signTx({ chainId: genesis.chainId, signer: k.address, nonce: Math.floor(i / 40), body: { kind: 'transfer', to: sink.address, amount: 1n } }, k.secretKey).bytes
    }
    const all = Array.from({ length: 1200 }, (_, i) => tx(i))
    const a = l.submitMany(all.slice(0, 300))
    const b = l.submitMany(all.slice(300, 310)) // small: checked on this thread, still applied after a
    const first = l.produceBlock()
    const c = l.submitMany(all.slice(310, 1200))
    const second = l.produceBlock()
    const [ra, rb, rc, b1, b2] = await Promise.all([a, b, c, first, second])
    expect([...ra, ...rb, ...rc].every(r => 'hash' in r)).toBe(true)
    expect(b1.txs).toEqual(all.slice(0, 310))
    expect(b2.txs).toEqual(all.slice(310, 1200))
    expect(l.balance(sink.address)).toBe(1200n)
    await l.stop()
  })

  it('behavior: a transaction checked once is not checked again, and other bytes for the same transaction still are', async () => {
    const l = await createLedger({ datastore: new MemoryDatastore(), genesis, authorityKey: auth.secretKey })
    const f = new Ledger({ datastore: new MemoryDatastore(), genesis, epoch: yumaEpoch })
    await f.start()
    const verified = (x: Ledger): { has: (h: string) => boolean } => (x as unknown as { verified: { has: (h: string) => boolean } }).verified
    const stxs = Array.from({ length: 300 }, (_, i) => {
      const k = senders[i % 40]
      return signTx({ chainId: genesis.chainId, signer: k.address, nonce: Math.floor(i / 40), body: { kind: 'transfer', to: sink.address, amount: 1n } }, k.secretKey)
    })
    // the follower checks its users' transactions as they are submitted, and pools them
    for (const t of stxs.slice(0, 150)) await f.submit(t.bytes)
    for (const r of await f.submitMany(stxs.slice(150).map(t => t.bytes))) expect(r).toHaveProperty('hash')
    expect(stxs.every(t => verified(f).has(t.hash))).toBe(true)
    // the same transaction with its signature damaged is other bytes: checked, and refused
    const forged = (t: Uint8Array): Uint8Array => { const b = Uint8Array.from(t); b[b.length - 1] ^= 1; return b } // (a Buffer's slice is a view)
    await expect(f.submit(forged(stxs[0].bytes))).rejects.toHaveProperty('name', 'BadSignatureError')
    expect([...new Set((await f.submitMany(stxs.map(t => forged(t.bytes)))).map(r => 'error' in r ? r.error.name : 'ok'))]).toEqual(['BadSignatureError'])
    // the authority's block of the genuine ones is adopted (their signatures were checked at submit)
    for (const r of await l.submitMany(stxs.map(t => t.bytes))) expect(r).toHaveProperty('hash')
    const block = await l.produceBlock()
    await f.applyBlock(block.bytes)
    expect(f.stateRoot()).toBe(l.stateRoot())
    expect(f.pendingTransactions()).toHaveLength(0)
    // and a block carrying a damaged copy of one of them is refused
    const next = await l.produceBlock()
    const bad = sealBlock({ ...next.header, txCount: 1 }, [forged(stxs[7].bytes)], auth.secretKey)
    await expect(f.applyBlock(bad.bytes)).rejects.toMatchObject({ name: 'InvalidBlockError', cause: { name: 'BadSignatureError' } })
    await f.stop()
    await l.stop()
  })

  it('behavior: a follower checking queued blocks ahead of their turn adopts the same chain and refuses the same blocks', async () => {
    const l = await createLedger({ datastore: new MemoryDatastore(), genesis, authorityKey: auth.secretKey })
    const nonces = new Map<string, number>()
    const made: Uint8Array[] = []
    for (const size of [1, 4, 320, 260, 300, 280]) {
      const txs = Array.from({ length: size }, (_, i) => {
        const k = senders[i % 40]
        const nonce = nonces.get(k.address) ?? 0
        nonces.set(k.address, nonce + 1)
        return signTx({ chainId: genesis.chainId, signer: k.address, nonce, body: { kind: 'transfer', to: sink.address, amount: 1n } }, k.secretKey).bytes
      })
      for (const r of await l.submitMany(txs)) expect(r).toHaveProperty('hash')
      made.push((await l.produceBlock()).bytes)
    }
    const f = new Ledger({ datastore: new MemoryDatastore(), genesis, epoch: yumaEpoch })
    await f.start()
    await Promise.all(made.slice(0, 3).map(async b => f.applyBlock(b)))
    expect(f.status().height).toBe(3)
    expect(f.stateRoot()).toBe((await l.getBlock(3))!.header.stateRoot.reduce((h, x) => h + x.toString(16).padStart(2, '0'), ''))

    // blocks 4..6 queued at once, bad versions of block 5 between them: each refused with the
    // error the serial path gives (see blocks.spec.ts), the genuine ones adopted
    const block5 = (await l.getBlock(5))!
    const tampered = block5.txs.map(t => t.slice())
    tampered[150][tampered[150].length - 1] ^= 1
    const badTx = sealBlock(block5.header, tampered, auth.secretKey)
    const garbage = sealBlock(block5.header, block5.txs.map((t, i) => i === 200 ? new Uint8Array([0xa2, 1, 2, 3]) : t), auth.secretKey)
    const forged = sealBlock(block5.header, block5.txs, testKey('mallory').secretKey)
    const otherChain = sealBlock({ ...block5.header, chainId: 'another-chain' }, block5.txs, auth.secretKey)
    const outcomes = await Promise.all([made[3], badTx.bytes, garbage.bytes, forged.bytes, otherChain.bytes, made[5], made[4], made[5]].map(async b =>
      f.applyBlock(b).then(() => 'ok', (err: Error) => `${err.name}${err.cause != null ? `/${(err.cause as Error).name}` : ''}`)))
    expect(outcomes).toEqual(['ok', 'InvalidBlockError/BadSignatureError', 'InvalidBlockError/MalformedError', 'InvalidBlockError', 'InvalidBlockError', 'WrongParentError', 'ok', 'ok'])
    expect(f.status().height).toBe(6)
    expect(f.stateRoot()).toBe(l.stateRoot())
    await f.stop()
    await l.stop()
  })
})
