import { describe, expect, it } from 'vitest'

describe('market exports', () => {
  it('default: the public surface is exactly the intended list', async () => {
    const mod = await import('../../src/market/index.ts')
    // written by hand from src/market/index.ts: a change to the surface must change this list too
    expect(Object.keys(mod).sort()).toEqual([
      'AlreadyPurchasedError', 'acceptDelivery', 'prepareDelivery', 'decodeDelivery', 'encodeDelivery', 'MAX_DELIVERY_BYTES', 'reissueKey', 'CiphertextFormatError', 'DEFAULT_CHUNK_SIZE', 'DHT_NAMESPACE', 'DecryptionError', 'HEADER_SIZE',
      'InvalidListingError', 'InvalidReceiptError', 'InvalidSignatureError', 'KeyCommitmentMismatchError', 'LISTING_DOMAIN',
      'ListingIndex', 'MAX_LISTING_BYTES', 'MAX_RECEIPT_BYTES', 'MalformedRecordError', 'RECEIPT_DOMAIN', 'REISSUE_DOMAIN',
      'REISSUE_MAX_AGE_MS', 'ReceiptBook', 'ReceiptReplayError', 'RecordExpiredError', 'RecordKeyMismatchError', 'RecordTooLargeError',
      'SEALED_KEY_SIZE', 'SealedKeyError', 'StaleListingError', 'TAG_SIZE', 'UNSPECIFIED_LICENSE', 'UnknownLicenseError',
      'amountDue', 'assertCurrent', 'checkContentKey', 'chunkCount', 'ciphertextSpan', 'commitContentKey', 'createHeader', 'createListing',
      'createReceipt', 'createReissueRequest', 'decodeEnvelopeUnsafe', 'decodeListing', 'decodeListingUnsafe', 'decryptBytes',
      'decryptChunk', 'decryptRange', 'digestFile', 'encryptFile', 'listingErrorVerdict', 'decryptRangeStream', 'decryptStream', 'encodeListing', 'encryptBytes', 'encryptChunk',
      'encryptStream', 'encryptedSize', 'envelopeCid', 'generateContentKey', 'isKnownLicense', 'listingIndex', 'listingKey',
      'listingKeyString', 'listingValidator', 'normalizeLicense', 'open', 'openSealedKey', 'parseHeader', 'peerIdOf', 'publicKeyOf',
      'readHeader', 'revokeListing', 'seal', 'sealContentKey', 'selectListingRecord', 'signerOf', 'updateListing',
      'validateListingRecord', 'validateListingValue', 'verifyBytes', 'verifyEnvelope', 'verifyListing', 'verifyReceipt',
      'verifyReissueRequest'
    ].sort())
  })
})
