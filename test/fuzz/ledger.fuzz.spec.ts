/**
 * Fuzzing the ledger's decoders of bytes from peers and from disk: transactions (gossip, the
 * API), blocks (gossip, `/agora/ledger/blocks`), refusal notices, the state value codec (the
 * datastore), the fast dag-cbor subset decoder against `@ipld/dag-cbor`, and a ledger that is
 * fed hostile transactions and blocks and must still take a valid one afterwards.
 */
import * as cbor from '@ipld/dag-cbor'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decodeBlock, sealBlock } from '../../src/ledger/block.ts'
import { decodeValue, encodeValue } from '../../src/ledger/codec.ts'
import * as ledgerErrors from '../../src/ledger/errors.ts'
import { sign } from '../../src/signing.ts'
import { openRefusal, signRefusal } from '../../src/ledger/refusal.ts'
import { decodeTx, decodeTxUnsafe, signTx } from '../../src/ledger/tx/codec.ts'
import { decodeSubset, UNSUPPORTED } from '../../src/ledger/tx/fast-cbor.ts'
import { testGenesis, testKey, TAO } from '../ledger/helpers.ts'
import { createLedger } from '../../src/ledger/index.ts'
import { decodeOrNamed, decodeOrNamedAsync, fuzzBudget } from './budget.ts'
import { cborValue, hostileBytes, mutatedMap } from './mutate.ts'
import type { Value } from '../../src/ledger/codec.ts'
import type { Ledger, TxBody } from '../../src/ledger/index.ts'

const budget = fuzzBudget(8)

/** codec.ts, block.ts, refusal.ts: every refusal of bytes is a MalformedError. */
const MALFORMED = ['MalformedError']
/** decodeTx adds the signature check. */
const TX_ERRORS = ['MalformedError', 'BadSignatureError']
/** Everything the ledger may refuse a submitted transaction or block with: its named errors. */
const LEDGER_ERRORS = Object.values(ledgerErrors).map(e => (e as { name: string }).name)

const alice = testKey('alice')
const bob = testKey('bob')
const authority = testKey('authority')
const CHAIN = 'agora-test'
const LISTING = 'bafyreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy'

const bodies: TxBody[] = [
  { kind: 'transfer', to: bob.address, amount: 2n * TAO },
  { kind: 'escrow', seller: bob.address, agent: alice.address, recipient: bob.publicKey, commitment: new Uint8Array(32).fill(9), amount: 3n, listing: LISTING, timeout: 5 },
  { kind: 'setWeights', netuid: 1, uids: [0, 1, 2], values: [10, 0, 65535], versionKey: 0 }
]
const txs = bodies.map((body, nonce) => signTx({ chainId: CHAIN, signer: alice.address, nonce, body }, alice.secretKey))
const block = sealBlock({ chainId: CHAIN, height: 1, parent: new Uint8Array(32), stateRoot: new Uint8Array(32).fill(1), txRoot: new Uint8Array(32).fill(2), timestamp: 1000, txCount: 1 }, [txs[0].bytes], authority.secretKey)
const notice = signRefusal({ chainId: CHAIN, tx: txs[0].hash, error: 'InsufficientBalanceError', message: 'no', height: 3 }, authority.secretKey)

/** A transaction whose unsigned map was mutated and then signed by alice: it reaches the field checks. */
const resignedTx = fc.constantFrom(...txs).chain(t => mutatedMap(t.unsigned)).map(unsigned => {
  return cbor.encode({ t: unsigned, g: sign('agora-tx/v1', unsigned, alice.secretKey) })
})
const hostileTx = fc.oneof(hostileBytes(...txs.map(t => t.bytes)), resignedTx, fc.constantFrom(...txs).chain(t => mutatedMap(t.bytes)))

/** Values of the state codec. */
const stateValue: fc.Arbitrary<Value> = fc.letrec<{ v: Value }>(tie => ({
  v: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null), fc.boolean(), fc.nat(), fc.bigInt({ min: -(1n << 80n), max: 1n << 80n }), fc.string({ maxLength: 20 }),
    fc.uint8Array({ maxLength: 20 }), fc.array(tie('v'), { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 6 }), tie('v'), { maxKeys: 3 })
  )
})).v

