import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { epoch, toPairs } from '../../src/yuma/index.ts'
import { epochInput } from './arbitrary.ts'
import type { FixedMatrix } from '../../src/yuma/index.ts'
import { referenceEpoch } from './reference.ts'

const big = (xs: number[]): bigint[] => xs.map(BigInt)
const sorted = (rows: Array<Array<[number, number]>>): Array<Array<[number, number]>> => rows.map(r => [...r].sort((a, b) => a[0] - b[0]))

describe('yuma epoch against the dense reference', () => {
  it('behavior: epoch() equals the slow dense bigint oracle on random subnets, bit for bit', () => {
    fc.assert(fc.property(epochInput(8), fc.boolean(), (x0, reverse) => {
      // rows in any order: the reference is order-free except for liquid alpha, where the chain's
      // forward-only lookup makes unsorted rows behave differently (tested on its own below)
      const x = reverse && !(x0.yuma3 && x0.liquidAlpha) ? { ...x0, weights: x0.weights.map(r => [...r].reverse()), bonds: x0.bonds.map(r => [...r].reverse()) } : x0
      const out = epoch(x)
      const ref = referenceEpoch(x)
      expect(out.active).toEqual(ref.active)
      expect(out.newValidatorPermits).toEqual(ref.newValidatorPermits)
      expect(big(out.stake)).toEqual(ref.stake)
      expect(big(out.activeStake)).toEqual(ref.activeStake)
      expect(big(out.consensus)).toEqual(ref.consensus)
      expect(big(out.prerank)).toEqual(ref.prerank)
      expect(big(out.validatorTrust)).toEqual(ref.validatorTrust)
      expect(big(out.incentive)).toEqual(ref.incentive)
      expect(big(out.dividends)).toEqual(ref.dividends)
      expect(out.serverEmission).toEqual(ref.serverEmission)
      expect(out.validatorEmission).toEqual(ref.validatorEmission)
      expect(out.combinedEmission).toEqual(ref.combinedEmission)
      expect(sorted(out.bondsU16.map(toPairs))).toEqual(ref.bonds)
    }), { numRuns: 600 })
  })

  it('behavior: agrees with the oracle on larger subnets too', () => {
    fc.assert(fc.property(epochInput(24), x => {
      const out = epoch(x)
      const ref = referenceEpoch(x)
      expect(big(out.consensus)).toEqual(ref.consensus)
      expect(big(out.dividends)).toEqual(ref.dividends)
      expect(out.serverEmission).toEqual(ref.serverEmission)
      expect(out.validatorEmission).toEqual(ref.validatorEmission)
      expect(sorted(out.bondsU16.map(toPairs))).toEqual(ref.bonds)
    }), { numRuns: 60 })
  })
})

/** An epoch input whose bonds rows list exactly the columns of its weights rows, with their own values. */
const sameCols = epochInput(10)
  .chain(x => fc.tuple(fc.constant(x), fc.array(fc.array(fc.integer({ min: 0, max: 65535 }), { minLength: x.stake.length, maxLength: x.stake.length }), { minLength: x.stake.length, maxLength: x.stake.length })))
  .map(([x, vals]) => ({ ...x, bonds: x.weights.map((r, i) => r.map(([j], k): [number, number] => [j, vals[i][k]])) }))

describe('yuma dense fast paths against the oracle', () => {
  it('behavior: bonds rows listing the same columns as the weights rows (the merge-free EMA row) equal the oracle', () => {
    // the bonds of a dense subnet list exactly the columns its weights do; masks (diagonal,
    // outdated, recently registered, clipped to zero) still remove some, so rows with the same
    // columns and rows with different ones both occur
    fc.assert(fc.property(sameCols, x => {
      const out = epoch(x)
      const ref = referenceEpoch(x)
      expect(big(out.consensus)).toEqual(ref.consensus)
      expect(big(out.prerank)).toEqual(ref.prerank)
      expect(big(out.incentive)).toEqual(ref.incentive)
      expect(big(out.dividends)).toEqual(ref.dividends)
      expect(out.validatorEmission).toEqual(ref.validatorEmission)
      expect(sorted(out.bondsU16.map(toPairs))).toEqual(ref.bonds)
    }), { numRuns: 400 })
  })
})

/**
 * An epoch input whose bond rows list exactly the columns of its W̃ rows (with their own u16
 * values, zeros included) and no bond column is masked as recently registered: every row takes
 * the aligned paths (Yuma 2's `yuma2Aligned`, Yuma 3's `sameRowLiquid`), as in a subnet whose
 * weights kept their shape since the last epoch.
 */
