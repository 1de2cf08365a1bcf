/**
 * Issue 10, identity-CID amplification: a hostile daemon (its own process) serves one ~1.2 MiB
 * dag-pb block listing 40,000 identity links. A victim daemon fetching it must not turn each
 * link into a file of its blockstore; with the default link limit it refuses the block.
 */
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import * as dagPb from '@ipld/dag-pb'
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js'
import { FsBlockstore } from 'blockstore-fs'
import { UnixFS } from 'ipfs-unixfs'
import { CID } from 'multiformats/cid'
import * as Digest from 'multiformats/hashes/digest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { initRepo } from '../../src/store/index.ts'
import { spawnDaemon, stopAll, tempDir } from '../utils/daemon.ts'
import type { TestDaemon } from '../utils/daemon.ts'

afterAll(stopAll)

const LINKS = 40_000
const RAW = 0x55

/** Every file under a repo's `blocks/` directory (blockstore-fs: one shard level). */
async function blockFiles (repo: string): Promise<number> {
  const root = join(repo, 'blocks')
  let n = 0
  for (const d of await readdir(root)) n += (await readdir(join(root, d))).length
  return n
}

/**
 * The attack: a UnixFS file node whose 40,000 leaves are identity CIDs of 20 bytes each
 * (`leaf-000000…` padded to 20). Returns the node and the file's bytes (the leaves in order).
 */
function hostileFile (): { cid: CID, bytes: Uint8Array, content: Uint8Array } {
  const leaves = Array.from({ length: LINKS }, (_, i) => new TextEncoder().encode(`identity-leaf-${String(i).padStart(6, '0')}`))
  const data = new UnixFS({ type: 'file', blockSizes: leaves.map(l => BigInt(l.byteLength)) }).marshal()
  const links = leaves.map(l => ({ Hash: CID.createV1(RAW, Digest.create(0x00, l)), Tsize: l.byteLength }))
  const bytes = dagPb.encode(dagPb.prepare({ Data: data, Links: links }))
  return { cid: CID.createV1(dagPb.code, Digest.create(0x12, nobleSha256(bytes))), bytes, content: Buffer.concat(leaves) }
}

describe('e2e: hostile fetch', () => {
  const attack = hostileFile()
  let attacker: TestDaemon
  let provider: string

  beforeAll(async () => {
    // 40,000 links of ~30 bytes: over 1 MiB, under the 2 MiB block limit (so the block itself is served)
    expect(attack.bytes.byteLength).toBeGreaterThan(1024 * 1024)
    expect(attack.bytes.byteLength).toBeLessThan(2 * 1024 * 1024)
    const repo = join(await tempDir(), 'attacker')
    await initRepo(repo, { config: { swarm: { network: 'lan' } } })
    // written straight into the repo's block files, as a tampered peer would: nothing checks them
    const bs = new FsBlockstore(join(repo, 'blocks'))
    await bs.open()
    await bs.put(attack.cid, attack.bytes)
    await bs.close()
    attacker = await spawnDaemon({ repo })
    provider = attacker.info.addresses[0]
  }, 120_000)

  it('behavior: with the link limit raised to 50,000, fetching the block of 40,000 identity links adds one file (the block) to the repo, and the file reads back whole', async () => {
    const repo = join(await tempDir(), 'victim')
    await initRepo(repo, { config: { swarm: { network: 'lan' }, fetch: { maxLinksPerBlock: 50_000 } } })
    const victim = await spawnDaemon({ repo })
    try {
      const before = await blockFiles(repo)
      const out = join(repo, '..', 'out.bin')
      const r = await victim.cli(['get', attack.cid.toString(), '-o', out, '--provider', provider, '--timeout', '30s'])
      // the criterion is fewer than 100; the only block with bytes of its own is the root
      const added = await blockFiles(repo) - before
      expect(added).toBeLessThan(100)
      expect(added).toBe(1)
      expect(r.stderr).toBe('')
      expect(r.code).toBe(0)
      // 40,000 leaves of 20 bytes, in link order, as built above
      const got = await readFile(out)
      expect(got.byteLength).toBe(LINKS * 20)
      expect(got.equals(attack.content)).toBe(true)
    } finally {
      await victim.stop()
    }
  }, 120_000)

  it('behavior: with the default link limit (16,384), the fetch of the block of 40,000 links fails naming fetch.maxLinksPerBlock, and nothing is stored', async () => {
    const repo = join(await tempDir(), 'victim-default')
    await initRepo(repo, { config: { swarm: { network: 'lan' } } })
    const victim = await spawnDaemon({ repo })
    try {
      const before = await blockFiles(repo)
      const r = await victim.cli(['get', attack.cid.toString(), '-o', join(repo, '..', 'out.bin'), '--provider', provider, '--timeout', '30s'])
      expect(r.code).not.toBe(0)
      expect(r.stderr).toContain('40000 links, over the limit of 16384 (config fetch.maxLinksPerBlock)')
      // refused before it was written: links are counted first
      expect(await blockFiles(repo) - before).toBe(0)
    } finally {
      await victim.stop()
    }
  }, 120_000)
})
