import { mkdir, mkdtemp, readFile, rm, stat, writeFile, readdir, utimes } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LevelDatastore } from 'datastore-level'
import { Key } from 'interface-datastore'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ContentStore, initRepo, openRepo, parseCid, readConfig, blockFile, REPO_FILES } from '../../src/store/index.ts'
import { deterministicBuffer, sha256Hex, writeDeterministicFile } from '../utils/data.ts'
import type { Repo } from '../../src/store/index.ts'

let dir: string
let repo: Repo | undefined

beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'agora-store-')) })
afterEach(async () => {
  await repo?.close()
  repo = undefined
  await rm(dir, { recursive: true, force: true })
})

async function store (): Promise<ContentStore> {
  await initRepo(join(dir, 'repo'), { config: { addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] } } })
  repo = await openRepo(join(dir, 'repo'))
  return new ContentStore(repo)
}

async function text (it: AsyncIterable<Uint8Array>): Promise<string> {
  let s = ''
  for await (const c of it) s += new TextDecoder().decode(c)
  return s
}

describe('store: repo', () => {
  it('default: init creates config, a 0600 identity and token, and reopens with the same identity', async () => {
    const path = join(dir, 'repo')
    expect(await initRepo(path)).toEqual({ created: true })
    expect((await stat(join(path, REPO_FILES.identity))).mode & 0o777).toBe(0o600)
    expect((await stat(join(path, REPO_FILES.token))).mode & 0o777).toBe(0o600)
    const cfg = await readConfig(path)
    expect(cfg.bootstrap).toEqual([])
    expect(cfg.addresses.api).toBe('127.0.0.1:5001')
    expect(cfg.import.profile).toBe('unixfs-v1-2025')
    const a = await openRepo(path)
    const id1 = a.privateKey.publicKey.toString()
    await a.close()
    expect(await initRepo(path)).toEqual({ created: false })
    repo = await openRepo(path)
    expect(repo.privateKey.publicKey.toString()).toBe(id1)
    expect(repo.privateKey.type).toBe('Ed25519')
  })

  it('behavior: opening a missing repo fails with RepoNotInitializedError', async () => {
    await expect(openRepo(join(dir, 'none'))).rejects.toHaveProperty('name', 'RepoNotInitializedError')
  })

  it('behavior: a repo of another version is refused with RepoVersionError', async () => {
    const path = join(dir, 'repo')
    await initRepo(path)
    const ds = new LevelDatastore(join(path, REPO_FILES.datastore))
    await ds.open()
    await ds.put(new Key('/version'), new TextEncoder().encode('99'))
    await ds.close()
    await expect(openRepo(path)).rejects.toHaveProperty('name', 'RepoVersionError')
  })

  it('behavior: a second open of a repo in use fails with RepoLockedError', async () => {
    await store()
    await expect(openRepo(join(dir, 'repo'))).rejects.toHaveProperty('name', 'RepoLockedError')
  })

  it('behavior: an interrupted init (identity only) is completed and keeps the identity', async () => {
    const path = join(dir, 'repo')
    await initRepo(path)
    const key = await readFile(join(path, REPO_FILES.identity))
    await rm(join(path, REPO_FILES.config))
    await rm(join(path, REPO_FILES.datastore), { recursive: true })
    await expect(openRepo(path)).rejects.toHaveProperty('name', 'RepoNotInitializedError')
    expect(await initRepo(path)).toEqual({ created: true })
    expect(await readFile(join(path, REPO_FILES.identity))).toEqual(key)
    repo = await openRepo(path)
  })

  it('behavior: an invalid config is rejected by name', async () => {
    const path = join(dir, 'repo')
    await initRepo(path)
    await writeFile(join(path, REPO_FILES.config), JSON.stringify({ version: 1, import: { profile: 'nope' } }))
    await expect(openRepo(path)).rejects.toHaveProperty('name', 'InvalidParametersError')
  })
})

