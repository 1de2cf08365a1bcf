/**
 * Which services the daemon runs, decided from its flags: the one place where flags become
 * service factories (the domains know nothing of flags). The node creates them in the order
 * returned: the ledger first (when this peer runs a chain), then the market (every daemon; it
 * uses the ledger for purchases), then the incentives (with `--role`; they need the ledger).
 * Each area's code is loaded only when its factory is wanted.
 */
import { readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { privateKeyFromProtobuf } from '@libp2p/crypto/keys'
import { REPO_FILES } from '../store/index.ts'
import { UsageError } from './errors.ts'
import type { CliIo } from './io.ts'
import type { Role } from '../incentives/index.ts'
import type { NodeServiceFactory } from '../service.ts'

/** The daemon flags the services read. */
export interface DaemonFlags {
  /** Repo directory. */
  repo: string
  /** `--dev`: a single-peer development chain with this peer as authority. */
  dev: boolean
  /** `--genesis <file>`: join the chain this genesis file describes. */
  genesis?: string
  /** `--role miner|validator` (repeatable). */
  roles: string[]
  /** `--netuid <n>`: the subnet the roles act on. */
  netuid?: number
  /** `--block-time <ms>` with `--dev`: the dev chain's block time when it is created. */
  blockTimeMs?: number
  io: CliIo
}

/** Dev chains: block time in ms (e.g. 1000 for scripts and tests). */
export const DEV_BLOCK_ENV = 'AGORA_DEV_BLOCK_MS'
/** Dev chains: tempo of new subnets, in blocks. */
export const DEV_TEMPO_ENV = 'AGORA_DEV_TEMPO'
/** Dev chains: the dispute window of market purchases, in blocks. */
export const DEV_DISPUTE_WINDOW_ENV = 'AGORA_DEV_DISPUTE_WINDOW'

function envInt (flags: DaemonFlags, name: string, min: number): number | undefined {
  const s = flags.io.env[name]
  if (s == null || s === '') return undefined
  const n = Number(s)
  if (!Number.isSafeInteger(n) || n < min) throw new UsageError(`${name} must be an integer >= ${min}, got ${s}`)
  return n
}

/**
 * The ledger for these flags: `--dev` / `--genesis` / the repo's own genesis decide whether this
 * peer runs a chain and whether it is the authority. No genesis anywhere and no `--dev`: a
 * content-only peer (undefined).
 */
export async function ledgerFromFlags (flags: DaemonFlags): Promise<NodeServiceFactory | undefined> {
  const { chainForRepo, devAccount, DEV_SEED_PHRASE, hotkeyAddress, ledgerService } = await import('../ledger/index.ts')
  const key = privateKeyFromProtobuf(await readFile(join(flags.repo, REPO_FILES.identity)))
  const hotkey = hotkeyAddress(key)
  const chain = await chainForRepo({
    repo: flags.repo,
    hotkey,
    dev: flags.dev,
    genesisFile: flags.genesis == null ? undefined : resolve(flags.io.cwd, flags.genesis),
    // Policy: a dev chain is quick to follow: 1 s blocks and tempo 20 unless told otherwise
    devBlockTimeMs: flags.blockTimeMs ?? envInt(flags, DEV_BLOCK_ENV, 10) ?? 1000,
    devTempo: envInt(flags, DEV_TEMPO_ENV, 1) ?? 20,
    devDisputeWindow: envInt(flags, DEV_DISPUTE_WINDOW_ENV, 1)
  })
  if (chain == null) return undefined
  const err = flags.io.stderr
  if (chain.created && flags.dev && chain.authority) {
    err.write(`dev chain ${chain.genesis.chainId}: this peer (hotkey ${hotkey}) is the authority\n`)
    err.write(`dev account ${devAccount().address} holds the funds (INSECURE, public seed "${DEV_SEED_PHRASE}"; import it with: agora wallet create --dev)\n`)
  }
  err.write(`chain ${chain.genesis.chainId}: ${chain.authority ? 'authority (produces blocks)' : 'follower'}, hotkey ${hotkey}\n`)
  return ledgerService({ genesis: chain.genesis, authority: chain.authority })
}

/**
 * The incentives for these flags: none without `--role`; otherwise the roles on `--netuid`
 * (default 1, the first user subnet of a dev chain). Roles need a chain (`IncentivesSetupError`).
 */
export async function incentivesFromFlags (flags: DaemonFlags, hasChain: boolean): Promise<NodeServiceFactory | undefined> {
  if (flags.roles.length === 0) return undefined
  const { IncentivesSetupError, incentivesService } = await import('../incentives/index.ts')
  if (!hasChain) throw new IncentivesSetupError('--role needs a chain: run the daemon with --dev or --genesis <file>')
  const roles = [...new Set(flags.roles)].filter((r): r is Role => r === 'miner' || r === 'validator')
  return incentivesService({ roles, netuid: flags.netuid ?? 1 })
}

/** All factories for these flags, in start order. */
export async function daemonServices (flags: DaemonFlags): Promise<NodeServiceFactory[]> {
  const ledger = await ledgerFromFlags(flags)
  const { marketService } = await import('../market/index.ts')
  const incentives = await incentivesFromFlags(flags, ledger != null)
  return [ledger, marketService(), incentives].filter(f => f != null)
}
