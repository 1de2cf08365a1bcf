/**
 * `get` of hostile DAGs (names and symlinks chosen by a stranger) writes nothing outside the
 * output directory, on real files in temp dirs; and the name checks shared with `buy`.
 */
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MemoryBlockstore } from 'blockstore-core'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { listingSegments } from '../../src/market/decrypt-out.ts'
import { assertSafeName, NameSet } from '../../src/store/index.ts'
import { getToPath } from '../../src/store/read.ts'
import { dirBlock, fileBlock, symlinkBlock, symlinkThenDirectory } from '../utils/hostile-tree.ts'
import type { Listing } from '../../src/market/listing.ts'
import type { CraftedBlock, CraftedDag } from '../utils/hostile-tree.ts'
import type { CID } from 'multiformats/cid'

let dir: string
let victim: string
let out: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'agora-unsafe-'))
  victim = join(dir, 'victim')
  out = join(dir, 'out')
  await mkdir(victim)
})
afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

async function store (blocks: CraftedBlock[]): Promise<MemoryBlockstore> {
  const bs = new MemoryBlockstore()
  for (const b of blocks) await bs.put(b.cid, b.bytes)
  return bs
}

async function get (dag: CraftedDag, options: { force?: boolean } = {}): Promise<unknown> {
  return getToPath(await store(dag.blocks), dag.root, '', out, options)
}

async function dagOf (links: Array<[string, CraftedBlock]>, extra: CraftedBlock[] = []): Promise<CraftedDag> {
  const root = await dirBlock(links)
  return { root: root.cid, blocks: [...links.map(([, b]) => b), ...extra, root] }
}

describe('store: get of hostile names', () => {
  it('behavior: the symlink-then-directory DAG (two links named "a") is refused as a duplicate name and writes nothing in the victim directory', async () => {
    await expect(get(await symlinkThenDirectory(victim))).rejects.toMatchObject({ name: 'UnsafePathError', message: expect.stringContaining('"a"') })
    expect(await readdir(victim)).toEqual([])
    // Reasoning: symlinks are made only after every regular entry, and the walk stopped at the
    // second "a": the output directory holds nothing at all.
    expect(await readdir(out)).toEqual([])
  })

  it('behavior: a symlink out of the tree and a file named through it ("s/authorized_keys") is refused; the victim directory stays empty', async () => {
    const dag = await dagOf([['s', await symlinkBlock(victim)], ['s/authorized_keys', await fileBlock('attacker key')]])
    await expect(get(dag)).rejects.toMatchObject({ name: 'UnsafePathError', message: expect.stringContaining('"s/authorized_keys"') })
    expect(await readdir(victim)).toEqual([])
  })

  it('behavior: "..", "." and "" names are refused and nothing lands beside the output directory', async () => {
    for (const name of ['', '.', '..']) {
      const dag = await dagOf([[name, await fileBlock('escaped')]])
      await expect(get(dag)).rejects.toMatchObject({ name: 'UnsafePathError', message: expect.stringContaining(JSON.stringify(name)) })
    }
    // Reasoning: "out/.." is the temp dir itself; only the two directories made above are in it.
    expect((await readdir(dir)).sort()).toEqual(['out', 'victim'])
  })

  it('behavior: a symlink already in an existing output directory is never followed: a directory by its name is refused, a file by its name is refused without --force and replaces the link (not its target) with it', async () => {
    await mkdir(out)
    await symlink(victim, join(out, 'a'))
    const key = await fileBlock('attacker key')
    const keys = await dirBlock([['authorized_keys', key]])
    await expect(get(await dagOf([['a', keys]], [key]))).rejects.toMatchObject({ name: 'UnsafePathError' })
    expect(await readdir(victim)).toEqual([])

    await writeFile(join(victim, 'bashrc'), 'mine')
    await symlink(join(victim, 'bashrc'), join(out, 'f'))
    const f = await dagOf([['f', await fileBlock('theirs')]])
    await expect(get(f)).rejects.toMatchObject({ name: 'OutputExistsError' })
    expect(await readFile(join(victim, 'bashrc'), 'utf8')).toBe('mine')
    await get(f, { force: true })
    expect(await readFile(join(victim, 'bashrc'), 'utf8')).toBe('mine')
    expect((await lstat(join(out, 'f'))).isFile()).toBe(true)
    expect(await readFile(join(out, 'f'), 'utf8')).toBe('theirs')
  })

  it('default: a tree with a symlink and files is written whole, the symlink as a symlink; a second get keeps identical files and clears their stale temp files; a changed file needs --force', async () => {
    const x = await fileBlock('x bytes')
    const dag = await dagOf([['link', await symlinkBlock('sub/x')], ['sub', await dirBlock([['x', x]])]], [x])
    expect(await get(dag)).toMatchObject({ files: 1, bytes: 7 }) // "x bytes" is 7 bytes
    expect(await readlink(join(out, 'link'))).toBe('sub/x')
    expect(await readFile(join(out, 'sub', 'x'), 'utf8')).toBe('x bytes')
    // the same DAG again: nothing differs, so nothing is refused (an interrupted get resumes),
    // and the temp file a killed write of x left is removed; one of another name is not
    await writeFile(join(out, 'sub', '.x.0123456789abcdef.agora-partial'), 'x by')
    await writeFile(join(out, 'sub', '.y.0123456789abcdef.agora-partial'), 'not ours')
    expect(await get(dag)).toMatchObject({ files: 1, bytes: 7 })
    expect((await readdir(join(out, 'sub'))).sort()).toEqual(['.y.0123456789abcdef.agora-partial', 'x'])

    const other = await fileBlock('other')
    const changed = await dagOf([['sub', await dirBlock([['x', other]])]], [other])
    await expect(get(changed)).rejects.toMatchObject({ name: 'OutputExistsError' })
    expect(await readFile(join(out, 'sub', 'x'), 'utf8')).toBe('x bytes')
    await get(changed, { force: true })
    expect(await readFile(join(out, 'sub', 'x'), 'utf8')).toBe('other')
  })

  it('behavior: a single file never replaces an existing file without force, nor a directory even with it', async () => {
    const one = await fileBlock('content')
    const dag = { root: one.cid as CID, blocks: [one] }
    await writeFile(out, 'precious')
    await expect(get(dag)).rejects.toMatchObject({ name: 'OutputExistsError' })
    expect(await readFile(out, 'utf8')).toBe('precious')
    await rm(out)
    await mkdir(out)
    await expect(get(dag, { force: true })).rejects.toMatchObject({ name: 'OutputExistsError' })
    expect(await readdir(out)).toEqual([])
  })
})

