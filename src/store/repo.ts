/**
 * The repo: a directory holding `config.json`, the peer's ed25519 identity, the API token, a
 * blockstore (one file per block, `blockstore-fs`) and a datastore (LevelDB, `datastore-level`).
 */
import { randomBytes } from 'node:crypto'
import { chmod, mkdir, readFile, stat } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import type { FsBlockstore } from 'blockstore-fs'
import { LevelDatastore } from 'datastore-level'
import { Key } from 'interface-datastore'
import { defaultConfig, mergeConfig, validateConfig } from '../config.ts'
import { writeFileAtomic } from './atomic.ts'
import { IdentityFsBlockstore } from './identity.ts'
import { RepoLockedError, RepoNotInitializedError, RepoVersionError } from './errors.ts'
import type { AgoraConfig, ConfigOverrides } from '../config.ts'
import type { PrivateKey } from '@libp2p/interface'

/** The repo format this program reads and writes (datastore key `/version`). */
export const REPO_VERSION = 1

const VERSION_KEY = new Key('/version')

/** File names inside the repo directory. */
export const REPO_FILES = {
  config: 'config.json',
  identity: 'identity.key',
  token: 'api.token',
  blocks: 'blocks',
  datastore: 'datastore',
  /** Written by a running daemon: where its API and gateway listen. */
  api: 'api.json'
} as const

/** An open repo. */
export interface Repo {
  path: string
  config: AgoraConfig
  privateKey: PrivateKey
  apiToken: string
  blockstore: FsBlockstore
  datastore: LevelDatastore
  /** Close the stores. */
  close: () => Promise<void>
}

/** The repo path: `--repo`, else `$AGORA_REPO`, else `~/.agora`. */
export function resolveRepoPath (flag?: string, env: Record<string, string | undefined> = process.env, cwd = process.cwd()): string {
  if (flag != null && flag !== '') return resolve(cwd, flag)
  if (env.AGORA_REPO != null && env.AGORA_REPO !== '') return resolve(cwd, env.AGORA_REPO)
  return join(homedir(), '.agora')
}

async function exists (p: string): Promise<boolean> {
  try { await stat(p); return true } catch { return false }
}

/** `chmod` that skips a path that does not exist (yet). */
async function chmodIfExists (p: string, mode: number): Promise<void> {
  try {
    await chmod(p, mode)
  } catch (err) {
    if ((err as { code?: string }).code !== 'ENOENT') throw err
  }
}

/**
 * Policy: the repo holds the identity, the API token and every block and record; only the owner
 * may list or enter it. The directory and its sub-directories are set to 0700 and the key and
 * token to 0600 on every init and open, so a repo created by an older version, by hand or under
 * a loose umask (0755) is tightened too, not only a new one. The blockstore's shard directories
 * sit inside `blocks/` (0700), so no one else can reach them whatever their own mode.
 */
async function restrictRepo (path: string): Promise<void> {
  await chmod(path, 0o700)
  for (const dir of [REPO_FILES.blocks, REPO_FILES.datastore]) await chmodIfExists(join(path, dir), 0o700)
  for (const file of [REPO_FILES.identity, REPO_FILES.token]) await chmodIfExists(join(path, file), 0o600)
}

/** Whether `path` holds a complete repo (config written and datastore versioned). */
export async function isRepoInitialized (path: string): Promise<boolean> {
  return await exists(join(path, REPO_FILES.config)) && await exists(join(path, REPO_FILES.datastore))
}

/** Options for {@link initRepo}. */
export interface InitRepoOptions {
  /** Config values that differ from the defaults. */
  config?: ConfigOverrides
}

/**
 * Create a repo at `path`, or complete one whose creation was interrupted. Existing files are
 * kept (an existing identity is never replaced). Returns whether anything was created.
 */
