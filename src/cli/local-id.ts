/**
 * `agora id` without a daemon, in the time of a bare `node` start: the peer id and public key
 * are read from the repo's identity file, without loading the store, LevelDB or libp2p (those
 * cost about a second, for two values that are a fixed-layout decode away).
 *
 * Only the one layout this program writes is decoded: a libp2p `PrivateKey` protobuf holding
 * an Ed25519 key as 64 bytes, seed then public key (what `@libp2p/crypto`'s
 * `privateKeyToProtobuf` writes for `generateKeyPair('Ed25519')`). Anything else (a daemon's
 * `api.json`, a repo that is not initialised, another key type or length) returns `undefined`
 * and the caller takes the full path (`withClient`), which gives the same answer or the same
 * error as before. The public key is taken from the file as `@libp2p/crypto` takes it (it does
 * not re-derive it from the seed either). test/cli/local-id.spec.ts checks the result against
 * `@libp2p/crypto` + `@libp2p/peer-id` and these file names against the store's `REPO_FILES`.
 */
import { readFile, stat } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import { base58btc } from 'multiformats/bases/base58'
import { str } from './command.ts'
import type { CommandContext } from './command.ts'

/** The repo files this reads; the same names as the store's `REPO_FILES` (checked by a test). */
export const LOCAL_ID_FILES = { config: 'config.json', identity: 'identity.key', datastore: 'datastore', api: 'api.json' } as const

/** `agora id`'s offline answer. */
export interface LocalId { peerId: string, publicKey: string, addresses: string[], online: false }

/** The repo directory, as the store's `resolveRepoPath` finds it: `--repo`, `$AGORA_REPO`, `~/.agora`. */
export function localRepoPath (ctx: CommandContext): string {
  const flag = str(ctx, 'repo')
  if (flag != null && flag !== '') return resolve(ctx.io.cwd, flag)
  const env = ctx.io.env.AGORA_REPO
  if (env != null && env !== '') return resolve(ctx.io.cwd, env)
  return join(homedir(), '.agora')
}

/** protobuf `PrivateKey { Type = 1 (Ed25519); Data = 64 bytes }`: field 1 varint 1, field 2 length 64. */
const ED25519_PRIVATE_PREFIX = Uint8Array.of(0x08, 0x01, 0x12, 0x40)
/** identity multihash (0x00, length 36) of protobuf `PublicKey { Type = 1 (Ed25519); Data = 32 bytes }`. */
const ED25519_PEER_ID_PREFIX = Uint8Array.of(0x00, 0x24, 0x08, 0x01, 0x12, 0x20)

/** The peer id and public key of an Ed25519 identity file's bytes; undefined for any other layout. */
export function decodeEd25519Identity (bytes: Uint8Array): { peerId: string, publicKey: string } | undefined {
  if (bytes.length !== ED25519_PRIVATE_PREFIX.length + 64) return undefined
  if (!ED25519_PRIVATE_PREFIX.every((b, i) => bytes[i] === b)) return undefined
  const pub = bytes.subarray(ED25519_PRIVATE_PREFIX.length + 32)
  const multihash = new Uint8Array(ED25519_PEER_ID_PREFIX.length + 32)
  multihash.set(ED25519_PEER_ID_PREFIX)
  multihash.set(pub, ED25519_PEER_ID_PREFIX.length)
  // A peer id is the base58btc of its multihash, without a multibase prefix.
  return { peerId: base58btc.baseEncode(multihash), publicKey: Buffer.from(pub).toString('base64') }
}

async function exists (p: string): Promise<boolean> {
  try { await stat(p); return true } catch { return false }
}

/** The offline `agora id` answer when it can be read directly; undefined to take the full path. */
export async function localId (ctx: CommandContext): Promise<LocalId | undefined> {
  const repo = localRepoPath(ctx)
  if (await exists(join(repo, LOCAL_ID_FILES.api))) return undefined
  if (!await exists(join(repo, LOCAL_ID_FILES.config)) || !await exists(join(repo, LOCAL_ID_FILES.datastore))) return undefined
  let bytes: Uint8Array
  try {
    bytes = await readFile(join(repo, LOCAL_ID_FILES.identity))
  } catch {
    return undefined
  }
  const id = decodeEd25519Identity(bytes)
  return id == null ? undefined : { ...id, addresses: [], online: false }
}
