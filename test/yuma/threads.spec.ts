import fc from 'fast-check'
import { afterAll, describe, expect, it } from 'vitest'
import { epoch, toPairs } from '../../src/yuma/index.ts'
import type { EpochInput, EpochOutput } from '../../src/yuma/index.ts'
import { HelperLostError, chunkBounds, forRows, helperChunks, setYumaThreads, stopYumaHelper } from '../../src/yuma/threads.ts'
import type { StageName } from '../../src/yuma/threads.ts'
import { epochInput } from './arbitrary.ts'

/*
 * A full-size epoch splits its row-wise stages between this thread and a helper thread
 * (threads.ts). Whichever thread runs which rows, the output must be the same bits as on one
 * thread: each case runs an epoch three ways (one thread; every chunk on the helper; both
 * claiming chunks) and compares every field computed by the epoch. The lazy matrices are rebuilt
 * on the calling thread alone, so they are left out; lazy.spec.ts checks them.
 */

/** The fields computed by epoch() itself, as plain data. */
function eager (o: EpochOutput): Record<string, unknown> {
  const { weights: _w, clippedWeights: _c, weightsForBonds: _b, emaBonds: _e, storedBonds: _s, ...rest } = Object.getOwnPropertyDescriptors(o)
  const out: Record<string, unknown> = {}
  for (const [k, d] of Object.entries(rest)) out[k] = d.value
  out.bondsU16 = o.bondsU16.map(toPairs)
  return out
}

/** One epoch on one thread, on the helper alone, and on both; every stage split however small. */
function threeWays (x: EpochInput): Array<Record<string, unknown>> {
  setYumaThreads(1)
  const one = eager(epoch(x))
  setYumaThreads(2, { helperOnly: true, minEntries: 0 })
  const helper = eager(epoch(x))
  setYumaThreads(2, { minEntries: 0 })
  const both = eager(epoch(x))
  return [one, helper, both]
}

/**
 * A subnet of n uids whose first v are validators, built to reach every path of the split stages:
 * the owner (uid 0) weights itself, validator 1 weights itself (dropped), miner n − 1 was
 * registered after validator 2 last set weights (outdated for it), miner n − 2 is weighted by one
 * small validator only (consensus 0, so its entry is clipped away), every third validator weights
 * a subset of the miners (rows whose columns differ from their bonds'), and the bonds come from an
 * earlier epoch of the same subnet.
 */
function subnet (n: number, v: number, seed: number, yuma3: boolean, liquidAlpha: boolean): EpochInput {
  let s = seed
  const rnd = (): number => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0)
  const miners = Array.from({ length: n - v - 1 }, (_, k) => v + k).filter(j => j !== n - 2)
  const weights = Array.from({ length: n }, (_, i): Array<[number, number]> => {
    if (i >= v) return []
    const cols = i % 3 === 2 ? miners.filter(() => rnd() % 4 !== 0) : miners
    const row = cols.map((j): [number, number] => [j, 1 + rnd() % 65535])
    if (i <= 1) row.unshift([i, 30_000])
    if (i === v - 1) row.push([n - 2, 65535])
    return row
  })
  return withBonds(weights, n, v, rnd, yuma3, liquidAlpha, true)
}

/**
 * A dense subnet: every validator weights every miner, as in the previous epoch, so the bonds
 * rows list the same columns as the weights rows (the aligned bond paths).
 */
function aligned (n: number, v: number, seed: number, yuma3: boolean, liquidAlpha: boolean): EpochInput {
  let s = seed
  const rnd = (): number => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0)
  const weights = Array.from({ length: n }, (_, i): Array<[number, number]> =>
    i >= v ? [] : Array.from({ length: n - v }, (_, k): [number, number] => [v + k, 1 + rnd() % 65535]))
  return withBonds(weights, n, v, rnd, yuma3, liquidAlpha, false)
}

/** The epoch input for these weights, with the bonds of an earlier epoch (`thin`: of fewer weights). */
function withBonds (weights: Array<Array<[number, number]>>, n: number, v: number, rnd: () => number, yuma3: boolean, liquidAlpha: boolean, thin: boolean): EpochInput {
  const base: EpochInput = {
    stake: Array.from({ length: n }, (_, i) => i < v ? BigInt(thin && i === v - 1 ? 1_000 : 1_000_000_000 + rnd() % 1_000_000_000) : 0n),
    weights,
    validatorPermits: Array.from({ length: n }, (_, i) => i < v),
    // the last tempo (360 blocks) began at 9640: every column's bonds are kept; with `thin`,
    // miner n − 1 registered after validator 2 last set weights
    lastUpdate: Array.from({ length: n }, (_, i) => thin && i === 2 ? 5_500 : 9_990),
    blockAtRegistration: Array.from({ length: n }, (_, i) => thin && i === n - 1 ? 5_600 : 0),
    currentBlock: 10_000,
    raoEmission: 1_000_000_000n,
    ownerUid: 0,
    yuma3,
    liquidAlpha,
    bondsMovingAverage: 975_000,
    alphaLow: 6553,
    alphaHigh: 19660
  }
  setYumaThreads(1)
  const previous = epoch(thin ? { ...base, weights: weights.map(r => r.filter(() => rnd() % 5 !== 0)) } : { ...base, weights: weights.map(r => r.map(([j, w]): [number, number] => [j, 1 + (w * 7 + rnd()) % 65535])) })
  return { ...base, bonds: previous.storedBonds, validatorPermits: previous.newValidatorPermits }
}

