/**
 * Cheating does not pay, for validators: one that puts all its weight on a single miner against
 * the majority is clipped by consensus and earns less in dividends than the honest ones, over
 * epochs with bonds carried forward (Yuma 2 and Yuma 3), through the same epoch function the
 * ledger runs.
 *
 * The subnet: validators 0, 1, 2 with equal stake; miners 3..7. Validators 0 and 1 score the
 * miners as a validator would (3, 4, 5 serve well, 6 serves corrupt bytes: 0, 7 is offline half
 * the time: half weight). Validator 2 gives all its weight to miner 7.
 *
 * What subtensor's epoch rules say should happen (consensus, clipping, bonds): with κ = ½, the
 * consensus weight of a miner is the stake-weighted median of the validators' weights on it. Two
 * thirds of the stake put the honest weight on miner 7, so its consensus is that weight, and the
 * outlier's weight above it is clipped: validator 2 keeps only C_7 of its row (validator trust <
 * 1), while the honest rows are kept whole (trust 1 up to I32F32 rounding). Bonds follow the
 * clipped weights, and dividends are bonds × incentive: validator 2 holds a bond share only in
 * miner 7's column, a miner with a modest incentive, so it earns less than each honest validator,
 * and less than the third of the dividends it would earn with the honest row (three equal stakes,
 * equal rows). Miner 7 gets no more incentive than an honest, always-online miner.
 */
import { describe, expect, it } from 'vitest'
import { runSequence } from '../../src/yuma/index.ts'
import type { EpochInput } from '../../src/yuma/index.ts'

const TAO = 1_000_000_000n
const ONE = 2 ** 32 // I32F32 1.0
const honestRow: Array<[number, number]> = [[3, 65535], [4, 65535], [5, 65535], [6, 0], [7, 32768]]
const outlierRow: Array<[number, number]> = [[7, 65535]]

function subnet (yuma3: boolean, thirdRow: Array<[number, number]>): Partial<EpochInput> {
  return {
    stake: [1000n * TAO, 1000n * TAO, 1000n * TAO, 0n, 0n, 0n, 0n, 0n],
    weights: [honestRow, honestRow, thirdRow, [], [], [], [], []],
    validatorPermits: [true, true, true, false, false, false, false, false],
    lastUpdate: Array(8).fill(100),
    blockAtRegistration: Array(8).fill(0),
    raoEmission: 1000n * TAO,
    yuma3,
    liquidAlpha: yuma3
  }
}

describe('an outlier validator', () => {
  for (const yuma3 of [false, true]) {
    it(`behavior: all weight on one miner against the majority is clipped and earns less (${yuma3 ? 'Yuma 3 + liquid alpha' : 'Yuma 2'})`, () => {
      // three epochs, one tempo (360 blocks) apart, bonds and permits carried forward
      const steps = Array.from({ length: 3 }, (_, e) => ({ currentBlock: 460 + 360 * e }))
      const epochs = runSequence(subnet(yuma3, outlierRow), steps)
      const honest = runSequence(subnet(yuma3, honestRow), steps)
      for (const [e, out] of epochs.entries()) {
        // clipped to the consensus on miner 7: the outlier keeps well under its whole row
        expect(out.validatorTrust[2]).toBeLessThan(0.5 * ONE)
        // the honest rows sit at the consensus: kept whole, up to the fixed-point rounding
        expect(out.validatorTrust[0]).toBeGreaterThan(0.999 * ONE)
        expect(out.validatorTrust[1]).toBe(out.validatorTrust[0])
        // the corrupt miner earns nothing; the half-online one less than an honest one
        expect(out.serverEmission[6]).toBe(0n)
        expect(out.serverEmission[7]).toBeLessThan(out.serverEmission[3])
        // dividends: below each honest validator's, and below half of what the honest row earns it
        expect(out.validatorEmission[0]).toBe(out.validatorEmission[1])
        expect(out.validatorEmission[2]).toBeLessThan(out.validatorEmission[0])
        expect(out.validatorEmission[2] * 2n).toBeLessThan(honest[e].validatorEmission[2])
        // with three equal honest rows, each validator earns a third of the validators' half
        const third = honest[e].validatorEmission.slice(0, 3).reduce((a, b) => a + b, 0n) / 3n
        for (const v of honest[e].validatorEmission.slice(0, 3)) expect(v - third <= 1n && third - v <= 1n).toBe(true)
      }
    })
  }
})
