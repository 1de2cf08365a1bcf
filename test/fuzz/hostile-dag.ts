/**
 * Hostile UnixFS DAGs for the read and CAR fuzzers: every block is stored under its true CID (a
 * peer's blocks are verified before they are stored, so lies are in the content, never in the
 * hash), but the content lies: wrong block sizes, huge claimed file sizes, bad UnixFS data,
 * directory entries with odd names and Tsizes, links to missing blocks, nesting, and mutations
 * of real blocks made by the importer.
 */
import * as dagPb from '@ipld/dag-pb'
import { MemoryBlockstore } from 'blockstore-core'
import fc from 'fast-check'
import { UnixFS } from 'ipfs-unixfs'
import { importer } from 'ipfs-unixfs-importer'
import { fixedSize } from 'ipfs-unixfs-importer/chunker'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { identity } from 'multiformats/hashes/identity'
import { sha256 } from 'multiformats/hashes/sha2'

/** A node of a hostile DAG, before it is encoded. */
export type NodeSpec =
  | { kind: 'raw', bytes: Uint8Array }
  | { kind: 'bytes', bytes: Uint8Array, codec: number }
  | { kind: 'pb', type: 'file' | 'directory' | 'raw' | 'symlink' | 'metadata' | 'hamt-sharded-directory', data: Uint8Array, blockSizes: bigint[], fileSize?: bigint, hashType?: bigint, fanout?: bigint, links: Array<{ child: number, name: string, tsize: number }>, badData?: Uint8Array }
  | { kind: 'missing' }
  | { kind: 'identity', bytes: Uint8Array }

/** A hostile DAG: its blockstore, its root, and its real (valid) root for comparison. */
export interface HostileDag {
  blocks: MemoryBlockstore
  root: CID
}

const HUGE = [0n, 1n, 3n, 255n, 2n ** 32n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 63n, 2n ** 64n - 1n]

const size = fc.oneof(fc.bigInt({ min: 0n, max: 300n }), fc.constantFrom(...HUGE))
const names = fc.oneof(fc.constantFrom('a', 'b', 'a', '..', '.', '', 'x/y', '\u001b[31m', 'a'.repeat(300)), fc.string({ maxLength: 8 }))

const nodeSpec = (index: number): fc.Arbitrary<NodeSpec> => {
  const link = fc.record({ child: fc.nat({ max: Math.max(0, index - 1) }), name: names, tsize: fc.oneof(fc.nat({ max: 1000 }), fc.constantFrom(0, 2 ** 53 - 1, 2 ** 31)) })
  const leaves: Array<fc.Arbitrary<NodeSpec>> = [
    fc.uint8Array({ maxLength: 64 }).map(bytes => ({ kind: 'raw' as const, bytes })),
    fc.tuple(fc.uint8Array({ maxLength: 64 }), fc.constantFrom(0x70, 0x71, 0x55, 0x0129)).map(([bytes, codec]) => ({ kind: 'bytes' as const, bytes, codec })),
    fc.uint8Array({ maxLength: 16 }).map(bytes => ({ kind: 'identity' as const, bytes })),
    fc.constant({ kind: 'missing' as const })
  ]
  const pb = fc.record({
    kind: fc.constant('pb' as const),
    type: fc.constantFrom('file', 'directory', 'raw', 'symlink', 'metadata', 'hamt-sharded-directory') as fc.Arbitrary<'file'>,
    data: fc.uint8Array({ maxLength: 32 }),
    blockSizes: fc.array(size, { maxLength: 4 }),
    fileSize: fc.option(size, { nil: undefined }),
    // HAMT parameters: those of real shards (murmur3-x64-64, fanout 256) most of the time, and
    // hostile ones too: a shard with hash type 0 or fanout 0 made ipfs-unixfs-exporter throw a
    // TypeError or exhaust the heap while resolving a path, until unixfs-guard.ts refused them
    hashType: fc.option(fc.oneof({ weight: 3, arbitrary: fc.constant(0x22n) }, { weight: 1, arbitrary: fc.bigInt({ min: 0n, max: 0x200n }) }), { nil: undefined }),
    fanout: fc.option(fc.oneof({ weight: 3, arbitrary: fc.constant(256n) }, { weight: 1, arbitrary: fc.bigInt({ min: 0n, max: 5000n }) }), { nil: undefined }),
    links: fc.array(link, { maxLength: index === 0 ? 0 : 4 }),
    badData: fc.option(fc.uint8Array({ maxLength: 16 }), { nil: undefined, freq: 6 })
  })
  return fc.oneof({ weight: 1, arbitrary: fc.oneof(...leaves) }, { weight: 3, arbitrary: pb })
}

async function encode (spec: NodeSpec, made: CID[]): Promise<{ cid: CID, bytes?: Uint8Array }> {
  switch (spec.kind) {
    case 'raw': return { cid: CID.createV1(raw.code, await sha256.digest(spec.bytes)), bytes: spec.bytes }
    case 'bytes': return { cid: CID.createV1(spec.codec, await sha256.digest(spec.bytes)), bytes: spec.bytes }
    case 'identity': return { cid: CID.createV1(raw.code, identity.digest(spec.bytes)) }
    case 'missing': return { cid: CID.createV1(raw.code, await sha256.digest(Uint8Array.of(made.length, 0xde, 0xad))) }
    case 'pb': {
      let data: Uint8Array
      if (spec.badData != null) {
        data = spec.badData
      } else {
        const u = new UnixFS({ type: spec.type, data: spec.data.length > 0 ? spec.data : undefined, blockSizes: spec.blockSizes, fanout: spec.fanout, hashType: spec.hashType })
        data = u.marshal()
        if (spec.fileSize != null) data = withFileSize(data, spec.fileSize)
      }
      const bytes = dagPb.encode(dagPb.prepare({ Data: data, Links: spec.links.map(l => ({ Hash: made[l.child % made.length], Name: l.name, Tsize: l.tsize })) }))
      return { cid: CID.createV1(dagPb.code, await sha256.digest(bytes)), bytes }
    }
  }
}

