/**
 * Escrow as a fair exchange the chain judges (src/ledger/tx/escrow.ts): delivery holds the
 * money, the buyer's side accepts (seller paid) or disputes by revealing the purchase's one-time
 * seed, and the chain opens the sealed key itself. The seals here are real ones
 * (src/seal.ts), made with the listing's content key, another key, or bytes that never open.
 */
import fc from 'fast-check'
import { CID } from 'multiformats'
import { describe, expect, it } from 'vitest'
import { blocks, peekNonce, send, TAO, testGenesis, testKey, testLedger } from './helpers.ts'
import { decodeTx, signTx, TX_ERROR_NAMES } from '../../src/ledger/index.ts'
import { commitContentKey, openSealedKey, sealContentKey } from '../../src/seal.ts'
import type { Ledger, TxBody } from '../../src/ledger/index.ts'
import type { TestKey } from './helpers.ts'

const [buyer, seller, other, agent] = ['buyer', 'seller', 'other', 'buyer-daemon'].map(testKey)
// the purchase's one-time key: the seller seals to its public key, a dispute reveals its seed
const ONE_TIME = testKey('one-time')
const LISTING = 'bafyreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy'
const CONTENT_KEY = new Uint8Array(32).fill(0x42)
const COMMITMENT = commitContentKey(CONTENT_KEY)
const WINDOW = 3

const good = (): Uint8Array => sealContentKey({ contentKey: CONTENT_KEY, recipient: ONE_TIME.publicKey, listingId: CID.parse(LISTING) })
// a key that opens but is not the committed one, and a box of the right size that never opens
const wrongKey = (): Uint8Array => sealContentKey({ contentKey: new Uint8Array(32).fill(0x43), recipient: ONE_TIME.publicKey, listingId: CID.parse(LISTING) })
const garbage = (): Uint8Array => new Uint8Array(105).fill(1)

const escrowBody = (amount: bigint, timeout = 5): TxBody => ({ kind: 'escrow', seller: seller.address, agent: agent.address, recipient: ONE_TIME.publicKey, commitment: COMMITMENT, amount, listing: LISTING, timeout })
const chain = async (): Promise<Ledger> => testLedger(testGenesis({ buyer: 10n * TAO }, { disputeWindow: WINDOW }))

async function refused (ledger: Ledger, who: TestKey, body: TxBody, name: string): Promise<void> {
  const before = ledger.previewStateRoot()
  const stx = signTx({ chainId: ledger.genesis.chainId, signer: who.address, nonce: peekNonce(ledger, who.address), body }, who.secretKey)
  await expect(ledger.submit(stx.bytes)).rejects.toHaveProperty('name', name)
  expect(ledger.previewStateRoot()).toBe(before)
}

async function delivered (ledger: Ledger, key: Uint8Array): Promise<string> {
  const id = await send(ledger, buyer, escrowBody(3n * TAO))
  await blocks(ledger, 1)
  await send(ledger, seller, { kind: 'deliver', escrow: id, key, receipt: Uint8Array.of(1, 2) })
  await blocks(ledger, 1)
  return id
}