const aligned = epochInput(10)
  .map(x => ({ x, wb: epoch({ ...x, bonds: x.weights.map(() => []) }).weightsForBonds }))
  .chain(({ x, wb }) => fc.tuple(fc.constant(x), fc.constant(wb), fc.array(fc.oneof(fc.constant(0), fc.constant(65535), fc.integer({ min: 0, max: 65535 })), { minLength: wb.ptr[wb.rows], maxLength: wb.ptr[wb.rows] })))
  .map(([x, wb, vals]) => ({
    ...x,
    // lastTempo = this + 1 is above every registration block: no column is masked as recently registered
    lastMechanismStepBlock: Math.max(...x.blockAtRegistration),
    bonds: x.weights.map((_, i) => Array.from({ length: wb.ptr[i + 1] - wb.ptr[i] }, (_, k): [number, number] => [wb.col[wb.ptr[i] + k], vals[wb.ptr[i] + k]]))
  }))

/**
 * {@link aligned} with Yuma 3 and liquid alpha, and most bonds drawn from a small pool of values
 * (weights of several validators are often equal after clipping too): within and across rows the
 * distance d repeats, returns to an earlier value and changes, and each case must give the bits
 * of a fresh alpha.
 */
const repeating = aligned
  .chain(x => fc.tuple(fc.constant(x), fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 65535 })), { minLength: 1, maxLength: 3 }), fc.integer({ min: 0, max: 2 ** 31 })))
  .map(([x, pool, seed]) => ({ ...x, yuma3: true, liquidAlpha: true, bonds: x.bonds.map((r, i) => fromPool(r, i, pool, seed)) }))

function fromPool (row: Array<[number, number]>, i: number, pool: number[], seed: number): Array<[number, number]> {
  return row.map(([c, v], k): [number, number] => [c, (seed + i + k) % 3 === 0 ? v : pool[(seed + i * 7 + k) % pool.length]])
}

describe('yuma aligned bonds paths against the oracle', () => {
  it('behavior: bond rows listing exactly the columns of W̃ (no merge, no lookup) equal the oracle, Yuma 2 and Yuma 3 with and without liquid alpha', () => {
    fc.assert(fc.property(aligned, x => {
      const out = epoch(x)
      const ref = referenceEpoch(x)
      expect(big(out.consensus)).toEqual(ref.consensus)
      expect(big(out.incentive)).toEqual(ref.incentive)
      expect(big(out.dividends)).toEqual(ref.dividends)
      expect(out.validatorEmission).toEqual(ref.validatorEmission)
      expect(sorted(out.bondsU16.map(toPairs))).toEqual(ref.bonds)
    }), { numRuns: 600 })
  })

  it('behavior: Yuma 3 liquid alpha on aligned rows whose distances repeat and change (the per-row alpha memo and its 1 − α) equals the oracle', () => {
    fc.assert(fc.property(repeating, x => {
      const out = epoch(x)
      const ref = referenceEpoch(x)
      expect(big(out.dividends)).toEqual(ref.dividends)
      expect(out.validatorEmission).toEqual(ref.validatorEmission)
      expect(sorted(out.bondsU16.map(toPairs))).toEqual(ref.bonds)
    }), { numRuns: 400 })
  })

  it('behavior: an epoch fed its own stored bonds (the steady state) equals the oracle', () => {
    fc.assert(fc.property(epochInput(10), x0 => {
      const first = epoch(x0)
      const x = { ...x0, bonds: first.bondsU16.map(toPairs), validatorPermits: first.newValidatorPermits }
      const out = epoch(x)
      const ref = referenceEpoch(x)
      expect(big(out.dividends)).toEqual(ref.dividends)
      expect(out.serverEmission).toEqual(ref.serverEmission)
      expect(out.validatorEmission).toEqual(ref.validatorEmission)
      expect(sorted(out.bondsU16.map(toPairs))).toEqual(ref.bonds)
    }), { numRuns: 300 })
  })
})