/** UnixFS `Data` with field 3 (filesize) appended: protobuf readers take the last value, so it overrides. */
function withFileSize (data: Uint8Array, fileSize: bigint): Uint8Array {
  const v: number[] = []
  let n = fileSize
  while (n >= 0x80n) { v.push(Number(n & 0x7fn) | 0x80); n >>= 7n }
  v.push(Number(n))
  const out = new Uint8Array(data.length + 1 + v.length)
  out.set(data)
  out[data.length] = 0x18
  out.set(v, data.length + 1)
  return out
}

/** Arbitrary hostile DAGs of up to `maxNodes` nodes; the last node is the root. */
export function hostileDag (maxNodes = 8): fc.Arbitrary<() => Promise<HostileDag>> {
  return fc.integer({ min: 1, max: maxNodes }).chain(n => fc.tuple(...Array.from({ length: n }, (_, i) => nodeSpec(i)))).map(specs => async () => buildDag(specs))
}

/** The blocks of `specs` (each may link to those before it); the last is the root. */
export async function buildDag (specs: NodeSpec[]): Promise<HostileDag> {
  const blocks = new MemoryBlockstore()
  const made: CID[] = []
  for (const spec of specs) {
    const { cid, bytes } = await encode(spec, made)
    if (bytes != null) await blocks.put(cid, bytes)
    made.push(cid)
  }
  return { blocks, root: made[made.length - 1] }
}

/** The bytes of a block, whether the store gives them whole or as chunks. */
async function bytesOf (blocks: MemoryBlockstore, cid: CID): Promise<Uint8Array> {
  const got: unknown = blocks.get(cid)
  const v = await (got as Promise<unknown>)
  if (v instanceof Uint8Array) return v
  const parts: Uint8Array[] = []
  for await (const p of got as AsyncIterable<Uint8Array>) parts.push(p)
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let o = 0
  for (const p of parts) { out.set(p, o); o += p.length }
  return out
}

/** A real imported directory `d` (a 700-byte file of three 256-byte chunks, a 5-byte one); CIDs of its blocks, root first. */
export async function realDag (): Promise<{ blocks: MemoryBlockstore, root: CID, cids: CID[] }> {
  const blocks = new MemoryBlockstore()
  const files = [
    { path: 'd/big.bin', content: Uint8Array.from({ length: 700 }, (_, i) => i % 251) },
    { path: 'd/small.txt', content: new TextEncoder().encode('hello') }
  ]
  let root: CID | undefined
  for await (const e of importer(files, blocks, { chunker: fixedSize({ chunkSize: 256 }), rawLeaves: true, cidVersion: 1, wrapWithDirectory: false })) {
    if (e.path === 'd') root = e.cid
  }
  // walk from the root: the store keys blocks by multihash only, the links keep the codecs
  const cids: CID[] = []
  const stack = [root as CID]
  while (stack.length > 0) {
    const cid = stack.pop() as CID
    cids.push(cid)
    if (cid.code === dagPb.code) stack.push(...dagPb.decode(await bytesOf(blocks, cid)).Links.map(l => l.Hash))
  }
  return { blocks, root: root as CID, cids }
}

/**
 * A real DAG with one block (`pick`, modulo the block count) edited: the edited bytes are stored
 * under their own CID and every ancestor is re-encoded to link to it, so the DAG is consistent
 * by hash and lies only in content.
 */
export async function mutateOneBlock (dag: { blocks: MemoryBlockstore, root: CID, cids: CID[] }, pick: number, edit: (b: Uint8Array) => Uint8Array): Promise<HostileDag> {
  const blocks = new MemoryBlockstore()
  const target = dag.cids[pick % dag.cids.length]
  const rewrite = async (cid: CID): Promise<CID> => {
    let bytes = await bytesOf(dag.blocks, cid)
    if (cid.equals(target)) {
      bytes = edit(bytes)
    } else if (cid.code === dagPb.code) {
      const node = dagPb.decode(bytes)
      const links = await Promise.all(node.Links.map(async l => ({ ...l, Hash: await rewrite(l.Hash) })))
      bytes = dagPb.encode({ Data: node.Data, Links: links })
    }
    const next = CID.createV1(cid.code, await sha256.digest(bytes))
    await blocks.put(next, bytes)
    return next
  }
  return { blocks, root: await rewrite(dag.root) }
}

/** Arbitrary edits of one block of a real DAG: which block, a few byte overwrites, maybe a cut. */
export const blockEdit: fc.Arbitrary<[number, (b: Uint8Array) => Uint8Array]> = fc.tuple(
  fc.nat(),
  fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 3 }),
  fc.option(fc.nat(), { nil: undefined })
).map(([pick, writes, cut]) => [pick, (b: Uint8Array) => {
  const out = Uint8Array.from(b)
  for (const [at, v] of writes) if (out.length > 0) out[at % out.length] = v
  return cut == null ? out : out.subarray(0, cut % (out.length + 1))
}])
