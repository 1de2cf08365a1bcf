/**
 * The genesis file: chain id, the authority that signs blocks, initial balances and parameter
 * overrides. JSON, with rao amounts as decimal strings. Its hash binds a datastore to one chain.
 */
import { createHash } from 'node:crypto'
import { isAddress } from './address.ts'
import { encodeValue } from './codec.ts'
import { MalformedError } from './errors.ts'
import { blockEmission } from './math.ts'
import { DEFAULT_CHAIN_PARAMS, DEFAULT_SUBNET_PARAMS } from './params.ts'
import { newSubnet } from './tx/subnets.ts'
import type { Value } from './codec.ts'
import type { ChainParams, SubnetParams } from './params.ts'
import type { Globals } from './records.ts'

/** A parsed genesis. */
export interface Genesis {
  chainId: string
  /** Address of the only block producer. */
  authority: string
  /** Unix ms, informational. */
  timestamp: number
  balances: Array<[string, bigint]>
  params: ChainParams
}

/** The genesis file as JSON (amounts as strings). */
export interface GenesisJson {
  chainId: string
  authority: string
  timestamp?: number
  balances?: Record<string, string>
  params?: Record<string, unknown>
}

const BIG_CHAIN = new Set(['networkMinLockCost', 'stakeThreshold', 'initialBurn'])
const BIG_SUBNET = new Set(['adjustmentAlpha', 'minBurn', 'maxBurn'])

function merge<T extends Record<string, unknown>> (base: T, over: Record<string, unknown> | undefined, big: Set<string>, where: string): T {
  const out: Record<string, unknown> = { ...base }
  for (const [k, v] of Object.entries(over ?? {})) {
    if (!(k in base) || k === 'newSubnet') continue
    if (big.has(k)) {
      if (typeof v !== 'string' && typeof v !== 'number') throw new MalformedError(`${where}.${k} must be a rao amount`)
      out[k] = BigInt(v)
    } else if (typeof v !== typeof base[k]) {
      throw new MalformedError(`${where}.${k} must be a ${typeof base[k]}`)
    } else {
      out[k] = v
    }
  }
  return out as T
}

/** Read and check a genesis JSON document. */
export function parseGenesis (json: GenesisJson): Genesis {
  if (json == null || typeof json.chainId !== 'string' || json.chainId.length === 0 || json.chainId.length > 64) throw new MalformedError('genesis needs a chainId (1..64 chars)')
  if (typeof json.authority !== 'string' || !isAddress(json.authority)) throw new MalformedError('genesis needs an authority address')
  const balances: Array<[string, bigint]> = []
  for (const [a, v] of Object.entries(json.balances ?? {})) {
    if (!isAddress(a)) throw new MalformedError(`genesis balance for a bad address ${a}`)
    if (!/^\d+$/.test(String(v))) throw new MalformedError(`genesis balance of ${a} must be a decimal rao string`)
    balances.push([a, BigInt(v)])
  }
  balances.sort((x, y) => x[0] < y[0] ? -1 : 1)
  const params = merge(DEFAULT_CHAIN_PARAMS, json.params, BIG_CHAIN, 'params')
  const sub = json.params?.newSubnet as Record<string, unknown> | undefined
  params.newSubnet = merge<SubnetParams>(DEFAULT_SUBNET_PARAMS, sub, BIG_SUBNET, 'params.newSubnet')
  if (params.emissionSplit !== 'root' && params.emissionSplit !== 'even') throw new MalformedError('params.emissionSplit must be root or even')
  return { chainId: json.chainId, authority: json.authority, timestamp: json.timestamp ?? 0, balances, params }
}

/** The genesis as JSON again (for `agora chain genesis`). */
export function genesisToJson (g: Genesis): GenesisJson {
  const str = (x: Record<string, unknown>): Record<string, unknown> =>
    Object.fromEntries(Object.entries(x).map(([k, v]) => [k, typeof v === 'bigint' ? v.toString() : v]))
  return {
    chainId: g.chainId,
    authority: g.authority,
    timestamp: g.timestamp,
    balances: Object.fromEntries(g.balances.map(([a, b]) => [a, b.toString()])),
    params: { ...str(g.params), newSubnet: str(g.params.newSubnet) }
  }
}

/** The genesis hash (hex): sha256 of the canonical encoding. */
export function genesisHash (g: Genesis): string {
  const v = { chainId: g.chainId, authority: g.authority, timestamp: g.timestamp, balances: g.balances, params: g.params } as unknown as Value
  return createHash('sha256').update('agora-genesis\u0000').update(encodeValue(v)).digest('hex')
}

/** The initial state entries: globals, funded accounts, the root network (netuid 0). */
export function genesisEntries (g: Genesis): Array<[string, Value]> {
  const p = g.params
  const issuance = g.balances.reduce((s, [, b]) => s + b, 0n)
  const globals: Globals = { issuance, blockEmission: blockEmission(issuance), netuids: [0], networkLastLockCost: p.networkMinLockCost, networkLastRegistered: 0 }
  const rootParams: SubnetParams = { ...p.newSubnet, tempo: p.rootTempo, maxAllowedUids: p.rootMaxUids, maxAllowedValidators: p.rootMaxUids, kappa: p.rootKappa, registrationAllowed: false }
  const out: Array<[string, Value]> = [['g', globals as unknown as Value]]
  for (const [a, b] of g.balances) if (b > 0n) out.push([`a/${a}`, { balance: b, nonce: 0 }])
  out.push(['n/0', newSubnet(0, null, 0n, 0, rootParams, 0n) as unknown as Value])
  return out
}

/** What `makeGenesis` needs. */
export interface MakeGenesisOptions {
  chainId: string
  /** Address of the block producer. */
  authority: string
  /** Funded addresses, rao. */
  balances?: Record<string, bigint>
  /** Unix ms. @default 0 */
  timestamp?: number
  /** Parameter overrides (as in the genesis file). */
  params?: Record<string, unknown>
}

/** Build a checked genesis document (for `agora chain genesis` and dev chains). */
export function makeGenesis (o: MakeGenesisOptions): GenesisJson {
  const json: GenesisJson = {
    chainId: o.chainId,
    authority: o.authority,
    timestamp: o.timestamp ?? 0,
    balances: Object.fromEntries(Object.entries(o.balances ?? {}).map(([a, b]) => [a, b.toString()])),
    params: o.params ?? {}
  }
  return genesisToJson(parseGenesis(json))
}

/**
 * A single-peer development chain: `authority` produces blocks, `devAccount` holds 1 M TAO,
 * subnets share the emission evenly (no root validators needed), blocks every `blockTimeMs`.
 */
export function devGenesis (authority: string, devAccount: string, blockTimeMs = 12_000): GenesisJson {
  return makeGenesis({
    chainId: 'agora-dev',
    authority,
    balances: { [devAccount]: 1_000_000n * 1_000_000_000n },
    params: { blockTimeMs, emissionSplit: 'even', networkRateLimit: 0, networkMinLockCost: '1000000000' }
  })
}