describe('fuzz: ledger decoders', () => {
  it('decodeTxUnsafe / decodeTx: hostile transactions decode to one that signs back to the same bytes, or a named error', () => {
    fc.assert(fc.property(hostileTx, bytes => {
      const u = decodeOrNamed(() => decodeTxUnsafe(bytes), MALFORMED)
      const stx = decodeOrNamed(() => decodeTx(bytes), TX_ERRORS)
      if (u == null || stx == null) return
      // a transaction that decodes and verifies carries its own bytes and the hash of them
      expect(stx.bytes).toBe(bytes)
      expect(stx.hash).toBe(u.stx.hash)
    }), budget.params(300))
  }, budget.timeout)

  it('decodeBlock: hostile blocks decode to the header they carry, or MalformedError', () => {
    const inputs = fc.oneof(hostileBytes(block.bytes), mutatedMap(block.bytes), mutatedMap(block.headerBytes).map(h => cbor.encode({ h, g: block.signature, x: block.txs })))
    fc.assert(fc.property(inputs, bytes => {
      const b = decodeOrNamed(() => decodeBlock(bytes), MALFORMED)
      if (b == null) return
      // what was decoded is what the header bytes say, field by field
      const h = cbor.decode<Record<string, unknown>>(b.headerBytes)
      expect([h.c, h.h, h.t, h.n]).toEqual([b.header.chainId, b.header.height, b.header.timestamp, b.txs.length])
    }), budget.params(300))
  }, budget.timeout)

  it('openRefusal: hostile notices are refused with MalformedError unless signed by the authority', () => {
    fc.assert(fc.property(fc.oneof(hostileBytes(notice), mutatedMap(notice)), bytes => {
      const n = decodeOrNamed(() => openRefusal(bytes, CHAIN, authority.publicKey), MALFORMED)
      if (n == null) return
      expect(n.chainId).toBe(CHAIN)
      expect(n.tx).toMatch(/^[0-9a-f]{64}$/)
    }), budget.params(300))
  }, budget.timeout)

  it('decodeValue (state on disk): bytes decode to a value that encodes back to the same bytes, or MalformedError', () => {
    const valid = [encodeValue({ a: 1, b: [true, null, 5n, -7n], c: 'x', d: new Uint8Array([1, 2]) }), encodeValue('é'), encodeValue({ k: { z: 2n ** 70n } })]
    const inputs = fc.oneof(hostileBytes(...valid), stateValue.map(encodeValue).chain(b => hostileBytes(b)))
    fc.assert(fc.property(inputs, bytes => {
      const v = decodeOrNamed(() => decodeValue(bytes), MALFORMED)
      if (v === undefined) return
      // the codec is canonical (codec.ts): one value, one encoding
      expect(encodeValue(v)).toEqual(bytes)
    }), budget.params(500))
  }, budget.timeout)

  it('decodeValue round-trips every state value', () => {
    fc.assert(fc.property(stateValue, v => {
      expect(decodeValue(encodeValue(v))).toEqual(v)
    }), budget.params(200))
  }, budget.timeout)

  it('decodeSubset agrees with @ipld/dag-cbor on every input it accepts (fast-cbor.ts contract)', () => {
    const inputs = fc.oneof(hostileTx, cborValue.map(v => cbor.encode(v)), cborValue.map(v => cbor.encode(v)).chain(b => hostileBytes(b)))
    fc.assert(fc.property(inputs, bytes => {
      const fast = decodeSubset(bytes)
      if (fast === UNSUPPORTED) return
      expect(fast).toEqual(cbor.decode(bytes))
    }), budget.params(500))
  }, budget.timeout)

  it('findings: a null block header, invalid UTF-8 and non-canonical state values are MalformedError', () => {
    // a block whose header bytes are the CBOR `null` (0xf6): decodeBlock read `h.c` of null (TypeError)
    const nullHeader = cbor.encode({ h: Uint8Array.of(0xf6), g: new Uint8Array(64), x: [] })
    expect(() => decodeBlock(nullHeader)).toThrow(expect.objectContaining({ name: 'MalformedError' }))
    // tag 5 (string) of the bytes 7c 7c 9b: 0x9b is no UTF-8 (TextDecoder threw a bare TypeError)
    expect(() => decodeValue(Uint8Array.of(5, 3, 0x7c, 0x7c, 0x9b))).toThrow(expect.objectContaining({ name: 'MalformedError' }))
    // bigint with sign byte 240 decoded as +1·… and re-encoded with sign 0: two encodings of one value
    expect(() => decodeValue(Uint8Array.of(4, 240, 1, 19))).toThrow(expect.objectContaining({ name: 'MalformedError' }))
    // a map {b, a}: keys out of order; and {a, a}: a repeated key
    const k = (c: string): number[] => [1, c.charCodeAt(0), 0]
    expect(() => decodeValue(Uint8Array.of(8, 2, ...k('b'), ...k('a')))).toThrow(expect.objectContaining({ name: 'MalformedError' }))
    expect(() => decodeValue(Uint8Array.of(8, 2, ...k('a'), ...k('a')))).toThrow(expect.objectContaining({ name: 'MalformedError' }))
    // a key `__proto__` holding a map is an own property, not the object's prototype
    const proto = new TextEncoder().encode('__proto__')
    const v = decodeValue(Uint8Array.of(8, 1, proto.length, ...proto, 8, 1, 1, 0x78, 2)) as Record<string, Value>
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype)
    expect(Object.keys(v)).toEqual(['__proto__'])
  })

  describe('a ledger fed hostile input', () => {
    let ledger: Ledger
    beforeAll(async () => {
      ledger = await createLedger({ datastore: new (await import('datastore-core')).MemoryDatastore(), genesis: testGenesis({ alice: 100n * TAO }), authorityKey: authority.secretKey })
    })
    afterAll(async () => { await ledger?.stop() })

    it('submit: every hostile transaction is taken or refused with a ledger error; a valid one lands after', async () => {
      await fc.assert(fc.asyncProperty(hostileTx, async bytes => {
        await decodeOrNamedAsync(async () => ledger.submit(bytes), LEDGER_ERRORS)
      }), budget.params(150))
      // seal what was taken, so the next nonce is the committed one
      await ledger.produceBlock()
      const nonce = ledger.nonce(alice.address)
      const ok = signTx({ chainId: ledger.genesis.chainId, signer: alice.address, nonce, body: { kind: 'transfer', to: bob.address, amount: 1n } }, alice.secretKey)
      await expect(ledger.submit(ok.bytes)).resolves.toEqual({ hash: ok.hash })
    }, budget.timeout)

    it('applyBlock: every hostile block is refused with a ledger error and the head does not move', async () => {
      const head = ledger.status().height
      await fc.assert(fc.asyncProperty(fc.oneof(hostileBytes(block.bytes), mutatedMap(block.bytes)), async bytes => {
        const applied = await decodeOrNamedAsync(async () => { await ledger.applyBlock(bytes); return true }, LEDGER_ERRORS)
        // none is signed by the authority for this chain's next height, so none may apply
        expect(applied).toBeUndefined()
      }), budget.params(150))
      expect(ledger.status().height).toBe(head)
    }, budget.timeout)
  })
})
