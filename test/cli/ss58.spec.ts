/**
 * SS58 addresses (src/ss58.ts) against two addresses every Substrate user knows (prefix 42): the
 * all-zero account, and Alice's public key d43593c7…a27d of the Substrate dev accounts. And
 * `agora id` shows a peer's hotkey as that address of its ed25519 public key.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { main } from '../../src/cli/main.ts'
import { fromAddress } from '../../src/ledger/index.ts'
import { ss58Encode } from '../../src/ss58.ts'
import { initRepo } from '../../src/store/index.ts'
import type { CliIo } from '../../src/cli/io.ts'

const dirs: string[] = []
afterEach(async () => { await Promise.all(dirs.splice(0).map(async d => rm(d, { recursive: true, force: true }))) })

describe('ss58', () => {
  it('default: the well-known prefix-42 addresses', () => {
    expect(ss58Encode(new Uint8Array(32))).toBe('5C4hrfjw9DjXZTzV3MwzrrAr9P1MJhSrvWGWqi1eSuyUpnhM')
    expect(ss58Encode(Buffer.from('d43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d', 'hex'))).toBe('5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY')
    expect(() => ss58Encode(new Uint8Array(31))).toThrow(RangeError)
  })

  it('behavior: agora id shows the hotkey address of the peer key, offline and before any chain exists', async () => {
    const repo = join(await mkdtemp(join(tmpdir(), 'agora-ss58-')), 'repo')
    dirs.push(repo)
    await initRepo(repo)
    let out = ''
    const io: CliIo = { stdout: { write: (c) => { out += String(c) } }, stderr: { write: () => true }, env: {}, cwd: '/' }
    expect(await main(['id', '--json', '--repo', repo], io)).toBe(0)
    const r = JSON.parse(out) as { publicKey: string, hotkey: string }
    // the ledger's decoder checks prefix and checksum, and gives back the peer's public key
    expect(Buffer.from(fromAddress(r.hotkey)).toString('base64')).toBe(r.publicKey)
    out = ''
    expect(await main(['id', '--repo', repo], io)).toBe(0)
    expect(out).toContain(`hotkey      ${r.hotkey}`)
  })
})