describe('yuma epoch on two threads', () => {
  afterAll(() => {
    setYumaThreads(2)
    stopYumaHelper()
  })

  it('behavior: every chunk of rows is cut at a row, in order, and the chunks cover every row', () => {
    // 256 rows of 3840 entries and 3840 empty rows: the full-size benchmark's shape
    const lengths = [...Array.from({ length: 256 }, () => 3840), ...Array.from({ length: 3840 }, () => 0)]
    const ptr = new Int32Array(lengths.length + 1)
    lengths.forEach((l, i) => { ptr[i + 1] = ptr[i] + l })
    const b = chunkBounds(ptr, lengths.length)
    expect(b[0]).toBe(0)
    expect(b[b.length - 1]).toBe(lengths.length)
    for (let c = 1; c < b.length; c++) expect(b[c]).toBeGreaterThan(b[c - 1])
    // 16 chunks of 256 · 3840 / 16 entries: 16 validator rows each, the empty rows in the last
    expect(b.length - 1).toBe(16)
    for (let c = 0; c < 16; c++) expect(ptr[b[c + 1]] - ptr[b[c]]).toBe(16 * 3840)
  })

  it('behavior: one row longer than a chunk is one chunk; no rows, one empty chunk', () => {
    expect(Array.from(chunkBounds(Int32Array.from([0, 100, 101]), 2))).toEqual([0, 1, 2])
    expect(Array.from(chunkBounds(Int32Array.from([0]), 0))).toEqual([0, 0])
  })

  it('behavior: Yuma 2, Yuma 3 and Yuma 3 with liquid alpha give the same bits on one thread, on the helper and on both', () => {
    for (const [yuma3, liquid] of [[false, false], [true, false], [true, true]]) {
      const x = subnet(160, 24, 7, yuma3, liquid)
      const before = helperChunks()
      const [one, helper, both] = threeWays(x)
      expect(helperChunks()).toBeGreaterThan(before) // the helper ran at least the helper-only epoch
      expect(helper).toEqual(one)
      expect(both).toEqual(one)
      // miner 158 is weighted (65535) by validator 23 alone, whose stake is far below κ: its
      // consensus is 0, so that positive entry is clipped away (the stage's removing path)
      expect((one.consensus as number[])[158]).toBe(0)
      expect(x.weights[23]).toContainEqual([158, 65535])
    }
  })

  it('behavior: a dense subnet whose bonds line up with its weights gives the same bits on one thread, on the helper and on both', () => {
    for (const [yuma3, liquid] of [[false, false], [true, false], [true, true]]) {
      const [one, helper, both] = threeWays(aligned(96, 16, 11, yuma3, liquid))
      expect(helper).toEqual(one)
      expect(both).toEqual(one)
    }
  })

  it('behavior: a dense subnet given as rows sharing one uid list (runs of equal rows) gives the bits of its pairs, on one thread, on the helper and on both', () => {
    for (const [yuma3, liquid] of [[false, false], [true, true]]) {
      const x = aligned(96, 16, 5, yuma3, liquid)
      setYumaThreads(1)
      const pairs = eager(epoch(x))
      // every validator row views one Uint16Array of the miners' uids
      const uids = Uint16Array.from(x.weights[0] as Array<[number, number]>, ([j]) => j)
      const typed = { ...x, weights: (x.weights as Array<Array<[number, number]>>).map(r => r.length === 0 ? r : { uids, values: Uint16Array.from(r, ([, w]) => w) }) }
      for (const out of threeWays(typed)) expect(out).toEqual(pairs)
    }
  })

  it('behavior: a stage the helper fails is reported, and the next epoch starts a new helper and gets the same bits', () => {
    setYumaThreads(2, { helperOnly: true, minEntries: 0 })
    // a stage name the helper has no stage for: its chunk throws there, and this thread is told
    expect(() => forRows('no such stage' as StageName, () => {}, {}, Int32Array.from([0, 1]), 1)).toThrow(HelperLostError)
    const x = aligned(64, 8, 3, true, true)
    const [one, helper, both] = threeWays(x)
    expect(helperChunks()).toBeGreaterThan(0) // a new helper ran the helper-only epoch
    expect(helper).toEqual(one)
    expect(both).toEqual(one)
  })

  it('property: any epoch input gives the same bits on one thread, on the helper and on both', () => {
    fc.assert(fc.property(epochInput(10), x => {
      const [one, helper, both] = threeWays(x)
      expect(helper).toEqual(one)
      expect(both).toEqual(one)
    }), { numRuns: 400 })
  })
})
