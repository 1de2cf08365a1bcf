import { describe, expect, it } from 'vitest'
import { defaultConfig, mergeConfig, parseHostPort, validateConfig } from '../../src/config.ts'
import { DEFAULT_ADMISSION_LIMITS } from '../../src/market/admission.ts'
import { admissionLimits } from '../../src/market/service.ts'

describe('config', () => {
  it('default: defaults are Kubo-like ports, no bootstrap peers, libp2p connection limits, the unixfs-v1-2025 profile', () => {
    expect(validateConfig(defaultConfig())).toEqual({
      version: 1,
      addresses: { listen: ['/ip4/0.0.0.0/tcp/4001'], announce: [], api: '127.0.0.1:5001', gateway: '127.0.0.1:8080' },
      bootstrap: [],
      // libp2p's own defaults (INBOUND_CONNECTION_THRESHOLD 5 per second per IP, MAX_CONNECTIONS 300)
      // public: addresses learned from the network in private ranges are not dialled (issue 10)
      swarm: { inboundConnectionThreshold: 5, maxConnections: 300, network: 'public' },
      reprovide: { intervalMs: 43_200_000 },
      import: { profile: 'unixfs-v1-2025' },
      // 16,384 links: 16x the 1024 of a balanced v1-2025 node; 4 Mi blocks: 4x a 1 TB model of 1 MiB leaves
      fetch: { timeoutMs: 60_000, maxLinksPerBlock: 16_384, maxBlocks: 4_194_304 },
      serve: { maxBufferedBytes: 64 * 1024 * 1024 },
      // a real market: half a million listings (2 GiB of envelopes at ~4 KiB), of which 200,000
      // from publishers without stake; one peer may bring 20,000 of those at once, then 500/s
      market: {
        maxListings: 500_000,
        maxListingBytes: 2 * 1024 ** 3,
        maxUnstakedListings: 200_000,
        maxUnstakedBytes: 512 * 1024 ** 2,
        perPeerListings: 20_000,
        perPeerBytes: 128 * 1024 ** 2,
        perPeerRate: 500,
        perPeerBurst: 20_000
      },
      // no tokenless metrics listener unless asked for
      metrics: { listen: '' },
      gateway: { localOnly: false, maxFetchBytes: 1024 * 1024 * 1024 }
    })
  })

  it('default: the market section gives the listing index the admission defaults it has as a library', () => {
    expect(admissionLimits(defaultConfig().market)).toEqual(DEFAULT_ADMISSION_LIMITS)
  })

  it('behavior: overrides merge per section and missing sections get defaults', () => {
    const c = mergeConfig(defaultConfig(), { addresses: { api: '127.0.0.1:0' }, bootstrap: ['/ip4/127.0.0.1/tcp/1/p2p/x'] })
    expect(c.addresses).toMatchObject({ api: '127.0.0.1:0', gateway: '127.0.0.1:8080' })
    expect(c.bootstrap).toEqual(['/ip4/127.0.0.1/tcp/1/p2p/x'])
    expect(validateConfig({ version: 1 }).import.profile).toBe('unixfs-v1-2025')
  })

  it('behavior: bad values are refused with InvalidParametersError', () => {
    const bad: unknown[] = [
      null,
      { version: 2 },
      { version: 1, addresses: { api: 'localhost' } },
      { version: 1, addresses: { gateway: '127.0.0.1:70000' } },
      { version: 1, bootstrap: 'not-a-list' },
      { version: 1, import: { profile: 'cidv2' } },
      { version: 1, fetch: { timeoutMs: -1 } },
      { version: 1, swarm: { inboundConnectionThreshold: 0 } },
      { version: 1, swarm: { maxConnections: 1.5 } },
      { version: 1, swarm: { network: 'internet' } },
      { version: 1, fetch: { maxLinksPerBlock: 0 } },
      { version: 1, fetch: { maxBlocks: 2 ** 60 } },
      { version: 1, serve: { maxBufferedBytes: 'a lot' } },
      { version: 1, gateway: { localOnly: 'yes' } },
      { version: 1, gateway: { maxFetchBytes: -5 } },
      { version: 1, market: { perPeerRate: 0 } },
      { version: 1, market: { maxListings: 'many' } },
      // served without the token: loopback only
      { version: 1, metrics: { listen: '0.0.0.0:9090' } },
      { version: 1, metrics: { listen: 9090 } }
    ]
    for (const b of bad) expect(() => validateConfig(b)).toThrow(expect.objectContaining({ name: 'InvalidParametersError' }))
  })

  it('behavior: host:port parsing, IPv6 in brackets', () => {
    expect(parseHostPort('127.0.0.1:5001')).toEqual({ host: '127.0.0.1', port: 5001 })
    expect(parseHostPort('[::1]:0')).toEqual({ host: '::1', port: 0 })
  })
})
