import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { afterEach, describe, expect, it } from 'vitest'
import { decodeEd25519Identity, LOCAL_ID_FILES, localId, localRepoPath } from '../../src/cli/local-id.ts'
import { main } from '../../src/cli/main.ts'
import { initRepo, REPO_FILES, resolveRepoPath } from '../../src/store/index.ts'
import type { CommandContext } from '../../src/cli/command.ts'
import type { CliIo } from '../../src/cli/io.ts'

// The quick offline `agora id` decodes the identity file itself; the independent tool it is
// checked against is @libp2p/crypto + @libp2p/peer-id, what the node uses.
const dirs: string[] = []
afterEach(async () => { await Promise.all(dirs.splice(0).map(async d => rm(d, { recursive: true, force: true }))) })
async function tmp (): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'agora-local-id-'))
  dirs.push(d)
  return d
}

function ctx (args: Record<string, string>, env: Record<string, string> = {}, cwd = '/'): CommandContext {
  const io: CliIo = { stdout: { write: () => true }, stderr: { write: () => true }, env, cwd }
  return { args, positionals: [], io, path: ['id'] }
}

describe('local id', () => {
  it('decodes Ed25519 identities exactly as @libp2p/crypto + @libp2p/peer-id do', async () => {
    for (let i = 0; i < 20; i++) {
      const bytes = privateKeyToProtobuf(await generateKeyPair('Ed25519'))
      const key = privateKeyFromProtobuf(bytes)
      expect(decodeEd25519Identity(bytes)).toEqual({
        peerId: peerIdFromPrivateKey(key).toString(),
        publicKey: Buffer.from(key.publicKey.raw).toString('base64')
      })
    }
  })

  it('leaves other key types and layouts to the full path (undefined)', async () => {
    expect(decodeEd25519Identity(privateKeyToProtobuf(await generateKeyPair('secp256k1')))).toBeUndefined()
    expect(decodeEd25519Identity(new Uint8Array(68))).toBeUndefined()
    expect(decodeEd25519Identity(new Uint8Array(0))).toBeUndefined()
  })

  it('uses the store\'s file names and repo path rule', () => {
    for (const k of ['config', 'identity', 'datastore', 'api'] as const) expect(LOCAL_ID_FILES[k]).toBe(REPO_FILES[k])
    for (const [args, env] of [[{ repo: 'r' }, {}], [{}, { AGORA_REPO: 'x/y' }], [{}, {}], [{ repo: '/abs' }, { AGORA_REPO: 'e' }]] as Array<[Record<string, string>, Record<string, string>]>) {
      expect(localRepoPath(ctx(args, env, '/w'))).toBe(resolveRepoPath(args.repo, env, '/w'))
    }
  })

  it('answers from an initialised repo, and not when a daemon may run or there is no repo', async () => {
    const repo = join(await tmp(), 'repo')
    expect(await localId(ctx({ repo }))).toBeUndefined()
    await initRepo(repo)
    const r = await localId(ctx({ repo }))
    expect(r?.online).toBe(false)
    let out = ''
    const io: CliIo = { stdout: { write: (c) => { out += String(c) } }, stderr: { write: () => true }, env: {}, cwd: '/' }
    expect(await main(['id', '--json', '--repo', repo], io)).toBe(0)
    // the same answer, with the hotkey address of the key (test/cli/ss58.spec.ts)
    expect(JSON.parse(out)).toEqual({ ...r, hotkey: expect.stringMatching(/^5\w{47}$/) })
    await writeFile(join(repo, REPO_FILES.api), '{}')
    expect(await localId(ctx({ repo }))).toBeUndefined()
  })
})
