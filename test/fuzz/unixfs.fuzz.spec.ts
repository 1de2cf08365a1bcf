/**
 * Fuzzing the UnixFS read paths over hostile DAGs (`cat`, `ls`, path resolution) and CID path
 * parsing. Blocks are stored under their true CIDs, as a fetcher stores verified blocks, and lie
 * in their content: wrong block sizes, huge claimed file sizes, bad UnixFS data, odd names,
 * missing children, and single-block mutations of a real imported DAG.
 */
import fc from 'fast-check'
import { CID } from 'multiformats/cid'
import { describe, expect, it } from 'vitest'
import { parseCidPath } from '../../src/store/cid.ts'
import { cat, ls, resolveEntry } from '../../src/store/read.ts'
import { arrayBufferGrowth, decodeOrNamed, decodeOrNamedAsync, fuzzBudget } from './budget.ts'
import { blockEdit, hostileDag, mutateOneBlock, realDag } from './hostile-dag.ts'
import type { BlockReader } from '../../src/store/dag.ts'

const budget = fuzzBudget(4)
// deep enough stacks to see whether a bare error came out of the exporter
Error.stackTraceLimit = 64

/**
 * What the read paths may throw. The store's named errors, and the exporter's own named errors,
 * which `read.ts` passes through (`ipfs-unixfs-exporter` and `ipfs-unixfs` name every error they
 * throw for bad content; they are listed here one by one). A bare Error, TypeError or RangeError
 * is a finding.
 */
const READ_ERRORS = [
  'PathNotFoundError', 'WrongContentTypeError', 'InvalidDagError', 'BlockNotFoundError', 'CorruptBlockError', 'InvalidParametersError',
  'NotUnixFSError', 'NoResolverError', 'OverReadError', 'UnderReadError', 'NotFoundError', 'BadPathError', 'InvalidTypeError'
]
/** Reads at most `limit` bytes of `cat`; returns how many came. */
async function catUpTo (blocks: BlockReader, root: CID, path: string, limit: number): Promise<number> {
  let n = 0
  for await (const chunk of cat(blocks, root, path)) {
    n += chunk.byteLength
    if (n >= limit) break
  }
  return n
}

/** Lists every entry of `path` (each must have a string name); returns how many. */
async function lsAll (blocks: BlockReader, root: CID, path: string): Promise<number> {
  let n = 0
  for await (const e of ls(blocks, root, path)) {
    expect(typeof e.name).toBe('string')
    n++
  }
  return n
}

/** `cat` (up to 1 MiB) and `ls` of `path`. */
async function catAndLs (blocks: BlockReader, root: CID, path: string): Promise<void> {
  await readOrNamed(async () => catUpTo(blocks, root, path, 1 << 20))
  await readOrNamed(async () => lsAll(blocks, root, path))
}

/** Runs `fn`; its throw must be named in READ_ERRORS. */
async function readOrNamed (fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn()
  } catch (err) {
    if (READ_ERRORS.includes((err as Error).name)) return
    throw err
  }
}

const real = await realDag()

describe('fuzz: UnixFS reads', () => {
  it('cat / ls over hostile DAGs end within bounded memory, or with a named error', async () => {
    let growth = 0
    await fc.assert(fc.asyncProperty(hostileDag(8), fc.constantFrom('', 'a', 'b/a', 'x'), async (make, path) => {
      const dag = await make()
      growth = Math.max(growth, await arrayBufferGrowth(async () => { await catAndLs(dag.blocks, dag.root, path) }))
    }), budget.params(150))
    // no hostile DAG (each holds under 2 KiB of blocks, whatever sizes it claims) makes a read hold 64 MiB
    expect(growth).toBeLessThan(64 * 1024 * 1024)
  }, budget.timeout)

  it('cat over a real DAG with one block mutated: at most the file\'s bytes, or a named error', async () => {
    await fc.assert(fc.asyncProperty(blockEdit, fc.constantFrom('big.bin', 'small.txt'), async ([pick, edit], file) => {
      const dag = await mutateOneBlock(real, pick, edit)
      await readOrNamed(async () => {
        const n = await catUpTo(dag.blocks, dag.root, file, 1 << 20)
        // what a read returns never exceeds the real file: a lying size cannot make bytes appear
        expect(n).toBeLessThanOrEqual(file === 'big.bin' ? 700 : 5)
      })
    }), budget.params(150))
  }, budget.timeout)

  it('resolveEntry: hostile paths over a real directory resolve to an entry or PathNotFoundError', async () => {
    const segment = fc.oneof(fc.constantFrom('big.bin', 'small.txt', '..', '.', '', '%2e%2e', 'big.bin\u0000'), fc.string({ maxLength: 6 }))
    await fc.assert(fc.asyncProperty(fc.array(segment, { maxLength: 4 }), async segments => {
      const path = segments.join('/')
      const e = await decodeOrNamedAsync(async () => resolveEntry(real.blocks, real.root, path), READ_ERRORS)
      if (e == null) return
      // an entry was found: it is the root itself or one of the two files, never anything outside
      expect(['d', 'big.bin', 'small.txt', real.root.toString()]).toContain(e.name)
    }), budget.params(200))
  }, budget.timeout)

  it('parseCidPath: any string parses to a CID whose string form parses back to it, or InvalidCidError', () => {
    const valid = [real.root.toString(), real.root.toV1().toString(), 'QmNLei78zWmzUdbeRB3CiUfAizWUrbeeZh5K1rhAQKCh51']
    const str = fc.oneof(
      fc.string({ maxLength: 300 }),
      fc.tuple(fc.constantFrom(...valid), fc.nat(), fc.string({ maxLength: 3 }), fc.string({ maxLength: 12 })).map(([s, i, ins, tail]) => {
        const at = i % (s.length + 1)
        return `${s.slice(0, at)}${ins}${s.slice(at)}${tail}`
      }),
      fc.tuple(fc.constantFrom('/ipfs/', '', ' '), fc.constantFrom(...valid), fc.string({ maxLength: 20 })).map(([a, b, c]) => `${a}${b}/${c}`)
    )
    fc.assert(fc.property(str, s => {
      const r = decodeOrNamed(() => parseCidPath(s), ['InvalidCidError'])
      if (r == null) return
      expect(CID.parse(r.cid.toString()).equals(r.cid)).toBe(true)
      expect(r.path.endsWith('/')).toBe(false)
    }), budget.params(500))
  }, budget.timeout)
})
