/**
 * Which chain a repo runs: the genesis kept in `<repo>/genesis.json`, written on the first run
 * from `--genesis <file>` (copied after checking) or `--dev` (a dev chain with this peer as
 * authority), and reused on later runs. A repo belongs to one chain for life.
 */
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { writeFileAtomic } from '../store/index.ts'
import { toAddress } from './address.ts'
import { GenesisMismatchError, MalformedError } from './errors.ts'
import { devGenesis, genesisHash, genesisToJson, parseGenesis } from './genesis.ts'
import { generateKeyPair } from './keys.ts'
import type { Genesis, GenesisJson } from './genesis.ts'
import type { KeyPair } from './keys.ts'

/** The genesis file inside a repo. */
export const GENESIS_FILE = 'genesis.json'

/**
 * The well-known development coldkey (like Substrate's Alice): its seed is sha256 of this
 * published phrase, so anyone can import it. Policy: INSECURE by design, for dev chains only;
 * never fund it on a chain that matters.
 */
export const DEV_SEED_PHRASE = 'agora insecure development account //Alice'

/** The dev coldkey's key pair and address. */
export function devAccount (): KeyPair & { address: string } {
  const kp = generateKeyPair(new Uint8Array(createHash('sha256').update(DEV_SEED_PHRASE).digest()))
  return { ...kp, address: toAddress(kp.publicKey) }
}

/** What `chainForRepo` decides from. */
export interface ChainChoice {
  repo: string
  /** This peer's hotkey address. */
  hotkey: string
  /** `--dev`. */
  dev?: boolean
  /** `--genesis <file>` (absolute or relative to the process cwd). */
  genesisFile?: string
  /** Dev chains only: block time, ms. @default 12000 */
  devBlockTimeMs?: number
  /** Dev chains only: tempo of new subnets. @default the chain default */
  devTempo?: number
  /** Dev chains only: the dispute window of purchases, in blocks. @default the chain default */
  devDisputeWindow?: number
}

/** The chain a repo runs, and whether this peer is its authority. */
export interface RepoChain { genesis: Genesis, authority: boolean, created: boolean }

async function readJson (path: string): Promise<GenesisJson | undefined> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
  // Policy: check the size before parsing; a genesis is a few KiB.
  if (text.length > 1024 * 1024) throw new MalformedError(`${path} is larger than 1 MiB`)
  try {
    return JSON.parse(text) as GenesisJson
  } catch (err) {
    throw new MalformedError(`${path} is not JSON`, { cause: err })
  }
}

/**
 * Resolve the repo's chain: the given genesis file (which must match the repo's if it has one),
 * else the repo's own, else a new dev genesis with `dev`; undefined when there is none (a
 * content-only peer).
 */
export async function chainForRepo (c: ChainChoice): Promise<RepoChain | undefined> {
  const path = join(c.repo, GENESIS_FILE)
  const stored = await readJson(path)
  const storedGenesis = stored == null ? undefined : parseGenesis(stored)
  let genesis = storedGenesis
  let created = false
  if (c.genesisFile != null) {
    const given = await readJson(c.genesisFile)
    if (given == null) throw new MalformedError(`no genesis file at ${c.genesisFile}`)
    const g = parseGenesis(given)
    if (storedGenesis != null && genesisHash(storedGenesis) !== genesisHash(g)) {
      throw new GenesisMismatchError(`${c.repo} already belongs to chain ${storedGenesis.chainId} (genesis ${genesisHash(storedGenesis).slice(0, 16)}); use a new repo for chain ${g.chainId}`)
    }
    genesis = g
  } else if (genesis == null && c.dev === true) {
    const params: Record<string, unknown> = {}
    // Policy (dev chains): a registration counts as a weight set, so the chain's 100-block weights
    // rate limit would hold `weights set` back for minutes after `subnet register`
    if (c.devTempo != null) params.newSubnet = { tempo: c.devTempo, weightsSetRateLimit: 1 }
    if (c.devDisputeWindow != null) params.disputeWindow = c.devDisputeWindow
    const json = devGenesis(c.hotkey, devAccount().address, c.devBlockTimeMs ?? 12_000)
    genesis = parseGenesis({ ...json, params: { ...json.params, ...params } })
  }
  if (genesis == null) return undefined
  if (storedGenesis == null) {
    await writeFileAtomic(path, JSON.stringify(genesisToJson(genesis), null, 2) + '\n')
    created = true
  }
  return { genesis, authority: genesis.authority === c.hotkey, created }
}
