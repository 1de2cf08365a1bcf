import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { checkMaxWeightLimit, maxUpscale, weightRow } from '../../src/incentives/weights.ts'

const scoresArb = fc.array(fc.double({ min: 0, max: 10, noNaN: true, noDefaultInfinity: true }), { minLength: 1, maxLength: 40 })
const rowOf = (scores: number[], extra: Partial<Parameters<typeof weightRow>[0]> = {}): ReturnType<typeof weightRow> =>
  weightRow({ scores: scores.map((score, uid) => ({ uid, score })), subnetN: scores.length, ...extra })

describe('weights', () => {
  it('default: scores become a max-upscaled u16 row, uids ascending', () => {
    // 1·65535/4 = 16383.75 → 16384; 2·65535/4 = 32767.5 → 32768 (ties away from zero).
    expect(rowOf([1, 2, 4, 0])).toEqual({ uids: [0, 1, 2, 3], values: [16384, 32768, 65535, 0] })
  })

  it('behavior: the chain max-upscale rounds half away from zero and is the identity on our rows', () => {
    expect(maxUpscale([1, 2])).toEqual([32768, 65535])
    expect(maxUpscale([0, 0])).toEqual([0, 0])
    expect(maxUpscale([3, 65535])).toEqual([3, 65535])
    fc.assert(fc.property(scoresArb, scores => {
      const { values } = rowOf(scores)
      expect(maxUpscale(values)).toEqual(values)
    }), { numRuns: 300 })
  })

  it('behavior: max is 65535 when any score is positive, order is preserved, all-zero stays zero', () => {
    fc.assert(fc.property(scoresArb, scores => {
      const { values } = rowOf(scores)
      const anyPositive = scores.some(s => Math.floor(s * 2 ** 32) > 0)
      expect(Math.max(...values)).toBe(anyPositive ? 65535 : 0)
      for (let i = 0; i < scores.length; i++) {
        expect(Number.isInteger(values[i]) && values[i] >= 0 && values[i] <= 65535).toBe(true)
        for (let j = 0; j < scores.length; j++) {
          if (scores[i] > scores[j]) expect(values[i]).toBeGreaterThanOrEqual(values[j])
        }
      }
    }), { numRuns: 300 })
    expect(rowOf([0, 0, 0]).values).toEqual([0, 0, 0])
  })

  it('behavior: the max weight limit is met by raising the smaller weights', () => {
    // Natural row [65535, 16384]: the top share 0.8 exceeds 45875/65535 ≈ 0.7. The chain needs
    // 65535² ≤ 45875·Σv, so Σv ≥ ceil(4294836225/45875) = 93621 and the second is 28086.
    expect(rowOf([4, 1], { maxWeightsLimit: 45875 }).values).toEqual([65535, 28086])
    // One positive score cannot reach a 1/3 cap alone: Σv ≥ 196605 gives each of the three
    // zero-score uids ceil((196605 − 65535)/3) = 43690.
    expect(rowOf([1, 0, 0, 0], { maxWeightsLimit: 21845 }).values).toEqual([65535, 43690, 43690, 43690])
    expect(() => rowOf([1, 0], { maxWeightsLimit: 21845 })).toThrow(expect.objectContaining({ name: 'WeightLimitError' }))
    fc.assert(fc.property(scoresArb.filter(s => s.length >= 4), fc.integer({ min: 16384, max: 65535 }), (scores, limit) => {
      const { values } = rowOf(scores, { maxWeightsLimit: limit })
      expect(checkMaxWeightLimit(values, limit)).toBe(true)
      for (let i = 0; i < scores.length; i++) {
        for (let j = 0; j < scores.length; j++) {
          if (scores[i] > scores[j]) expect(values[i]).toBeGreaterThanOrEqual(values[j])
        }
      }
    }), { numRuns: 200 })
  })

  it('behavior: the own uid is left out and the row is padded with zeros to min allowed weights', () => {
    const row = weightRow({ scores: [{ uid: 4, score: 1 }, { uid: 2, score: 0.5 }, { uid: 0, score: 3 }], subnetN: 8, selfUid: 0, minAllowedWeights: 5 })
    // uid 0 is self; 2 and 4 are scored; 1, 3 and 5 are the lowest unlisted uids, added as zeros.
    expect(row).toEqual({ uids: [1, 2, 3, 4, 5], values: [0, 32768, 0, 65535, 0] })
  })

  it('behavior: bad input is rejected with a named error', () => {
    expect(() => weightRow({ scores: [{ uid: 3, score: 1 }], subnetN: 3 })).toThrow(RangeError)
    expect(() => weightRow({ scores: [{ uid: 0, score: 1 }, { uid: 0, score: 2 }], subnetN: 3 })).toThrow(RangeError)
    expect(() => weightRow({ scores: [{ uid: 0, score: -1 }], subnetN: 3 })).toThrow(RangeError)
    expect(() => weightRow({ scores: [{ uid: 0, score: Number.NaN }], subnetN: 3 })).toThrow(RangeError)
    expect(() => weightRow({ scores: [], subnetN: 3, maxWeightsLimit: 0 })).toThrow(expect.objectContaining({ name: 'InvalidPolicyError' }))
  })
})
