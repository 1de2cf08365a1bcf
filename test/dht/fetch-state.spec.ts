/**
 * The in-flight budget of one fetch, on an in-memory blockstore (a unit test of FetchState).
 */
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js'
import { MemoryBlockstore } from 'blockstore-core'
import { CID } from 'multiformats/cid'
import * as Digest from 'multiformats/hashes/digest'
import { describe, expect, it, vi } from 'vitest'
import { FetchState } from '../../src/dht/fetch-state.ts'

const bytesOf = (s: string): Uint8Array => new TextEncoder().encode(s)
const cidOf = (b: Uint8Array): CID => CID.createV1(0x55, Digest.create(0x12, nobleSha256(b)))

describe('fetch state', () => {
  it('default: providers together never hold more than maxInFlight blocks; answers free the budget', async () => {
    const blocks = ['a', 'b', 'c', 'd', 'e'].map(bytesOf)
    const state = new FetchState({ blockstore: new MemoryBlockstore(), walk: false, maxBlockSize: 1024, maxInFlight: 3 })
    state.discover(blocks.map(cidOf))
    // none is stored, so the walk queues all five
    await vi.waitFor(() => { expect(state.wantedCount).toBe(5) })
    const first = state.take('p1', 2)
    const second = state.take('p2', 10)
    expect(first).toHaveLength(2)
    expect(second).toHaveLength(1) // 3 - 2
    expect(state.take('p3', 10)).toEqual([])
    const peer = { toString: () => 'p1' } as any
    await state.received(first[0], blocks.find(b => cidOf(b).equals(first[0]))!, peer)
    expect(state.take('p3', 10)).toHaveLength(1)
  })

  it('behavior: a block that fails verification is never stored and stays wanted once released', async () => {
    const blockstore = new MemoryBlockstore()
    const state = new FetchState({ blockstore, walk: false, maxBlockSize: 1024, maxInFlight: 3 })
    const cid = cidOf(bytesOf('good'))
    state.discover([cid])
    await vi.waitFor(() => { expect(state.hasWanted()).toBe(true) })
    const [taken] = state.take('p1', 1)
    expect(() => state.received(taken, bytesOf('evil'), { toString: () => 'p1' } as any)).toThrow(expect.objectContaining({ name: 'BlockVerificationError' }))
    expect(await blockstore.has(cid)).toBe(false)
    state.release([taken])
    expect(state.take('p2', 1).map(String)).toEqual([cid.toString()])
  })
})
