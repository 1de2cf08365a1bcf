import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { consensusColumns, participants } from '../../src/yuma/consensus.ts'
import { proportion } from '../../src/yuma/bonds-yuma3.ts'
import { ONE, U16_MAX, div } from '../../src/yuma/fixed.ts'
import { MatrixBuilder } from '../../src/yuma/matrix.ts'
import { weightedMedianColSparse } from '../../src/yuma/weighted-median.ts'
import type { FixedMatrix } from '../../src/yuma/matrix.ts'

/**
 * Scores that collide often (a handful of values, 0 among them) or spread over the whole I32F32
 * range, so that ties, zero scores, single-valued columns and many-bucket columns all occur.
 */
const score = fc.oneof(
  fc.constantFrom(0, 1, 7, ONE >> 1, ONE - 1, ONE),
  fc.integer({ min: 0, max: ONE }),
  fc.integer({ min: 1000, max: 1040 })
)

/** A sparse score matrix of `rows` rows over `cols` columns (each row ascending, present or absent per column). */
const matrix = (rows: number, cols: number): fc.Arbitrary<FixedMatrix> =>
  fc.array(fc.array(fc.option(score, { nil: undefined }), { minLength: cols, maxLength: cols }), { minLength: rows, maxLength: rows })
    .map(dense => {
      const b = new MatrixBuilder(rows, 0)
      for (const r of dense) {
        r.forEach((v, j) => { if (v !== undefined) b.push(j, v) })
        b.endRow()
      }
      return b.done()
    })

/** Stakes as the epoch's active stake: I32F32 bits, zero for non-participants, ties frequent. */
const stakes = (rows: number): fc.Arbitrary<number[]> =>
  fc.array(fc.oneof(fc.constant(0), fc.constantFrom(1, 1000, ONE >> 2), fc.integer({ min: 0, max: ONE })), { minLength: rows, maxLength: rows })

const kappa = fc.oneof(fc.constantFrom(0, 32767, 32768, 65535), fc.integer({ min: 0, max: 65535 })).map(k => div(k, U16_MAX))

describe('yuma consensus', () => {
  it('behavior: the bucketed median equals the chain\'s partition search (weighted_median_col_sparse) bit for bit', () => {
    // the partition search is the chain's algorithm step for step; the bucketed one must return
    // the same score for every column, including ties at the minority, zero-stake participants,
    // columns nobody scores, κ = 0 and κ = 1
    const input = fc.record({ rows: fc.integer({ min: 1, max: 40 }), cols: fc.integer({ min: 1, max: 12 }) })
      .chain(({ rows, cols }) => fc.tuple(stakes(rows), matrix(rows, cols), fc.constant(cols), kappa))
    fc.assert(fc.property(input, ([a, w, cols, k]) => {
      const stake = Float64Array.from(a)
      const expected = weightedMedianColSparse(stake, w, cols, k)
      expect(Array.from(consensusColumns(stake, w, cols, k))).toEqual(Array.from(expected))
    }), { numRuns: 3000 })
  })

  it('behavior: knife edges, where a prefix of the column\'s stake equals the minority exactly, resolve as the partition search does', () => {
    // κ is set to Σstake − (the stake of a random subset of participants), so that P≤(v) = minority
    // holds exactly for some score v: the strict `>` of the chain decides, and one more or one
    // less unit of stake moves the answer to the next score
    const input = fc.record({ rows: fc.integer({ min: 1, max: 30 }), cols: fc.integer({ min: 1, max: 6 }) })
      .chain(({ rows, cols }) => fc.tuple(stakes(rows), matrix(rows, cols), fc.constant(cols), fc.array(fc.boolean(), { minLength: rows, maxLength: rows }), fc.integer({ min: -1, max: 1 })))
    fc.assert(fc.property(input, ([a, w, cols, subset, nudge]) => {
      const stake = Float64Array.from(a)
      const p = participants(stake, 0)
      const part = Array.from(p.stake).reduce((acc, s, i) => acc + (subset[i] ? s : 0), 0)
      const k = Math.max(0, p.stakeSum - part + nudge)
      const expected = weightedMedianColSparse(stake, w, cols, k)
      expect(Array.from(consensusColumns(stake, w, cols, k))).toEqual(Array.from(expected))
    }), { numRuns: 3000 })
  })

  it('behavior: a full column of distinct scores (many buckets) matches the partition search', () => {
    // 300 participants scoring one column with distinct values: the histogram has all its buckets in use
    fc.assert(fc.property(fc.array(fc.integer({ min: 1, max: ONE }), { minLength: 300, maxLength: 300 }), fc.array(fc.integer({ min: 1, max: 2 ** 24 }), { minLength: 300, maxLength: 300 }), kappa, (scores, st, k) => {
      const b = new MatrixBuilder(300, 300)
      for (const v of scores) { b.push(0, v); b.endRow() }
      const w = b.done()
      const stake = Float64Array.from(st)
      expect(Array.from(consensusColumns(stake, w, 1, k))).toEqual(Array.from(weightedMedianColSparse(stake, w, 1, k)))
    }), { numRuns: 300 })
  })
})

describe('yuma u16 proportions', () => {
  it('behavior: proportion(u) equals u16_proportion_to_fixed, trunc(u·2³²/65535), for every u16', () => {
    const wrong: number[] = []
    for (let u = 0; u <= U16_MAX; u++) if (proportion(u) !== div(u, U16_MAX)) wrong.push(u)
    expect(wrong).toEqual([])
    // the two ends, by hand: 0 and exactly 1.0
    expect(proportion(0)).toBe(0)
    expect(proportion(U16_MAX)).toBe(ONE)
  })
})
