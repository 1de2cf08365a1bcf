/**
 * Property: long random sequences of valid and invalid transactions (and blocks in between)
 * never break the issuance invariant, every refused transaction is refused with a named
 * error and leaves the pending state root unchanged, and a follower that replays the blocks
 * reaches the same state root.
 */
import fc from 'fast-check'
import { MemoryDatastore } from 'datastore-core'
import { describe, expect, it } from 'vitest'
import { Ledger, signTx, TX_ERROR_NAMES, yumaEpoch } from '../../src/ledger/index.ts'
import { TAO, testGenesis, testKey, testLedger } from './helpers.ts'
import type { Block, TxBody } from '../../src/ledger/index.ts'

const COLD = ['c0', 'c1', 'c2', 'c3'].map(testKey)
const HOT = ['h0', 'h1', 'h2', 'h3'].map(testKey)
// each buyer's one-time purchase key (its seed is revealed by a dispute), and a listing CID
const ONE_TIME = ['o0', 'o1', 'o2', 'o3'].map(testKey)
const LISTING = 'bafyreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy'
const COMMITMENT = new Uint8Array(32).fill(7)

const amount = fc.oneof(fc.bigInt({ min: 0n, max: 2000n }), fc.bigInt({ min: 0n, max: 60n * TAO }), fc.constant(1n << 63n))
const who = fc.nat({ max: 3 })

const body: fc.Arbitrary<{ signer: 'cold' | 'hot', i: number, body: TxBody }> = fc.oneof(
  fc.record({ i: who, to: who, amount }).map(x => ({ signer: 'cold' as const, i: x.i, body: { kind: 'transfer', to: COLD[x.to].address, amount: x.amount } as TxBody })),
  fc.record({ i: who, h: who, amount }).map(x => ({ signer: 'cold' as const, i: x.i, body: { kind: 'addStake', hotkey: HOT[x.h].address, amount: x.amount } as TxBody })),
  fc.record({ i: who, h: who, amount }).map(x => ({ signer: 'cold' as const, i: x.i, body: { kind: 'removeStake', hotkey: HOT[x.h].address, amount: x.amount } as TxBody })),
  fc.record({ i: who, h: who, take: fc.nat({ max: 20_000 }) }).map(x => ({ signer: 'cold' as const, i: x.i, body: { kind: 'becomeDelegate', hotkey: HOT[x.h].address, take: x.take } as TxBody })),
  who.map(i => ({ signer: 'cold' as const, i, body: { kind: 'registerNetwork' } as TxBody })),
  fc.record({ i: who, h: who, netuid: fc.nat({ max: 3 }) }).map(x => ({ signer: 'cold' as const, i: x.i, body: { kind: 'burnedRegister', netuid: x.netuid, hotkey: HOT[x.h].address } as TxBody })),
  fc.record({ i: who, netuid: fc.nat({ max: 2 }) }).map(x => ({ signer: 'cold' as const, i: x.i, body: { kind: 'burnedRegister', netuid: x.netuid, hotkey: HOT[x.i].address } as TxBody })),
  fc.record({ i: who, h: who }).map(x => ({ signer: 'cold' as const, i: x.i, body: { kind: 'rootRegister', hotkey: HOT[x.h].address } as TxBody })),
  fc.record({ i: who, to: who, amount: fc.oneof(amount, fc.bigInt({ min: 500n, max: 5n * TAO })), timeout: fc.integer({ min: 1, max: 6 }) }).map(x => ({
    signer: 'cold' as const, i: x.i, body: { kind: 'escrow', seller: COLD[x.to].address, agent: HOT[x.i].address, recipient: ONE_TIME[x.i].publicKey, commitment: COMMITMENT, amount: x.amount, listing: LISTING, timeout: x.timeout } as TxBody
  })),
  fc.record({ h: who, netuid: fc.nat({ max: 2 }), uids: fc.uniqueArray(fc.nat({ max: 3 }), { minLength: 1, maxLength: 3 }) }).map(x => ({
    signer: 'hot' as const, i: x.h, body: { kind: 'setWeights', netuid: x.netuid, uids: x.uids, values: x.uids.map((_, k) => 100 + k), versionKey: 0 } as TxBody
  })),
  fc.record({ h: who, netuid: fc.nat({ max: 3 }), row: fc.array(fc.tuple(fc.nat({ max: 4 }), fc.nat({ max: 65_535 })), { maxLength: 4 }) }).map(x => ({
    signer: 'hot' as const, i: x.h, body: { kind: 'setWeights', netuid: x.netuid, uids: x.row.map(([u]) => u), values: x.row.map(([, v]) => v), versionKey: 0 } as TxBody
  }))
)