describe('store: content', () => {
  it('default: add a file, cat it back, pinned', async () => {
    const s = await store()
    await writeFile(join(dir, 'hello.txt'), 'hello world\n')
    const r = await s.add(join(dir, 'hello.txt'), { profile: 'unixfs-v0-2015' })
    // Kubo classic ipfs add of "hello world\n" (fixture, from ipfs_cid).
    expect(r.cid.toString()).toBe('QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o')
    expect(await text(s.cat(r.cid))).toBe('hello world\n')
    expect(await s.pins.has(r.cid)).toBe(true)
  })

  it('behavior: a directory round-trips through add and get, with ls listing it', async () => {
    const s = await store()
    const src = join(dir, 'model')
    await mkdir(join(src, 'sub', 'empty'), { recursive: true })
    await writeDeterministicFile(join(src, 'weights.bin'), 'w', 3 * 1024 * 1024 + 17)
    await writeFile(join(src, 'sub', 'README.md'), '# model\n')
    const r = await s.add(src)
    expect(r.name).toBe('model')
    const names = []
    for await (const e of s.ls(r.cid)) names.push([e.name, e.type, e.size])
    expect(names).toEqual([['sub', 'directory', 0], ['weights.bin', 'file', 3 * 1024 * 1024 + 17]])
    expect(await text(s.cat(r.cid, 'sub/README.md'))).toBe('# model\n')
    const out = join(dir, 'out')
    const g = await s.get(r.cid, '', out)
    expect(g.files).toBe(2)
    expect(await sha256Hex([await readFile(join(out, 'weights.bin'))])).toBe(await sha256Hex([deterministicBuffer('w', 3 * 1024 * 1024 + 17)]))
    expect(await readFile(join(out, 'sub', 'README.md'), 'utf8')).toBe('# model\n')
    expect(await readdir(join(out, 'sub', 'empty'))).toEqual([])
  })

  it('behavior: stat reports content size and the DAG size, which equals the bytes of all its blocks', async () => {
    const s = await store()
    await writeDeterministicFile(join(dir, 'f'), 'dag', 3 * 1024 * 1024 + 9)
    const r = await s.add(join(dir, 'f'))
    const st = await s.stat(r.cid)
    expect(st).toMatchObject({ type: 'file', size: 3 * 1024 * 1024 + 9 })
    // Reasoning: each link's Tsize is its child's cumulative size, so root block + sum(Tsize)
    // counts every block once; the repo holds only this DAG.
    expect(st.dagSize).toBe((await s.repoStat()).size)
  })

  it('behavior: cat with offset and length returns that range', async () => {
    const s = await store()
    await writeDeterministicFile(join(dir, 'f'), 'range', 2 * 1024 * 1024 + 3)
    const r = await s.add(join(dir, 'f'))
    const parts: Uint8Array[] = []
    for await (const c of s.cat(r.cid, '', { offset: 1024 * 1024 - 5, length: 10 })) parts.push(c)
    expect(Buffer.concat(parts)).toEqual(Buffer.from(deterministicBuffer('range', 1024 * 1024 + 5).subarray(1024 * 1024 - 5)))
  })

  it('behavior: bad paths and directories give named errors', async () => {
    const s = await store()
    await mkdir(join(dir, 'd'))
    await writeFile(join(dir, 'd', 'a'), 'a')
    const r = await s.add(join(dir, 'd'))
    await expect(text(s.cat(r.cid))).rejects.toHaveProperty('name', 'WrongContentTypeError')
    await expect(text(s.cat(r.cid, 'nope'))).rejects.toHaveProperty('name', 'PathNotFoundError')
    expect(() => parseCid('not-a-cid')).toThrow(expect.objectContaining({ name: 'InvalidCidError' }))
    const missing = parseCid('bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy')
    await expect(text(s.cat(missing))).rejects.toHaveProperty('name', 'BlockNotFoundError')
  })

  it('behavior: gc removes unpinned blocks and keeps pinned ones', async () => {
    const s = await store()
    await writeDeterministicFile(join(dir, 'keep'), 'keep', 2 * 1024 * 1024 + 1)
    await writeDeterministicFile(join(dir, 'drop'), 'drop', 2 * 1024 * 1024 + 1)
    const keep = await s.add(join(dir, 'keep'))
    const drop = await s.add(join(dir, 'drop'))
    await s.pins.rm(drop.cid)
    await expect(s.pins.rm(drop.cid)).rejects.toHaveProperty('name', 'NotPinnedError')
    // Each file: 3 raw 1 MiB-or-less leaves + 1 root node.
    expect((await s.repoStat()).blocks).toBe(8)
    const g = await s.gc()
    expect(g).toMatchObject({ removed: 4, kept: 4 })
    expect(await sha256Hex(s.cat(keep.cid))).toBe(await sha256Hex([deterministicBuffer('keep', 2 * 1024 * 1024 + 1)]))
    await expect(text(s.cat(drop.cid))).rejects.toHaveProperty('name', 'BlockNotFoundError')
  })

  it('behavior: gc removes temp files an interrupted write left behind once they are old, and keeps fresh ones', async () => {
    const s = await store()
    const shard = join(repo!.path, REPO_FILES.blocks, 'XY')
    await mkdir(shard, { recursive: true })
    await writeFile(join(shard, '.OLD.data.tmp'), 'partial')
    await writeFile(join(shard, '.NEW.data.tmp'), 'partial')
    const old = new Date(Date.now() - 60 * 60 * 1000)
    await utimes(join(shard, '.OLD.data.tmp'), old, old)
    expect((await s.gc()).tempRemoved).toBe(1)
    expect(await readdir(shard)).toEqual(['.NEW.data.tmp'])
  })

  it('behavior: verify reports a block whose bytes were altered on disk', async () => {
    const s = await store()
    await writeDeterministicFile(join(dir, 'f'), 'v', 2 * 1024 * 1024 + 1)
    const r = await s.add(join(dir, 'f'))
    expect((await s.verify()).corrupt).toEqual([])
    const { dir: d, file } = blockFile(r.cid)
    const p = join(repo!.path, REPO_FILES.blocks, d, file)
    const bytes = await readFile(p)
    bytes[bytes.length - 1] ^= 0xff
    await writeFile(p, bytes)
    const v = await s.verify()
    expect(v.checked).toBe(4)
    expect(v.corrupt).toEqual([{ cid: r.cid.toV0().toString(), file: p, reason: 'hash-mismatch' }])
  })
})