describe('store: name checks', () => {
  it('behavior: unsafe names are refused per platform; duplicates by case collide on macOS and Windows only', () => {
    for (const n of ['', '.', '..', 'a/b', 'a\0b', 'x'.repeat(256)]) expect(() => { assertSafeName(n, 'linux') }).toThrow(expect.objectContaining({ name: 'UnsafePathError' }))
    for (const n of ['a\\b', 'c:', 'NUL', 'com1.txt', 'trailing.', 'tab\tname']) expect(() => { assertSafeName(n, 'win32') }).toThrow(expect.objectContaining({ name: 'UnsafePathError' }))
    // the same names are plain names on Linux (a backslash is an ordinary character there)
    for (const n of ['a\\b', 'c:', 'NUL', 'com1.txt', 'trailing.', '.bashrc']) assertSafeName(n, 'linux')
    const names = new NameSet()
    names.add('Readme')
    if (process.platform === 'linux') names.add('readme')
    expect(() => { names.add('Readme') }).toThrow(expect.objectContaining({ name: 'UnsafePathError' }))
  })

  it('behavior: a listing whose paths name one entry twice (a file "a" and a directory "a/") is refused; distinct files in a shared directory are fine', () => {
    const listing = (paths: string[]): Listing => ({ record: { files: paths.map(path => ({ path })) } }) as unknown as Listing
    expect(() => listingSegments(listing(['a', 'a/b']))).toThrow(expect.objectContaining({ name: 'UnsafePathError' }))
    expect(() => listingSegments(listing(['a/b', 'a']))).toThrow(expect.objectContaining({ name: 'UnsafePathError' }))
    expect(listingSegments(listing(['a/b', 'a/c', 'd']))).toEqual([['a', 'b'], ['a', 'c'], ['d']])
  })
})
