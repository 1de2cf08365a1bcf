/**
 * Fuzzing the market's decoders of bytes from peers: listing envelopes (gossip, DHT records,
 * catalogue frames), the DHT record validator and selector, the gossip topic validator, and
 * receipts and reissue requests. Inputs are mutations of real signed records, mutations of their
 * payloads re-signed with the real key (so they pass the signature and reach the schema), and
 * random bytes.
 */
import * as dagCbor from '@ipld/dag-cbor'
import { TopicValidatorResult } from '@libp2p/gossipsub'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { LISTING_DOMAIN, MAX_LISTING_BYTES, RECEIPT_DOMAIN, REISSUE_DOMAIN } from '../../src/market/constants.ts'
import { open, seal } from '../../src/market/envelope.ts'
import type { SignatureDomain } from '../../src/signing.ts'
import { listingTopicValidator } from '../../src/market/gossip.ts'
import { publicKeyOf } from '../../src/market/keys.ts'
import { createListing, decodeListing, verifyListing } from '../../src/market/listing.ts'
import { createReceipt, createReissueRequest, verifyReceipt, verifyReissueRequest } from '../../src/market/receipt.ts'
import { listingKey, selectListingRecord, validateListingValue } from '../../src/market/record.ts'
import { BUYER_SECRET, DAY, openModelParams, SELLER_SECRET, T0 } from '../market/helpers.ts'
import { decodeOrNamed, fuzzBudget } from './budget.ts'
import { hostileBytes, mutatedMap } from './mutate.ts'
import type { Message } from '@libp2p/gossipsub'

const budget = fuzzBudget(8)

/** listing.ts / envelope.ts contract for decodeListing. */
const LISTING_ERRORS = ['RecordTooLargeError', 'MalformedRecordError', 'InvalidListingError', 'UnknownLicenseError', 'InvalidSignatureError']
/** record.ts contract for the DHT validator: the listing's errors, expiry and the key. */
const RECORD_ERRORS = [...LISTING_ERRORS, 'RecordExpiredError', 'RecordKeyMismatchError']
/** receipt.ts contract. */
const RECEIPT_ERRORS = ['RecordTooLargeError', 'MalformedRecordError', 'InvalidSignatureError', 'InvalidReceiptError']
const REISSUE_ERRORS = [...RECEIPT_ERRORS, 'RecordExpiredError']

const NOW = T0 + DAY
const listing = createListing(openModelParams(), SELLER_SECRET)
const other = createListing(openModelParams({ name: 'other', tags: [], files: [], card: null, description: '' }), SELLER_SECRET)
const envelope = dagCbor.decode<{ payload: Record<string, unknown>, publicKey: Uint8Array, signature: Uint8Array }>(listing.bytes)
const receipt = createReceipt({ listing, buyer: publicKeyOf(BUYER_SECRET), escrow: 'escrow-1', issued: T0 }, SELLER_SECRET)
const reissue = createReissueRequest(receipt, BUYER_SECRET, { now: NOW, nonce: new Uint8Array(16).fill(7) })

/** A payload mutated structurally and signed again under `domain` with `secret`. */
function resigned (payloadBytes: Uint8Array, secret: Uint8Array, domain: SignatureDomain): fc.Arbitrary<Uint8Array> {
  return mutatedMap(payloadBytes).map(p => {
    try {
      return seal(dagCbor.decode(p), secret, domain)
    } catch {
      // a duplicated key does not decode: send it as the payload bytes of a raw envelope
      return dagCbor.encode({ payload: p, publicKey: publicKeyOf(secret), signature: new Uint8Array(64) })
    }
  })
}

/** Hostile listing bytes: mutations of real envelopes, re-signed payload mutations, random bytes. */
const hostileListing = fc.oneof(
  hostileBytes(listing.bytes, other.bytes),
  mutatedMap(listing.bytes),
  resigned(dagCbor.encode(envelope.payload), SELLER_SECRET, LISTING_DOMAIN)
)

