import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'

// Each list below is the public surface decided for that entry point (reviewed name by name when
// the surfaces were cut down), an expected value, not a copy of whatever the index exports today.
describe('exports', () => {
  it('default: package.json publishes exactly the entry points snapshotted here', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { exports: Record<string, unknown> }
    expect(Object.keys(pkg.exports).sort()).toEqual(['.', './market', './yuma', './yuma/tools'])
  })

  it('default: agora/market is listings, receipts, paid goods, purchases, the index, the service and the errors', async () => {
    const names = Object.keys(await import('../src/market/index.ts')).sort()
    expect(names).toEqual([
      // errors
      'AlreadyPurchasedError', 'CatalogueLimitError', 'CiphertextFormatError', 'ContentIntegrityError', 'ContentKeyMissingError',
      'DecryptionError', 'DeliveryDisputedError', 'DeliveryTimeoutError', 'FraudCheckBusyError', 'FraudReportError', 'InvalidListingError', 'InvalidReceiptError', 'InvalidSignatureError',
      'KeyCommitmentMismatchError', 'LedgerUnavailableError', 'ListingFraudError', 'ListingNotFoundError', 'MalformedRecordError', 'PublishError',
      'PurchaseError', 'ReceiptReplayError', 'RecordExpiredError', 'RecordKeyMismatchError', 'RecordTooLargeError', 'SealedKeyError',
      'StaleListingError', 'UnknownLicenseError',
      // limits, the DHT namespace, the service key
      'DHT_NAMESPACE', 'MARKET', 'MAX_LISTING_BYTES', 'MAX_RECEIPT_BYTES',
      // listings and their DHT records
      'createListing', 'decodeListing', 'encodeListing', 'listingKey', 'listingValidator', 'revokeListing', 'selectListingRecord',
      'updateListing', 'verifyListing', 'publicKeyOf',
      // a listing already verified once (read back from the index), and its JSON view (api/wire.ts)
      'decodeListingUnsafe', 'listingView',
      // paid goods
      'checkContentKey', 'commitContentKey', 'decryptBytes', 'decryptRange', 'decryptStream', 'encryptBytes', 'encryptStream',
      'encryptedSize', 'generateContentKey', 'readHeader',
      // receipts and purchases
      'acceptDelivery', 'amountDue', 'createReceipt', 'createReissueRequest', 'decodeDelivery', 'encodeDelivery', 'prepareDelivery',
      'reissueKey', 'verifyReceipt', 'verifyReissueRequest',
      // fraud reports: a listing whose committed key does not decrypt it
      'checkFraudClaim', 'createFraudReport', 'decodeFraudReport',
      // discovery and the service
      'ListingIndex', 'listingIndex', 'marketService'
    ].sort())
  })

  it('default: agora/yuma is the epoch kernel: epochs, parameters, reading the output, the errors', async () => {
    const names = Object.keys(await import('../src/yuma/index.ts')).sort()
    expect(names).toEqual([
      'DEFAULT_PARAMS', 'EpochValueRangeError', 'FIXED_ONE', 'InvalidEpochInputError', 'InvalidYumaParamsError', 'MAX_UIDS',
      'coinbaseSplit', 'epoch', 'fromPairs', 'resolveParams', 'rowEntries', 'runSequence', 'toFloat', 'toPairs', 'toU16'
    ])
  })

  it('default: agora/yuma/tools is test vectors, plotting and the helper thread', async () => {
    const names = Object.keys(await import('../src/yuma/tools.ts')).sort()
    expect(names).toEqual([
      'InvalidVectorsError', 'checkCaseOutput', 'parseVectors', 'plotSvg', 'reportEpoch', 'runCase',
      'setYumaThreads', 'startYumaHelper', 'stopYumaHelper'
    ])
  })

  it('default: the public entry point exports exactly the documented names', async () => {
    // Changing this list changes the public API: update it on purpose, together with src/index.ts.
    const names = Object.keys(await import('../src/index.ts')).sort()
    expect(names).toEqual([
      'AgoraNode',
      'ApiError',
      'BlockNotFoundError',
      'BlockVerificationError',
      'ContentStore',
      'CorruptBlockError',
      'DEFAULT_PROFILE',
      'FetchLimitExceededError',
      'FetchStalledError',
      'FetchTooLargeError',
      'IMPORT_PROFILES',
      'IdentityTooLargeError',
      'InvalidCidError',
      'InvalidDagError',
      'InvalidParametersError',
      'MalformedBlockError',
      'MalformedMessageError',
      'MessageTooLargeError',
      'MethodNotAllowedError',
      'NetworkNotStartedError',
      'NoProvidersError',
      'NotFoundError',
      'NotHeldLocallyError',
      'NotPinnedError',
      'NotStartedError',
      'OutputExistsError',
      'PathNotFoundError',
      'RangeNotSatisfiableError',
      'RepoLockedError',
      'RepoNotInitializedError',
      'RepoVersionError',
      'RouteNotFoundError',
      'StreamStalledError',
      'TimeoutError',
      'TooManyLinksError',
      'TruncatedStreamError',
      'UnauthorizedError',
      'UnsafePathError',
      'UnsupportedCodecError',
      'UnsupportedHashError',
      'WrongContentTypeError',
      'createApiServer',
      'createGatewayServer',
      'createNode',
      'defaultConfig',
      'initRepo',
      'openRepo',
      'parseCid',
      'parseCidPath',
      'resolveRepoPath',
      'startDaemon',
      'validateConfig'
    ])
  })

  it('behavior: every exported error class carries its own name', async () => {
    const mods = await Promise.all([import('../src/index.ts'), import('../src/market/index.ts'), import('../src/yuma/index.ts'), import('../src/yuma/tools.ts')])
    for (const [k, v] of mods.flatMap(m => Object.entries(m as Record<string, unknown>))) {
      if (!k.endsWith('Error') || k === 'ApiError') continue
      const E = v as new (m: string) => Error
      expect(new E('x').name).toBe(k)
    }
  })
})