describe('yuma liquid alpha on rows not sorted by uid', () => {
  it('behavior: the chain\'s forward-only lookup misses an earlier-listed entry, so its alpha is computed from weight 0', () => {
    // Validator 0 lists miner 2 before miner 1. The chain walks the row with a cursor that only
    // moves forward: at column 1 it has already passed the (2, ·) entry and stops at it, so it
    // finds miner 1's weight only if it comes first. Here it does not: at j = 1 the cursor sits on
    // uid 2 (> 1), weight 0 is used for alpha. With sorted rows the weight is found.
    const base = {
      stake: [1000n, 0n, 0n],
      validatorPermits: [true, false, false],
      lastUpdate: [999, 0, 0],
      blockAtRegistration: [0, 0, 0],
      currentBlock: 1000, // registrations long before the last tempo: the old bonds are kept
      raoEmission: 1_000_000_000n,
      yuma3: true,
      liquidAlpha: true,
      alphaLow: 6553,
      alphaHigh: 58982,
      bonds: [[[1, 30000], [2, 30000]], [], []] as Array<Array<[number, number]>>
    }
    const sortedOut = epoch({ ...base, weights: [[[1, 65535], [2, 32768]], [], []] })
    const unsortedOut = epoch({ ...base, weights: [[[2, 32768], [1, 65535]], [], []] })
    const bond = (o: ReturnType<typeof epoch>, j: number): number | undefined => o.storedBonds[0].find(([c]) => c === j)?.[1]
    // same weights, same consensus: miner 2's bond (found by the cursor in both orders) agrees
    expect(bond(unsortedOut, 2)).toBe(bond(sortedOut, 2))
    // miner 1's alpha differs: computed from weight 0 (d = sell = bond) instead of its weight
    expect(bond(unsortedOut, 1)).not.toBe(bond(sortedOut, 1))
    // and the stored row keeps the validator's order
    expect(unsortedOut.storedBonds[0].map(([c]) => c)).toEqual([2, 1])
  })
})

describe('yuma row shapes', () => {
  it('behavior: compact {uids, values} rows give the same epoch as [uid, u16] pairs', async () => {
    const { fromPairs } = await import('../../src/yuma/index.ts')
    fc.assert(fc.property(epochInput(8), fc.boolean(), (x, reverse) => {
      const rows = (rs: Array<Array<[number, number]>>): Array<Array<[number, number]>> => reverse ? rs.map(r => [...r].reverse()) : rs
      const pairs = { ...x, weights: rows(x.weights), bonds: rows(x.bonds) }
      const typed = { ...pairs, weights: pairs.weights.map(fromPairs), bonds: pairs.bonds.map(fromPairs) }
      const a = epoch(pairs)
      const b = epoch(typed)
      expect(b.dividends).toEqual(a.dividends)
      expect(b.consensus).toEqual(a.consensus)
      expect(b.serverEmission).toEqual(a.serverEmission)
      expect(b.validatorEmission).toEqual(a.validatorEmission)
      expect(b.storedBonds).toEqual(a.storedBonds)
    }), { numRuns: 200 })
  })

  it('behavior: rows viewing one shared uid list (a dense subnet; bonds fed back from an output) give the same epoch as [uid, u16] pairs', async () => {
    const { InvalidEpochInputError, rowEntries } = await import('../../src/yuma/index.ts')
    const matrix = (m: FixedMatrix): Array<Array<[number, number]>> => Array.from({ length: m.rows }, (_, i) => rowEntries(m, i))
    fc.assert(fc.property(epochInput(8), fc.array(fc.integer({ min: 0, max: 65535 }), { minLength: 64, maxLength: 64 }), (x, values) => {
      // every row lists the uids of the widest weights row; its values come from `values`
      const list = [...x.weights.reduce((a, r) => r.length > a.length ? r : a, [])].map(([j]) => j).sort((a, b) => a - b)
      fc.pre(list.length > 0)
      const pairRows = x.stake.map((_, i) => list.map((j, k): [number, number] => [j, values[(i * list.length + k) % 64]]))
      const pairs = { ...x, weights: pairRows, bonds: pairRows }
      // one buffer: each row's uids view the same bytes; bonds use fresh views of them
      const uids = Uint16Array.from(list)
      const typedRows = pairRows.map(r => ({ uids, values: Uint16Array.from(r, ([, v]) => v) }))
      const typed = { ...pairs, weights: typedRows, bonds: typedRows.map(r => ({ uids: new Uint16Array(uids.buffer, 0, uids.length), values: r.values })) }
      const a = epoch(pairs)
      const b = epoch(typed)
      for (const k of ['consensus', 'incentive', 'dividends', 'serverEmission', 'validatorEmission', 'storedBonds'] as const) expect(b[k]).toEqual(a[k])
      expect(matrix(b.weights)).toEqual(matrix(a.weights))
      expect(matrix(b.emaBonds)).toEqual(matrix(a.emaBonds))
      // a row viewing the same uids with fewer values is still refused
      if (x.stake.length > 1) {
        const short = { ...typed, weights: typedRows.map((r, i) => i === 1 ? { uids, values: r.values.subarray(1) } : r) }
        expect(() => epoch(short)).toThrow(InvalidEpochInputError)
      }
    }), { numRuns: 200 })
  })
})
