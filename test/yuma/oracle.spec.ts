import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { epoch, toPairs } from '../../src/yuma/index.ts'
import { epochInput } from './arbitrary.ts'
import { referenceEpoch } from './reference.ts'

const big = (xs: number[]): bigint[] => xs.map(BigInt)
const sorted = (rows: Array<Array<[number, number]>>): Array<Array<[number, number]>> => rows.map(r => [...r].sort((a, b) => a[0] - b[0]))

describe('yuma epoch against the dense reference', () => {
  it('behavior: epoch() equals the slow dense bigint oracle on random subnets, bit for bit', () => {
    fc.assert(fc.property(epochInput(8), x => {
      const out = epoch(x)
      const ref = referenceEpoch(x)
      expect(out.active).toEqual(ref.active)
      expect(out.newValidatorPermits).toEqual(ref.newValidatorPermits)
      expect(big(out.stake)).toEqual(ref.stake)
      expect(big(out.activeStake)).toEqual(ref.activeStake)
      expect(big(out.consensus)).toEqual(ref.consensus)
      expect(big(out.validatorTrust)).toEqual(ref.validatorTrust)
      expect(big(out.incentive)).toEqual(ref.incentive)
      expect(big(out.dividends)).toEqual(ref.dividends)
      expect(out.serverEmission).toEqual(ref.serverEmission)
      expect(out.validatorEmission).toEqual(ref.validatorEmission)
      expect(out.combinedEmission).toEqual(ref.combinedEmission)
      expect(sorted(out.bondsU16.map(toPairs))).toEqual(ref.bonds)
    }), { numRuns: 400 })
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
