/**
 * The reprovider, with a fake `provide` (this is a unit test of the scheduling alone).
 */
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js'
import { CID } from 'multiformats/cid'
import * as Digest from 'multiformats/hashes/digest'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { reprovider } from '../../src/dht/index.ts'
import type { Reprovider, ReproviderRun } from '../../src/dht/index.ts'

const cidOf = (s: string): CID => CID.createV1(0x55, Digest.create(0x12, nobleSha256(new TextEncoder().encode(s))))
let running: Reprovider | undefined
afterEach(async () => { await running?.stop(); running = undefined })

describe('reprovider', () => {
  it('default: each run provides every listed CID and reports what reached peers', async () => {
    const cids = ['a', 'b', 'c'].map(cidOf)
    const provided: string[] = []
    running = reprovider({
      list: () => cids,
      provide: async (cid) => { provided.push(cid.toString()); return { peers: cid.equals(cids[1]) ? 0 : 2 } },
      interval: 60_000
    })
    const runs: ReproviderRun[] = []
    running.addEventListener('run', (e) => { runs.push((e as CustomEvent<ReproviderRun>).detail) })
    running.start()
    await vi.waitFor(() => { expect(runs).toHaveLength(1) })
    expect(provided.sort()).toEqual(cids.map(String).sort())
    expect(runs[0]).toMatchObject({ total: 3, provided: 2, failed: 1 })
  })

  it('behavior: a run longer than the interval emits "behind"', async () => {
    // each provide waits 30 ms, so a run of 2 CIDs one at a time lasts at least 60 ms > 10 ms
    running = reprovider({
      list: () => [cidOf('x'), cidOf('y')],
      provide: async () => { await new Promise(resolve => setTimeout(resolve, 30)); return { peers: 1 } },
      interval: 10,
      concurrency: 1
    })
    const behind: Array<ReproviderRun & { interval: number }> = []
    running.addEventListener('behind', (e) => { behind.push((e as CustomEvent).detail) })
    running.start()
    await vi.waitFor(() => { expect(behind.length).toBeGreaterThan(0) })
    expect(behind[0]).toMatchObject({ total: 2, provided: 2, interval: 10 })
    expect(behind[0].duration).toBeGreaterThan(10)
  })

  it('behavior: a failing list or provide is reported, never thrown', async () => {
    running = reprovider({
      list: async function * () { throw new Error('datastore closed') },
      provide: async () => ({ peers: 1 }),
      interval: 60_000
    })
    const errors: Error[] = []
    running.addEventListener('error', (e) => { errors.push((e as CustomEvent<Error>).detail) })
    running.start()
    await vi.waitFor(() => { expect(errors).toHaveLength(1) })
    expect(errors[0].message).toBe('datastore closed')
    const failing = reprovider({ list: () => [cidOf('z')], provide: async () => { throw new Error('no route') }, interval: 60_000 })
    const runs: ReproviderRun[] = []
    failing.addEventListener('run', (e) => { runs.push((e as CustomEvent<ReproviderRun>).detail) })
    await failing.runOnce()
    expect(runs[0]).toMatchObject({ total: 1, provided: 0, failed: 1 })
  })
})