describe('ledger escrow', () => {
  it('default: a delivery holds the money; the agent accepts and the seller is paid at once', async () => {
    const ledger = await chain()
    const id = await send(ledger, buyer, escrowBody(3n * TAO))
    await blocks(ledger, 1)
    expect(ledger.balance(buyer.address)).toBe(7n * TAO)
    expect(ledger.escrow(id)).toMatchObject({ buyer: buyer.address, seller: seller.address, agent: agent.address, recipient: ONE_TIME.publicKey, commitment: COMMITMENT, amount: 3n * TAO, listing: LISTING, state: 'open', deadline: 6 })
    expect(ledger.escrowsFor(seller.address).map(e => e.id)).toEqual([id])
    await refused(ledger, other, { kind: 'deliver', escrow: id, key: good(), receipt: new Uint8Array(0) }, 'NotOwnerError')
    await refused(ledger, buyer, { kind: 'refund', escrow: id }, 'RateLimitedError') // still within the window
    await refused(ledger, agent, { kind: 'accept', escrow: id }, 'EscrowStateError') // nothing delivered yet
    await send(ledger, seller, { kind: 'deliver', escrow: id, key: good(), receipt: Uint8Array.of(9) })
    await blocks(ledger, 1)
    // delivered: held, not paid; the 3 TAO still count in the issuance
    expect(ledger.balance(seller.address)).toBe(0n)
    expect(ledger.escrow(id)).toMatchObject({ state: 'delivered', deliveredAt: 2, receipt: Uint8Array.of(9) })
    expect(ledger.audit().ok).toBe(true)
    await refused(ledger, seller, { kind: 'deliver', escrow: id, key: good(), receipt: new Uint8Array(0) }, 'EscrowStateError')
    await refused(ledger, other, { kind: 'accept', escrow: id }, 'NotOwnerError')
    await refused(ledger, seller, { kind: 'claim', escrow: id }, 'RateLimitedError') // the window is open
    await send(ledger, agent, { kind: 'accept', escrow: id })
    await blocks(ledger, 1)
    expect(ledger.balance(seller.address)).toBe(3n * TAO)
    expect(ledger.escrow(id)?.state).toBe('accepted')
    await refused(ledger, agent, { kind: 'accept', escrow: id }, 'EscrowStateError')
    await refused(ledger, agent, { kind: 'dispute', escrow: id, secret: ONE_TIME.secretKey }, 'EscrowStateError')
    expect(ledger.audit().ok).toBe(true)
  })

  it('security: a delivery that does not open, or opens to another key, is disputed and refunded; the seller is not paid', async () => {
    for (const key of [garbage(), wrongKey()]) {
      const ledger = await chain()
      const id = await delivered(ledger, key)
      // only the one-time seed of the escrow's recipient is a valid reveal
      await refused(ledger, agent, { kind: 'dispute', escrow: id, secret: testKey('not-it').secretKey }, 'MalformedError')
      await refused(ledger, other, { kind: 'dispute', escrow: id, secret: ONE_TIME.secretKey }, 'NotOwnerError')
      await send(ledger, agent, { kind: 'dispute', escrow: id, secret: ONE_TIME.secretKey })
      await blocks(ledger, 1)
      expect(ledger.escrow(id)?.state).toBe('failed')
      expect(ledger.balance(buyer.address)).toBe(10n * TAO)
      expect(ledger.balance(seller.address)).toBe(0n)
      await blocks(ledger, WINDOW + 1)
      await refused(ledger, seller, { kind: 'claim', escrow: id }, 'EscrowStateError')
      expect(ledger.audit().ok).toBe(true)
    }
  })

  it('security: a dispute of a key that opens and matches is refused, and the seller claims after the window', async () => {
    const ledger = await chain()
    const id = await delivered(ledger, good()) // delivered in block 2: disputes until block 2 + 3
    await refused(ledger, buyer, { kind: 'dispute', escrow: id, secret: ONE_TIME.secretKey }, 'DisputeRefusedError')
    await refused(ledger, seller, { kind: 'claim', escrow: id }, 'RateLimitedError')
    await blocks(ledger, WINDOW) // the open block is now 6, past the window
    await refused(ledger, buyer, { kind: 'dispute', escrow: id, secret: ONE_TIME.secretKey }, 'RateLimitedError')
    await refused(ledger, other, { kind: 'claim', escrow: id }, 'NotOwnerError')
    await send(ledger, seller, { kind: 'claim', escrow: id })
    await blocks(ledger, 1)
    expect(ledger.escrow(id)?.state).toBe('paid')
    expect(ledger.balance(seller.address)).toBe(3n * TAO)
    expect(ledger.balance(buyer.address)).toBe(7n * TAO)
    expect(ledger.audit().ok).toBe(true)
  })

  it('behavior: an undelivered escrow is refunded after its deadline, and cannot be delivered then', async () => {
    const ledger = await chain()
    const id = await send(ledger, buyer, escrowBody(2n * TAO, 2))
    await blocks(ledger, 3) // opened at block 1, deadline 3; the open block is now 4
    await refused(ledger, seller, { kind: 'deliver', escrow: id, key: good(), receipt: new Uint8Array(0) }, 'RateLimitedError')
    await refused(ledger, other, { kind: 'refund', escrow: id }, 'NotOwnerError')
    await refused(ledger, agent, { kind: 'refund', escrow: id }, 'NotOwnerError') // refunds go to the buyer only
    await send(ledger, buyer, { kind: 'refund', escrow: id })
    await blocks(ledger, 1)
    expect(ledger.balance(buyer.address)).toBe(10n * TAO)
    expect(ledger.escrow(id)?.state).toBe('refunded')
    await refused(ledger, buyer, { kind: 'refund', escrow: id }, 'EscrowStateError')
    await refused(ledger, buyer, { kind: 'refund', escrow: 'ab'.repeat(32) }, 'EscrowNotFoundError')
    await refused(ledger, buyer, escrowBody(11n * TAO), 'InsufficientBalanceError')
    await refused(ledger, buyer, { ...escrowBody(1n * TAO), seller: buyer.address } as TxBody, 'InvalidAmountError')
    await refused(ledger, buyer, { ...escrowBody(1n * TAO), agent: seller.address } as TxBody, 'InvalidAmountError')
    // below the existential deposit (500 rao) is refused; the deposit itself is accepted
    await refused(ledger, buyer, escrowBody(499n), 'InvalidAmountError')
    await send(ledger, buyer, escrowBody(500n))
    expect(ledger.audit().ok).toBe(true)
  })

  it('behavior: the escrow fields are part of the signed bytes and checked for shape', async () => {
    const ledger = await chain()
    const body = escrowBody(1000n, 3)
    const tx = { chainId: ledger.genesis.chainId, signer: buyer.address, nonce: 0, body }
    // canonical: the decoded transaction carries the same fields and re-encodes identically
    const stx = signTx(tx, buyer.secretKey)
    const back = decodeTx(stx.bytes)
    expect(back.tx.body).toEqual(body)
    expect(back.bytes).toEqual(stx.bytes)
    // another recipient is another transaction (a different signed message and hash)
    expect(signTx({ ...tx, body: { ...body, recipient: testKey('mallory').publicKey } as TxBody }, buyer.secretKey).hash).not.toBe(stx.hash)
    for (const bad of [{ recipient: new Uint8Array(31) }, { commitment: new Uint8Array(33) }, { listing: 'listing-1' }, { listing: LISTING.toUpperCase() }]) {
      await refused(ledger, buyer, { ...body, ...bad } as TxBody, 'MalformedError')
    }
    const id = await send(ledger, buyer, body)
    await refused(ledger, seller, { kind: 'deliver', escrow: id, key: new Uint8Array(104), receipt: new Uint8Array(0) }, 'MalformedError')
    await refused(ledger, seller, { kind: 'deliver', escrow: id, key: good(), receipt: new Uint8Array(4097) }, 'MalformedError')
    expect(ledger.audit().ok).toBe(true)
  })
})

