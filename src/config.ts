/**
 * The repo's `config.json`: typed, with defaults and validation at the boundary.
 */
import { InvalidParametersError } from './errors.ts'

/** The import profiles `agora add --profile` accepts (IPIP-499 names). */
export const IMPORT_PROFILES = ['unixfs-v1-2025', 'unixfs-v0-2015'] as const

/** A CID profile: how bytes are chunked and linked, and so which CID they get. */
export type ImportProfile = typeof IMPORT_PROFILES[number]

/**
 * The default profile. Policy: `unixfs-v1-2025` (CIDv1, raw leaves, 1 MiB chunks, 1024 links per
 * node) because multi-GB model files then need 4x fewer blocks than Kubo's classic 256 KiB
 * layout, and it is what `@helia/unixfs` and Kubo's `unixfs-v1-2025` profile produce, so the same
 * bytes get the same CID there.
 */
export const DEFAULT_PROFILE: ImportProfile = 'unixfs-v1-2025'

/** The content of `config.json`. */
export interface AgoraConfig {
  /** Config format version. */
  version: 1
  addresses: {
    /** libp2p listen multiaddrs. @default ['/ip4/0.0.0.0/tcp/4001'] */
    listen: string[]
    /** Multiaddrs to announce instead of the listen addresses. @default [] */
    announce: string[]
    /** `host:port` of the HTTP API (token-guarded). @default '127.0.0.1:5001' */
    api: string
    /** `host:port` of the trustless gateway (no token, public content). @default '127.0.0.1:8080' */
    gateway: string
  }
  /** Multiaddrs (with `/p2p/<peer id>`) of the only peers contacted at start. @default [] */
  bootstrap: string[]
  swarm: {
    /** Inbound connections accepted per second from one remote IP (more are reset). @default 5 */
    inboundConnectionThreshold: number
    /** Open connections above which the least useful are closed. @default 300 */
    maxConnections: number
    /**
     * Which addresses learned from the network (DHT records, identify, gossip) this peer dials
     * and which of its own it announces. `'public'`: private, loopback and link-local addresses
     * are neither dialled nor announced (addresses the user gives, `--bootstrap`, `--providers`,
     * `swarm connect`, are always dialled). `'lan'`: every address (a LAN, a devnet, tests on
     * loopback; `agora devnet` sets it). @default 'public'
     */
    network: NetworkScope
  }
  reprovide: {
    /** Milliseconds between two reprovide rounds of every pinned root. @default 43_200_000 (12 h) */
    intervalMs: number
  }
  import: {
    /** Default CID profile for `agora add`. @default 'unixfs-v1-2025' */
    profile: ImportProfile
  }
  fetch: {
    /** Milliseconds a fetch waits for a provider to answer before failing. @default 60_000 */
    timeoutMs: number
    /**
     * Most links one fetched block may list; a block with more fails the fetch. A balanced file
     * node lists 1024 (174 in the classic profile), a HAMT shard 256. @default 16_384
     */
    maxLinksPerBlock: number
    /**
     * Most blocks one fetch may discover under its root. A 1 TB model in 1 MiB leaves is about
     * 1.05 million blocks. @default 4_194_304
     */
    maxBlocks: number
  }
  serve: {
    /**
     * Bytes read from the repo and not yet taken by the peers they are served to, all streams,
     * connections and protocols together; requests beyond it wait. @default 67_108_864 (64 MiB)
     */
    maxBufferedBytes: number
  }
  market: {
    /** Most listings the index keeps, all publishers together. @default 500_000 */
    maxListings: number
    /** Most envelope bytes the index keeps. @default 2_147_483_648 (2 GiB) */
    maxListingBytes: number
    /** Most listings of publishers without stake or a registered neuron, together. @default 200_000 */
    maxUnstakedListings: number
    /** Most envelope bytes of those publishers. @default 536_870_912 (512 MiB) */
    maxUnstakedBytes: number
    /** Most listings of unstaked publishers that one peer (or the DHT, as one source) may bring. @default 20_000 */
    perPeerListings: number
    /** Most envelope bytes of those. @default 134_217_728 (128 MiB) */
    perPeerBytes: number
    /** Listings of unstaked publishers taken from one peer per second once its burst is spent. @default 500 */
    perPeerRate: number
    /** That peer's burst (an honest catalogue pull runs at full speed within it). @default 20_000 */
    perPeerBurst: number
  }
  metrics: {
    /**
     * `host:port` of a second listener that serves only `/debug/metrics/prometheus`, without the
     * API token, for a scraper on the same host; '' for none. Policy: loopback hosts only.
     * @default ''
     */
    listen: string
  }
  gateway: {
    /** Serve only content already in the repo; the gateway never fetches from the network. @default false */
    localOnly: boolean
    /** Bytes one gateway request may fetch from the network before it fails. @default 1_073_741_824 (1 GiB) */
    maxFetchBytes: number
  }
}

/** The address scopes of `swarm.network`. */
export const NETWORK_SCOPES = ['public', 'lan'] as const

/** Which addresses a peer dials and announces (see `swarm.network`). */
export type NetworkScope = typeof NETWORK_SCOPES[number]

/** The default config (a fresh object each call). */
export function defaultConfig (): AgoraConfig {
  return {
    version: 1,
    addresses: {
      listen: ['/ip4/0.0.0.0/tcp/4001'],
      announce: [],
      api: '127.0.0.1:5001',
      gateway: '127.0.0.1:8080'
    },
    bootstrap: [],
    swarm: { inboundConnectionThreshold: 5, maxConnections: 300, network: 'public' },
    reprovide: { intervalMs: 12 * 60 * 60 * 1000 },
    import: { profile: DEFAULT_PROFILE },
    fetch: { timeoutMs: 60_000, maxLinksPerBlock: 16_384, maxBlocks: 4_194_304 },
    serve: { maxBufferedBytes: 64 * 1024 * 1024 },
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
    metrics: { listen: '' },
    gateway: { localOnly: false, maxFetchBytes: 1024 * 1024 * 1024 }
  }
}

