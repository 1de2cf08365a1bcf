import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { epoch, rowEntries, toPairs } from '../../src/yuma/index.ts'
import type { EpochOutput, FixedMatrix } from '../../src/yuma/index.ts'
import { mul, toU16 } from '../../src/yuma/fixed.ts'
import { epochInput } from './arbitrary.ts'
import type { FullInput } from './arbitrary.ts'
import { referenceEpoch } from './reference.ts'

/*
 * epoch() computes W, W̄, W̃ and E in scratch memory that the next epoch overwrites, and its output
 * rebuilds them on first access. These tests hold an output across other epochs and check that
 * nothing in it changed, the rebuilt matrices included.
 */

const rows = (m: FixedMatrix): Array<Array<[number, number]>> => Array.from({ length: m.rows }, (_, i) => rowEntries(m, i))

/** Every field of an output as plain data (reads the lazy matrices). */
function plain (o: EpochOutput): Record<string, unknown> {
  return {
    ...o,
    weights: rows(o.weights),
    clippedWeights: rows(o.clippedWeights),
    weightsForBonds: rows(o.weightsForBonds),
    emaBonds: rows(o.emaBonds),
    bondsU16: o.bondsU16.map(toPairs)
  }
}

/** A deep copy of the fields computed by epoch() itself (does not read the lazy matrices). */
function eagerCopy (o: EpochOutput): Record<string, unknown> {
  const { weights: _w, clippedWeights: _c, weightsForBonds: _b, emaBonds: _e, storedBonds: _s, ...eager } = Object.getOwnPropertyDescriptors(o)
  return structuredClone(Object.fromEntries(Object.entries(eager).map(([k, d]) => [k, d.value])))
}

/** A dense subnet: `v` validators, each weighting every miner (the same uid list in every row). */
function dense (n: number, v: number, seed: number, yuma3: boolean): FullInput {
  let s = seed
  const rnd = (): number => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0)
  const miners = Array.from({ length: n - v }, (_, k) => v + k)
  return {
    stake: Array.from({ length: n }, (_, i) => i < v ? BigInt(1_000_000 + rnd() % 1_000_000) : 0n),
    weights: Array.from({ length: n }, (_, i) => i < v ? miners.map((j): [number, number] => [j, 1 + rnd() % 65535]) : []),
    bonds: Array.from({ length: n }, (_, i) => i < v ? miners.map((j): [number, number] => [j, rnd() % 65536]) : []),
    validatorPermits: Array.from({ length: n }, (_, i) => i < v),
    lastUpdate: Array.from({ length: n }, () => 100),
    blockAtRegistration: Array.from({ length: n }, () => 0),
    currentBlock: 110,
    raoEmission: 1_000_000_000n,
    tempo: 10,
    activityCutoff: 5000,
    lastMechanismStepBlock: 0,
    kappa: 32767,
    bondsPenalty: 65535,
    bondsMovingAverage: yuma3 ? 975_000 : 900_000,
    yuma3,
    liquidAlpha: yuma3,
    alphaLow: 6553,
    alphaHigh: 19660,
    alphaSigmoidSteepness: 1000,
    maxAllowedValidators: v,
    stakeThreshold: 0n,
    ownerUid: null
  }
}

describe('yuma epoch outputs held across later epochs', () => {
  it('behavior: an output (its rebuilt matrices too) is unchanged by later epochs and equals a fresh computation of its input', () => {
    fc.assert(fc.property(epochInput(10), epochInput(10), fc.boolean(), (a, b, touchFirst) => {
      const outA = epoch(a)
      const before = eagerCopy(outA)
      // read A's matrices before B runs half of the time, after it the other half
      const early = touchFirst ? plain(outA) : undefined
      const outB = epoch(b)
      plain(outB)
      epoch(b) // once more, so that every scratch slot is written again
      expect(eagerCopy(outA)).toEqual(before)
      const held = plain(outA) // read before A runs again below
      const fresh = plain(epoch(a))
      expect(held).toEqual(fresh)
      if (early !== undefined) expect(early).toEqual(fresh)
    }), { numRuns: 300 })
  })

  it('behavior: the rebuilt matrices are the ones the epoch computed its other outputs from', () => {
    fc.assert(fc.property(epochInput(10), epochInput(10), (a, b) => {
      const out = epoch(a)
      epoch(b)
      const s = out.activeStake
      // validator trust = row sums of W̄; ranks = A·W̄; pre-ranks = A·W (sums of exact products)
      const rank = new Array<number>(out.n).fill(0)
      const pre = new Array<number>(out.n).fill(0)
      for (let i = 0; i < out.n; i++) {
        let t = 0
        for (const [j, w] of rowEntries(out.clippedWeights, i)) { t += w; rank[j] += mul(s[i], w) }
        for (const [j, w] of rowEntries(out.weights, i)) pre[j] += mul(s[i], w)
        expect(out.validatorTrust[i]).toBe(t)
      }
      expect(out.ranks).toEqual(rank)
      expect(out.prerank).toEqual(pre)
      // Yuma 3 stores floor(E·65535) for the rows of new permits
      if (a.yuma3) {
        for (let i = 0; i < out.n; i++) {
          if (!out.newValidatorPermits[i]) continue
          expect(toPairs(out.bondsU16[i])).toEqual(rowEntries(out.emaBonds, i).map(([j, e]) => [j, toU16(e)]))
        }
      }
    }), { numRuns: 300 })
  })

  it('behavior: dense subnets (every row the same uids, stored bonds sharing uid lists) equal the oracle, step after step', () => {
    for (const yuma3 of [false, true]) {
      let x = dense(40, 6, yuma3 ? 7 : 3, yuma3)
      const outs: Array<[EpochOutput, Record<string, unknown>]> = []
      for (let step = 0; step < 3; step++) {
        const out = epoch(x)
        const ref = referenceEpoch(x)
        expect(out.dividends.map(BigInt)).toEqual(ref.dividends)
        expect(out.bondsU16.map(toPairs)).toEqual(ref.bonds)
        // the computed rows list the same uids: one uid list, shared
        expect(out.bondsU16[1].uids.byteOffset).toBe(out.bondsU16[0].uids.byteOffset)
        outs.push([out, plain(out)])
        x = { ...x, bonds: out.bondsU16.map(toPairs), weights: dense(40, 6, step + 11, yuma3).weights }
      }
      // every earlier output still reads the same after the later epochs
      for (const [out, seen] of outs) expect(plain(out)).toEqual(seen)
    }
  })
})