describe('ledger escrow properties', () => {
  it('behavior: random escrow, deliver, accept, dispute, claim and refund by random parties never pay twice or both sides', async () => {
    const parties = [buyer, seller, agent, other]
    const deliveries = [good, wrongKey, garbage]
    const act = fc.record({
      kind: fc.constantFrom('escrow', 'deliver', 'deliver', 'accept', 'dispute', 'dispute', 'claim', 'refund', 'block', 'block'),
      // 0: anyone (the party `pick` names), else the party the rules expect
      anyone: fc.nat({ max: 3 }),
      pick: fc.nat(),
      box: fc.nat({ max: 2 })
    })
    const seen = new Set<string>()
    await fc.assert(fc.asyncProperty(fc.array(act, { minLength: 10, maxLength: 60 }), async acts => {
      const ledger = await chain()
      const ids: string[] = []
      // nonces of transactions accepted into the open block (a refused one takes none)
      const open = new Map<string, number>()
      const submit = async (who: TestKey, body: TxBody): Promise<string> => {
        const nonce = open.get(who.address) ?? ledger.nonce(who.address)
        const { hash } = await ledger.submit(signTx({ chainId: ledger.genesis.chainId, signer: who.address, nonce, body }, who.secretKey).bytes)
        open.set(who.address, nonce + 1)
        return hash
      }
      for (const a of acts) {
        if (a.kind === 'block') {
          open.clear()
          await blocks(ledger, 1 + (a.pick % 3))
          expect(ledger.audit().ok).toBe(true)
          continue
        }
        // mostly one of the newest escrows, whose windows are still open
        const id = ids.length === 0 ? 'ab'.repeat(32) : ids[ids.length - 1 - (a.pick % Math.min(ids.length, 3))]
        const expected = a.kind === 'deliver' || a.kind === 'claim' ? seller : a.kind === 'accept' || a.kind === 'dispute' ? (a.pick % 2 === 0 ? buyer : agent) : buyer
        const who = a.anyone === 0 ? parties[a.pick % 4] : expected
        const body: TxBody = a.kind === 'escrow'
          ? escrowBody(500n + BigInt(a.pick % 5) * TAO, 1 + (a.pick % 4))
          : a.kind === 'deliver'
            ? { kind: 'deliver', escrow: id, key: deliveries[a.box](), receipt: new Uint8Array(0) }
            : a.kind === 'dispute' ? { kind: 'dispute', escrow: id, secret: ONE_TIME.secretKey } : { kind: a.kind, escrow: id }
        try {
          const hash = await submit(who, body)
          if (a.kind === 'escrow') ids.push(hash)
          seen.add(a.kind)
        } catch (err) {
          expect(TX_ERROR_NAMES.has((err as Error).name), (err as Error).stack).toBe(true)
        }
      }
      open.clear()
      await blocks(ledger, 1)
      expect(ledger.audit().ok).toBe(true)
      // Every escrow pays out at most once and to one side: from the final states alone, each
      // account's balance is its genesis balance, minus what it escrowed, plus what was paid to
      // it (a second payout, or one to both sides, would make these differ).
      const expected = new Map<string, bigint>([[buyer.address, 10n * TAO]])
      const add = (who: string, x: bigint): void => { expected.set(who, (expected.get(who) ?? 0n) + x) }
      for (const id of ids) {
        const e = ledger.escrow(id)
        if (e == null) continue // accepted into the open block, then not produced: not on chain
        add(e.buyer, -e.amount)
        if (e.state === 'accepted' || e.state === 'paid') add(e.seller, e.amount)
        if (e.state === 'refunded' || e.state === 'failed') add(e.buyer, e.amount)
        // judged by the chain: an escrow fails only on a delivery that does not open to the committed key
        if (e.state === 'failed') expect(() => openSealedKey({ sealed: e.key, recipientSecret: ONE_TIME.secretKey, listingId: CID.parse(LISTING), commitment: COMMITMENT })).toThrow()
      }
      for (const p of parties) expect(ledger.balance(p.address), p.address).toBe(expected.get(p.address) ?? 0n)
    }), { numRuns: 30, seed: Number(process.env.FC_SEED ?? 20_261_207) })
    // the generator reached every transition
    for (const k of ['escrow', 'deliver', 'accept', 'dispute', 'claim', 'refund']) expect(seen, k).toContain(k)
  })
})