/** A partial config as written by hand or passed to `agora init`. */
export interface ConfigOverrides {
  addresses?: Partial<AgoraConfig['addresses']>
  bootstrap?: string[]
  swarm?: Partial<AgoraConfig['swarm']>
  reprovide?: Partial<AgoraConfig['reprovide']>
  import?: Partial<AgoraConfig['import']>
  fetch?: Partial<AgoraConfig['fetch']>
  serve?: Partial<AgoraConfig['serve']>
  market?: Partial<AgoraConfig['market']>
  gateway?: Partial<AgoraConfig['gateway']>
  metrics?: Partial<AgoraConfig['metrics']>
}

/** Merge overrides into a config (returns a new object). */
export function mergeConfig (base: AgoraConfig, o: ConfigOverrides): AgoraConfig {
  return {
    version: 1,
    addresses: { ...base.addresses, ...o.addresses },
    bootstrap: o.bootstrap ?? base.bootstrap,
    swarm: { ...base.swarm, ...o.swarm },
    reprovide: { ...base.reprovide, ...o.reprovide },
    import: { ...base.import, ...o.import },
    fetch: { ...base.fetch, ...o.fetch },
    serve: { ...base.serve, ...o.serve },
    market: { ...base.market, ...o.market },
    gateway: { ...base.gateway, ...o.gateway },
    metrics: { ...base.metrics, ...o.metrics }
  }
}

/** Throw `InvalidParametersError` unless `p` is a known profile. */
export function assertProfile (p: unknown): asserts p is ImportProfile {
  if (!IMPORT_PROFILES.includes(p as ImportProfile)) {
    throw new InvalidParametersError(`unknown import profile ${JSON.stringify(p)} (expected one of ${IMPORT_PROFILES.join(', ')})`)
  }
}

/** Split `host:port` (IPv6 as `[::1]:5001`); throws `InvalidParametersError`. */
export function parseHostPort (s: string): { host: string, port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(s)
  const port = m == null ? NaN : Number(m[3])
  if (m == null || port > 65535) throw new InvalidParametersError(`invalid address ${JSON.stringify(s)} (expected host:port)`)
  return { host: m[1] ?? m[2], port }
}

/**
 * The tokenless metrics listener's address, or undefined when there is none. Throws
 * `InvalidParametersError` for anything but '' or a loopback `host:port` (it serves without the token).
 */
export function metricsListen (cfg: AgoraConfig): { host: string, port: number } | undefined {
  const at: unknown = cfg.metrics.listen
  if (typeof at !== 'string') throw new InvalidParametersError('config metrics.listen must be a host:port string, or "" for none')
  if (at === '') return undefined
  const addr = parseHostPort(at)
  if (!['127.0.0.1', '::1', 'localhost'].includes(addr.host)) throw new InvalidParametersError(`config metrics.listen ${JSON.stringify(at)} must be a loopback address: it serves metrics without the API token`)
  return addr
}

/** Validate a parsed `config.json` (unknown input) and fill defaults for missing sections. */
export function validateConfig (raw: unknown): AgoraConfig {
  if (raw == null || typeof raw !== 'object') throw new InvalidParametersError('config is not a JSON object')
  const r = raw as Record<string, unknown>
  if (r.version !== 1) throw new InvalidParametersError(`unsupported config version ${JSON.stringify(r.version)}`)
  const cfg = mergeConfig(defaultConfig(), r as ConfigOverrides)
  const strings = (v: unknown, what: string): void => {
    if (!Array.isArray(v) || v.some(x => typeof x !== 'string')) throw new InvalidParametersError(`config ${what} must be an array of strings`)
  }
  strings(cfg.addresses.listen, 'addresses.listen')
  strings(cfg.addresses.announce, 'addresses.announce')
  strings(cfg.bootstrap, 'bootstrap')
  parseHostPort(cfg.addresses.api)
  parseHostPort(cfg.addresses.gateway)
  metricsListen(cfg)
  assertProfile(cfg.import.profile)
  if (!NETWORK_SCOPES.includes(cfg.swarm.network)) {
    throw new InvalidParametersError(`config swarm.network must be one of ${NETWORK_SCOPES.join(', ')}`)
  }
  if (typeof cfg.gateway.localOnly !== 'boolean') throw new InvalidParametersError('config gateway.localOnly must be true or false')
  const positive: Array<[string, unknown]> = [
    ['reprovide.intervalMs', cfg.reprovide.intervalMs], ['fetch.timeoutMs', cfg.fetch.timeoutMs],
    ['fetch.maxLinksPerBlock', cfg.fetch.maxLinksPerBlock], ['fetch.maxBlocks', cfg.fetch.maxBlocks],
    ['serve.maxBufferedBytes', cfg.serve.maxBufferedBytes], ['gateway.maxFetchBytes', cfg.gateway.maxFetchBytes],
    ['swarm.inboundConnectionThreshold', cfg.swarm.inboundConnectionThreshold], ['swarm.maxConnections', cfg.swarm.maxConnections]
  ]
  for (const [k, v] of Object.entries(cfg.market)) positive.push([`market.${k}`, v])
  for (const [k, v] of positive) {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0) throw new InvalidParametersError(`config ${k} must be a positive integer`)
  }
  return cfg
}