describe('fuzz: market records', () => {
  it('decodeListing: hostile bytes decode to a record that re-encodes to the signed payload, or a named error', () => {
    fc.assert(fc.property(hostileListing, bytes => {
      const l = decodeOrNamed(() => decodeListing(bytes), LISTING_ERRORS)
      if (l == null) return
      // accepted: the record as parsed is exactly what was signed (nothing dropped or coerced)
      const opened = open(bytes, LISTING_DOMAIN)
      expect(dagCbor.encode(l.record)).toEqual(dagCbor.encode(opened.payload))
      expect(l.id.equals(opened.cid)).toBe(true)
    }), budget.params(300))
  }, budget.timeout)

  it('validateListingValue: hostile keys and values are accepted only under the record\'s own key', () => {
    const key = listingKey(listing.record)
    const keys = fc.oneof(fc.constant(key), hostileBytes(key))
    fc.assert(fc.property(keys, hostileListing, (k, v) => {
      const l = decodeOrNamed(() => validateListingValue(k, v, NOW), RECORD_ERRORS)
      if (l == null) return
      expect(listingKey(l.record)).toEqual(k)
    }), budget.params(200))
  }, budget.timeout)

  it('selectListingRecord: never throws and picks an index within the values', () => {
    fc.assert(fc.property(fc.array(fc.oneof(hostileListing, fc.constant(listing.bytes)), { minLength: 1, maxLength: 5 }), values => {
      const i = selectListingRecord(listingKey(listing.record), values)
      expect(i).toBeGreaterThanOrEqual(0)
      expect(i).toBeLessThan(values.length)
    }), budget.params(200))
  }, budget.timeout)

  it('gossip validator: accepts exactly the listings that verify, never throws, rejects malformed ones', async () => {
    const peer = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
    const validate = listingTopicValidator(async bytes => { verifyListing(bytes, { now: NOW }); return 'added' })
    const big = new Uint8Array(MAX_LISTING_BYTES + 1)
    await fc.assert(fc.asyncProperty(fc.oneof(hostileListing, fc.constant(big)), async data => {
      const verdict = await validate(peer, { type: 'unsigned', topic: 't', data } as unknown as Message)
      let ok = true
      let name = ''
      try { verifyListing(data, { now: NOW }) } catch (err) { ok = false; name = (err as Error).name }
      // Accept iff the listing verifies; of the refusals only expiry and staleness are ignored
      if (ok) expect(verdict).toBe(TopicValidatorResult.Accept)
      else expect(verdict).toBe(name === 'RecordExpiredError' || name === 'StaleListingError' ? TopicValidatorResult.Ignore : TopicValidatorResult.Reject)
      if (!ok) expect(RECORD_ERRORS).toContain(name)
    }), budget.params(200))
  }, budget.timeout)

  it('open: envelopes of any domain, mutated, give a verified payload or a named envelope error', () => {
    const envErrors = ['RecordTooLargeError', 'MalformedRecordError', 'InvalidSignatureError']
    fc.assert(fc.property(hostileBytes(listing.bytes, receipt.bytes, reissue), fc.constantFrom(LISTING_DOMAIN, RECEIPT_DOMAIN, REISSUE_DOMAIN), (bytes, domain) => {
      const o = decodeOrNamed(() => open(bytes, domain), envErrors)
      if (o == null) return
      // opened: the bytes are the canonical encoding of the envelope it returns
      expect(dagCbor.encode({ payload: o.payload, publicKey: o.publicKey, signature: o.signature })).toEqual(bytes)
    }), budget.params(300))
  }, budget.timeout)

  it('verifyReceipt: mutated and re-signed receipts give a receipt that re-encodes, or a named error', () => {
    const payload = dagCbor.encode(dagCbor.decode<{ payload: unknown }>(receipt.bytes).payload)
    const inputs = fc.oneof(hostileBytes(receipt.bytes), resigned(payload, SELLER_SECRET, RECEIPT_DOMAIN))
    fc.assert(fc.property(inputs, bytes => {
      const r = decodeOrNamed(() => verifyReceipt(bytes, { listing }), RECEIPT_ERRORS)
      if (r == null) return
      expect(dagCbor.encode(r.record)).toEqual(dagCbor.encode(open(bytes, RECEIPT_DOMAIN).payload))
    }), budget.params(200))
  }, budget.timeout)

  it('verifyReissueRequest: mutated and re-signed requests are accepted only when they name the real receipt', () => {
    const payload = dagCbor.encode(dagCbor.decode<{ payload: unknown }>(reissue).payload)
    const inputs = fc.oneof(hostileBytes(reissue), resigned(payload, BUYER_SECRET, REISSUE_DOMAIN))
    fc.assert(fc.property(inputs, fc.oneof(fc.constant(receipt.bytes), hostileBytes(receipt.bytes)), (req, rec) => {
      const r = decodeOrNamed(() => verifyReissueRequest(req, rec, { seller: publicKeyOf(SELLER_SECRET), now: NOW }), REISSUE_ERRORS)
      if (r == null) return
      expect(r.request.receipt.equals(r.receipt.id)).toBe(true)
    }), budget.params(200))
  }, budget.timeout)

  it('verifyListing over the catalogue size: a frame of MAX_LISTING_BYTES + 1 is refused by size before decoding', () => {
    // a byte string that claims to hold 2^64 − 1 bytes, padded past the limit: refused by length alone
    const bytes = new Uint8Array(MAX_LISTING_BYTES + 1)
    bytes.set([0x5b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])
    expect(() => verifyListing(bytes)).toThrow(expect.objectContaining({ name: 'RecordTooLargeError' }))
  })
})
