/**
 * The daemon's ledger builder: decides from `--dev` / `--genesis` / the repo's own genesis
 * whether this peer runs a chain and whether it is the authority. No genesis anywhere and no
 * `--dev`: a content-only peer (no ledger service).
 */
import { readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { privateKeyFromProtobuf } from '@libp2p/crypto/keys'
import { chainForRepo, devAccount, DEV_SEED_PHRASE, hotkeyAddress, ledgerService } from '../ledger/index.ts'
import { REPO_FILES } from '../store/index.ts'
import { UsageError } from './errors.ts'
import type { DaemonFlags } from './daemon-services.ts'
import type { NodeServiceFactory } from '../service.ts'

/** Dev chains: block time in ms (e.g. 1000 for scripts and tests). */
export const DEV_BLOCK_ENV = 'AGORA_DEV_BLOCK_MS'
/** Dev chains: tempo of new subnets, in blocks. */
export const DEV_TEMPO_ENV = 'AGORA_DEV_TEMPO'

function envInt (flags: DaemonFlags, name: string, min: number): number | undefined {
  const s = flags.io.env[name]
  if (s == null || s === '') return undefined
  const n = Number(s)
  if (!Number.isSafeInteger(n) || n < min) throw new UsageError(`${name} must be an integer >= ${min}, got ${s}`)
  return n
}

/** The ledger factories for these daemon flags ([] for a content-only peer). */
export async function ledgerDaemonServices (flags: DaemonFlags): Promise<NodeServiceFactory[]> {
  const key = privateKeyFromProtobuf(await readFile(join(flags.repo, REPO_FILES.identity)))
  const hotkey = hotkeyAddress(key)
  const chain = await chainForRepo({
    repo: flags.repo,
    hotkey,
    dev: flags.dev,
    genesisFile: flags.genesis == null ? undefined : resolve(flags.io.cwd, flags.genesis),
    devBlockTimeMs: envInt(flags, DEV_BLOCK_ENV, 10),
    devTempo: envInt(flags, DEV_TEMPO_ENV, 1)
  })
  if (chain == null) return []
  const err = flags.io.stderr
  if (chain.created && flags.dev && chain.authority) {
    err.write(`dev chain ${chain.genesis.chainId}: this peer (hotkey ${hotkey}) is the authority\n`)
    err.write(`dev account ${devAccount().address} holds the funds (INSECURE, public seed "${DEV_SEED_PHRASE}"; import it with: agora wallet create --dev)\n`)
  }
  err.write(`chain ${chain.genesis.chainId}: ${chain.authority ? 'authority (produces blocks)' : 'follower'}, hotkey ${hotkey}\n`)
  return [ledgerService({ genesis: chain.genesis, authority: chain.authority })]
}
