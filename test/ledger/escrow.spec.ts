/** Escrow, delivery and refund (the market's purchase on the ledger). */
import { describe, expect, it } from 'vitest'
import { blocks, peekNonce, send, TAO, testGenesis, testKey, testLedger } from './helpers.ts'
import { decodeTx, signTx } from '../../src/ledger/index.ts'
import type { Ledger, TxBody } from '../../src/ledger/index.ts'
import type { TestKey } from './helpers.ts'

const [buyer, seller, other] = ['buyer', 'seller', 'other'].map(testKey)
// the buyer daemon's hotkey (any 32-byte public key): the seller seals the content key to it
const RECIPIENT = testKey('buyer-daemon').publicKey
const LISTING = 'bafyreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy'

async function refused (ledger: Ledger, who: TestKey, body: TxBody, name: string): Promise<void> {
  const before = ledger.previewStateRoot()
  const stx = signTx({ chainId: ledger.genesis.chainId, signer: who.address, nonce: peekNonce(ledger, who.address), body }, who.secretKey)
  await expect(ledger.submit(stx.bytes)).rejects.toHaveProperty('name', name)
  expect(ledger.previewStateRoot()).toBe(before)
}

describe('ledger escrow', () => {
  it('default: escrow then delivery pays the seller and keeps the payload on chain', async () => {
    const ledger = await testLedger(testGenesis({ buyer: 10n * TAO }))
    const id = await send(ledger, buyer, { kind: 'escrow', seller: seller.address, recipient: RECIPIENT, amount: 3n * TAO, listing: LISTING, timeout: 5 })
    await blocks(ledger, 1)
    expect(ledger.balance(buyer.address)).toBe(7n * TAO)
    expect(ledger.escrow(id)).toMatchObject({ buyer: buyer.address, seller: seller.address, recipient: RECIPIENT, amount: 3n * TAO, listing: LISTING, state: 'open', deadline: 6 })
    expect(ledger.escrowsFor(seller.address).map(e => e.id)).toEqual([id])
    expect(ledger.escrowsFor(buyer.address)).toEqual([])
    expect(ledger.audit().ok).toBe(true) // the escrowed 3 TAO still count
    await refused(ledger, other, { kind: 'deliver', escrow: id, payload: Uint8Array.of(1) }, 'NotOwnerError')
    await refused(ledger, buyer, { kind: 'refund', escrow: id }, 'RateLimitedError') // still within the window
    await send(ledger, seller, { kind: 'deliver', escrow: id, payload: Uint8Array.of(9, 9, 9) })
    await blocks(ledger, 1)
    expect(ledger.balance(seller.address)).toBe(3n * TAO)
    expect(ledger.escrow(id)).toMatchObject({ state: 'delivered', payload: Uint8Array.of(9, 9, 9), closedAt: 2 })
    expect(ledger.escrowsFor(seller.address)).toEqual([]) // no longer open
    expect(ledger.escrowsFor(seller.address, 'delivered').map(e => e.id)).toEqual([id])
    await refused(ledger, seller, { kind: 'deliver', escrow: id, payload: Uint8Array.of(1) }, 'InvalidAmountError')
    expect(ledger.audit().ok).toBe(true)
  })

  it('behavior: an undelivered escrow is refunded after its deadline, and cannot be delivered then', async () => {
    const ledger = await testLedger(testGenesis({ buyer: 10n * TAO }))
    const id = await send(ledger, buyer, { kind: 'escrow', seller: seller.address, recipient: RECIPIENT, amount: 2n * TAO, listing: LISTING, timeout: 2 })
    await blocks(ledger, 3) // opened at block 1, deadline 3; the open block is now 4
    await refused(ledger, seller, { kind: 'deliver', escrow: id, payload: Uint8Array.of(1) }, 'RateLimitedError')
    await refused(ledger, other, { kind: 'refund', escrow: id }, 'NotOwnerError')
    await send(ledger, buyer, { kind: 'refund', escrow: id })
    await blocks(ledger, 1)
    expect(ledger.balance(buyer.address)).toBe(10n * TAO)
    expect(ledger.escrow(id)?.state).toBe('refunded')
    await refused(ledger, buyer, { kind: 'refund', escrow: id }, 'InvalidAmountError')
    await refused(ledger, buyer, { kind: 'refund', escrow: 'ab'.repeat(32) }, 'EscrowNotFoundError')
    await refused(ledger, buyer, { kind: 'escrow', seller: seller.address, recipient: RECIPIENT, amount: 11n * TAO, listing: LISTING, timeout: 2 }, 'InsufficientBalanceError')
    await refused(ledger, buyer, { kind: 'escrow', seller: buyer.address, recipient: RECIPIENT, amount: 1n * TAO, listing: LISTING, timeout: 2 }, 'InvalidAmountError')
    // below the existential deposit (500 rao) is refused; the deposit itself is accepted
    await refused(ledger, buyer, { kind: 'escrow', seller: seller.address, recipient: RECIPIENT, amount: 499n, listing: LISTING, timeout: 2 }, 'InvalidAmountError')
    await send(ledger, buyer, { kind: 'escrow', seller: seller.address, recipient: RECIPIENT, amount: 500n, listing: LISTING, timeout: 2 })
    expect(ledger.audit().ok).toBe(true)
  })

  it('behavior: the recipient is part of the signed bytes and must be 32 bytes', async () => {
    const ledger = await testLedger(testGenesis({ buyer: 10n * TAO }))
    const body = { kind: 'escrow' as const, seller: seller.address, recipient: RECIPIENT, amount: 1n, listing: LISTING, timeout: 3 }
    const tx = { chainId: ledger.genesis.chainId, signer: buyer.address, nonce: 0, body }
    // canonical: the decoded transaction carries the same recipient bytes and re-encodes identically
    const stx = signTx(tx, buyer.secretKey)
    const back = decodeTx(stx.bytes)
    expect(back.tx.body).toEqual(body)
    expect(back.bytes).toEqual(stx.bytes)
    // another recipient is another transaction (a different signed message and hash)
    expect(signTx({ ...tx, body: { ...body, recipient: testKey('mallory').publicKey } }, buyer.secretKey).hash).not.toBe(stx.hash)
    for (const recipient of [new Uint8Array(31), new Uint8Array(33)]) {
      await refused(ledger, buyer, { ...body, recipient }, 'MalformedError')
    }
    expect(ledger.audit().ok).toBe(true)
  })
})
