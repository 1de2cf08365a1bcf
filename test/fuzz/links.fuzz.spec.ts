/**
 * Fuzzing `linksOf`, which reads the links of every block a fetch receives (after its hash
 * matched, so the bytes are whatever the block's author chose): mutated dag-pb and dag-cbor
 * blocks give CIDs within the link limit or one of the named errors, never a decoder's bare one.
 */
import * as dagCbor from '@ipld/dag-cbor'
import * as dagPb from '@ipld/dag-pb'
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js'
import fc from 'fast-check'
import { CID } from 'multiformats/cid'
import * as Digest from 'multiformats/hashes/digest'
import { describe, expect, it } from 'vitest'
import { linksOf } from '../../src/dht/blocks.ts'
import { decodeOrNamed, fuzzBudget } from './budget.ts'
import { hostileBytes } from './mutate.ts'

const budget = fuzzBudget(1)

/** blocks.ts's contract: undecodable bytes, too many links, a codec without links we read. */
const LINK_ERRORS = ['MalformedBlockError', 'TooManyLinksError', 'UnsupportedCodecError']

const leaf = (s: string): CID => CID.createV1(0x55, Digest.create(0x12, nobleSha256(new TextEncoder().encode(s))))
const LEAVES = ['a', 'b', 'c'].map(leaf)
const validPb = dagPb.encode({ Data: Uint8Array.from([8, 2]), Links: LEAVES.map((Hash, i) => ({ Hash, Name: `f${i}`, Tsize: 10 })) })
const validCbor = dagCbor.encode({ name: 'x', parts: LEAVES, nested: { again: LEAVES[0] } })
// the block's own CID does not matter to linksOf (the fetcher verified it before): only its codec
const PB = CID.createV1(dagPb.code, Digest.create(0x12, new Uint8Array(32)))
const CBOR = CID.createV1(dagCbor.code, Digest.create(0x12, new Uint8Array(32)))

describe('fuzz: links of received blocks', () => {
  it('linksOf over mutated dag-pb and dag-cbor blocks: at most the limit of CIDs, or a named error', () => {
    const maxLinks = 4 // the valid blocks list 3 (dag-pb) and 4 (dag-cbor): mutations may push past it
    fc.assert(fc.property(fc.boolean(), hostileBytes(validPb, validCbor), (pb, bytes) => {
      const links = decodeOrNamed(() => linksOf(pb ? PB : CBOR, bytes, maxLinks), LINK_ERRORS)
      if (links == null) return
      expect(links.length).toBeLessThanOrEqual(maxLinks)
      for (const l of links) expect(CID.asCID(l)).not.toBeNull()
    }), budget.params(600))
  })
})