/** How a transaction is (mis)formed: valid, or with one defect. */
const defect = fc.constantFrom('none', 'none', 'none', 'none', 'nonce', 'chain', 'signature', 'signer')
const step = fc.oneof(
  { weight: 6, arbitrary: fc.record({ t: fc.constant('tx' as const), body, defect }) },
  { weight: 5, arbitrary: fc.record({ t: fc.constant('settle' as const), i: who, k: fc.nat(), act: fc.constantFrom('deliver', 'deliver', 'accept', 'dispute', 'dispute', 'claim', 'refund') }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('block' as const), n: fc.integer({ min: 1, max: 8 }) }) }
)

describe('ledger properties', () => {
  it('behavior: random transactions keep the invariants; refused ones change nothing; replay matches', async () => {
    await fc.assert(fc.asyncProperty(fc.array(step, { minLength: 20, maxLength: 80 }), async input => {
      const steps = input.map(x => ({ ...x })) as Array<typeof input[number]>
      const genesis = testGenesis(Object.fromEntries(COLD.map((_, i) => [`c${i}`, 50n * TAO])), {
        emissionSplit: 'even',
        rootTempo: 3,
        subnetLimit: 2,
        networkRateLimit: 2,
        networkImmunityPeriod: 4,
        networkMinLockCost: '10000000000',
        networkLockReductionInterval: 5,
        initialBurn: '1000',
        disputeWindow: 4,
        newSubnet: { tempo: 4, weightsSetRateLimit: 1, immunityPeriod: 3, maxAllowedUids: 3, maxRegistrationsPerBlock: 2, targetRegistrationsPerInterval: 2, adjustmentInterval: 3, minAllowedWeights: 1 }
      })
      const ledger = await testLedger(genesis)
      const produced: Block[] = []
      const escrows: Array<{ id: string, buyer: number, seller: number }> = []
      // Warm-up so that random steps meet a live subnet: one network, four staked neurons.
      await ledger.submit(signTx({ chainId: genesis.chainId, signer: COLD[0].address, nonce: 0, body: { kind: 'registerNetwork' } }, COLD[0].secretKey).bytes)
      produced.push(await ledger.produceBlock())
      for (let i = 0; i < 4; i++) {
        const n = ledger.nonce(COLD[i].address)
        await ledger.submit(signTx({ chainId: genesis.chainId, signer: COLD[i].address, nonce: n, body: { kind: 'burnedRegister', netuid: 1, hotkey: HOT[i].address } }, COLD[i].secretKey).bytes)
        await ledger.submit(signTx({ chainId: genesis.chainId, signer: COLD[i].address, nonce: n + 1, body: { kind: 'addStake', hotkey: HOT[i].address, amount: BigInt(i + 1) * TAO } }, COLD[i].secretKey).bytes)
        if (i % 2 === 1) produced.push(await ledger.produceBlock())
      }
      // past the first epoch, so validators hold permits
      for (let k = 0; k < 6; k++) produced.push(await ledger.produceBlock())
      let refused = 0
      for (let s of steps) {
        if (s.t === 'block') {
          for (let k = 0; k < s.n; k++) produced.push(await ledger.produceBlock())
          expect(ledger.audit().ok).toBe(true)
          continue
        }
        if (s.t === 'settle') {
          // act on one of the escrows opened so far: the seller delivers (a box that never opens)
          // or claims, the buyer accepts, disputes (revealing its one-time seed) or refunds
          const e = escrows.length === 0 ? { id: 'ab'.repeat(32), buyer: s.i, seller: s.i } : escrows[s.k % escrows.length]
          const id = e.id
          const bySeller = s.act === 'deliver' || s.act === 'claim'
          // mostly the right party, sometimes anyone
          const signer = s.k % 5 === 0 ? s.i : (bySeller ? e.seller : e.buyer)
          const bodies: Record<typeof s.act, TxBody> = {
            deliver: { kind: 'deliver', escrow: id, key: new Uint8Array(105).fill(s.k % 256), receipt: Uint8Array.of(s.k % 256) },
            accept: { kind: 'accept', escrow: id },
            dispute: { kind: 'dispute', escrow: id, secret: ONE_TIME[e.buyer].secretKey },
            claim: { kind: 'claim', escrow: id },
            refund: { kind: 'refund', escrow: id }
          }
          s = { t: 'tx', defect: 'none', body: { signer: 'cold', i: signer, body: bodies[s.act] } }
        }
        const key = s.body.signer === 'cold' ? COLD[s.body.i] : HOT[s.body.i]
        const signer = s.defect === 'signer' ? COLD[(s.body.i + 1) % 4] : key
        const nonce = ledger.nonce(signer.address) + pendingCount(ledger, signer.address) + (s.defect === 'nonce' ? 1 : 0)
        const stx = signTx({ chainId: s.defect === 'chain' ? 'other-chain' : genesis.chainId, signer: signer.address, nonce, body: s.body.body }, key.secretKey)
        const bytes = stx.bytes.slice()
        if (s.defect === 'signature') bytes[bytes.length - 1] ^= 1
        const before = ledger.previewStateRoot()
        try {
          const { hash } = await ledger.submit(bytes)
          if (s.body.body.kind === 'escrow') {
            const seller = s.body.body.seller
            escrows.push({ id: hash, buyer: s.body.i, seller: COLD.findIndex(c => c.address === seller) })
          }
          sent.set(ledger, [...(sent.get(ledger) ?? []), signer.address])
          stats.accepted.set(s.body.body.kind, (stats.accepted.get(s.body.body.kind) ?? 0) + 1)
          expect(s.defect).toBe('none')
        } catch (err) {
          refused++
          expect(TX_ERROR_NAMES.has((err as Error).name), (err as Error).stack).toBe(true)
          expect(ledger.previewStateRoot()).toBe(before)
        }
      }
      produced.push(await ledger.produceBlock())
      expect(ledger.audit().ok).toBe(true)
      const follower = new Ledger({ datastore: new MemoryDatastore(), genesis, epoch: yumaEpoch })
      await follower.start()
      for (const b of produced) await follower.applyBlock(b.bytes)
      expect(follower.stateRoot()).toBe(ledger.stateRoot())
      stats.refused += refused
      if (ledger.globals().issuance > 200n * TAO) stats.minted++
    }), { numRuns: 40, seed: SEED })
    // The generator must exercise both sides: accepted kinds of every sort, refusals, and epochs that mint.
    expect(stats.refused).toBeGreaterThan(0)
    expect(stats.minted).toBeGreaterThan(0)
    for (const k of ['transfer', 'addStake', 'registerNetwork', 'burnedRegister', 'setWeights', 'escrow', 'deliver', 'accept', 'dispute', 'claim', 'refund']) expect(stats.accepted.get(k) ?? 0, k).toBeGreaterThan(0)
  })
})

/** Fixed so the coverage checks below are deterministic; set FC_SEED to explore other sequences. */
const SEED = Number(process.env.FC_SEED ?? 20_251_125)
const stats = { refused: 0, minted: 0, accepted: new Map<string, number>() }
const sent = new WeakMap<Ledger, string[]>()
/** Transactions of `address` accepted into the open block (so the next nonce is right). */
function pendingCount (ledger: Ledger, address: string): number {
  const height = ledger.status().height
  const seen = heights.get(ledger)
  if (seen !== height) { sent.set(ledger, []); heights.set(ledger, height) }
  return (sent.get(ledger) ?? []).filter(a => a === address).length
}
const heights = new WeakMap<Ledger, number>()
