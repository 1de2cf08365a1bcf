import { describe, expect, it } from 'vitest'

describe('exports', () => {
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
    const mod = await import('../src/index.ts') as Record<string, unknown>
    for (const [k, v] of Object.entries(mod)) {
      if (!k.endsWith('Error') || k === 'ApiError') continue
      const E = v as new (m: string) => Error
      expect(new E('x').name).toBe(k)
    }
  })
})