export async function initRepo (path: string, options: InitRepoOptions = {}): Promise<{ created: boolean }> {
  await mkdir(path, { recursive: true, mode: 0o700 })
  await restrictRepo(path)
  let created = false
  const identity = join(path, REPO_FILES.identity)
  if (!await exists(identity)) {
    const key = await generateKeyPair('Ed25519')
    // Policy: the identity signs for this peer; only the owner may read it.
    await writeFileAtomic(identity, privateKeyToProtobuf(key), 0o600)
    created = true
  }
  const token = join(path, REPO_FILES.token)
  if (!await exists(token)) {
    // Policy: the API token grants full control of the daemon; 256 random bits, owner-only.
    await writeFileAtomic(token, randomBytes(32).toString('base64url') + '\n', 0o600)
    created = true
  }
  await mkdir(join(path, REPO_FILES.blocks), { recursive: true, mode: 0o700 })
  const ds = new LevelDatastore(join(path, REPO_FILES.datastore))
  await openDatastore(ds, path)
  try {
    if (!await ds.has(VERSION_KEY)) {
      await ds.put(VERSION_KEY, new TextEncoder().encode(String(REPO_VERSION)))
      created = true
    }
  } finally {
    await ds.close()
  }
  await restrictRepo(path) // datastore/ is created by LevelDB with the process's default mode
  // config.json last: its presence marks a complete repo.
  const config = join(path, REPO_FILES.config)
  if (!await exists(config)) {
    const cfg = mergeConfig(defaultConfig(), options.config ?? {})
    await writeFileAtomic(config, JSON.stringify(validateConfig(cfg), null, 2) + '\n')
    created = true
  }
  return { created }
}

async function openDatastore (ds: LevelDatastore, path: string): Promise<void> {
  try {
    // Open the underlying level first: datastore-level's own open() drops the error's cause.
    await ds.db.open({ createIfMissing: true, compression: false })
    await ds.open()
  } catch (err) {
    const cause = (err as Error).cause as { code?: string } | undefined
    if (cause?.code === 'LEVEL_LOCKED') {
      throw new RepoLockedError(`repo ${path} is in use by another process (is a daemon running?)`, { cause: err })
    }
    throw err
  }
}

/** Read and validate `config.json`. */
export async function readConfig (path: string): Promise<AgoraConfig> {
  let text: string
  try {
    text = await readFile(join(path, REPO_FILES.config), 'utf8')
  } catch (err) {
    throw new RepoNotInitializedError(`no repo at ${path} (run: agora init)`, { cause: err })
  }
  return validateConfig(JSON.parse(text))
}

/** Read the API token (the CLI uses it to talk to the daemon). */
export async function readApiToken (path: string): Promise<string> {
  return (await readFile(join(path, REPO_FILES.token), 'utf8')).trim()
}

/** Open an initialised repo. Throws `RepoNotInitializedError`, `RepoVersionError`, `RepoLockedError`. */
export async function openRepo (path: string): Promise<Repo> {
  const config = await readConfig(path)
  await restrictRepo(path)
  const privateKey = privateKeyFromProtobuf(await readFile(join(path, REPO_FILES.identity)))
  const apiToken = await readApiToken(path)
  const datastore = new LevelDatastore(join(path, REPO_FILES.datastore))
  await openDatastore(datastore, path)
  try {
    const v = await datastore.has(VERSION_KEY) ? new TextDecoder().decode(await datastore.get(VERSION_KEY)) : undefined
    if (v !== String(REPO_VERSION)) {
      throw new RepoVersionError(`repo ${path} has version ${v ?? '(none)'}, this program needs ${REPO_VERSION}`)
    }
  } catch (err) {
    await datastore.close()
    throw err
  }
  const blockstore = new IdentityFsBlockstore(join(path, REPO_FILES.blocks))
  await blockstore.open()
  return {
    path,
    config,
    privateKey,
    apiToken,
    blockstore,
    datastore,
    close: async () => {
      await blockstore.close()
      await datastore.close()
    }
  }
}
