import { describe, expect, it } from 'vitest'
import { coinbaseSplit, epoch, runSequence } from '../../src/yuma/index.ts'
import { parseVectors } from '../../src/yuma/tools.ts'
import type { EpochInput } from '../../src/yuma/index.ts'

const ok: EpochInput = {
  stake: [10n, 0n],
  weights: [[[1, 65535]], []],
  validatorPermits: [true, false],
  lastUpdate: [5, 0],
  blockAtRegistration: [0, 0],
  currentBlock: 10,
  raoEmission: 1_000_000_000n
}

function failure (f: () => unknown): string {
  try {
    f()
  } catch (err) {
    return `${(err as Error).name}: ${(err as Error).message}`
  }
  throw new Error('expected an error')
}

describe('yuma input checks', () => {
  it('default: a valid input runs', () => {
    expect(epoch(ok).serverEmission).toEqual([0n, 500_000_000n])
  })

  it('behavior: shapes are checked with named errors', () => {
    expect(failure(() => epoch({ ...ok, weights: [[[1, 65535]]] }))).toMatchInlineSnapshot('"InvalidEpochInputError: weights has 1 rows, expected 2 (one per uid)"')
    expect(failure(() => epoch({ ...ok, lastUpdate: [5] }))).toMatchInlineSnapshot('"InvalidEpochInputError: lastUpdate has length 1, expected 2 (one per uid)"')
    expect(failure(() => epoch({ ...ok, weights: [[[1, 1], [1, 2]], []] }))).toMatchInlineSnapshot('"InvalidEpochInputError: weights[0] lists uid 1 twice"')
    expect(failure(() => epoch({ ...ok, bonds: [[[1]], []] as unknown as EpochInput['bonds'] }))).toMatchInlineSnapshot('"InvalidEpochInputError: bonds[0][0] must be a [uid, u16] pair"')
    expect(failure(() => epoch({ ...ok, stake: Array.from({ length: 4097 }, () => 0n) }))).toMatchInlineSnapshot('"InvalidEpochInputError: a subnet has at most 4096 uids, got 4097"')
    expect(failure(() => epoch(null as unknown as EpochInput))).toMatchInlineSnapshot('"InvalidEpochInputError: epoch input must be an object"')
    const typed = (uids: number[], values: number[]): { uids: Uint16Array, values: Uint16Array } => ({ uids: Uint16Array.from(uids), values: Uint16Array.from(values) })
    expect(failure(() => epoch({ ...ok, weights: [typed([1, 1], [5, 6]), typed([], [])] }))).toMatchInlineSnapshot('"InvalidEpochInputError: weights[0] lists uid 1 twice"')
    expect(failure(() => epoch({ ...ok, weights: [typed([0, 2], [5, 6]), typed([], [])] }))).toMatchInlineSnapshot('"EpochValueRangeError: weights[0][1]: uid must be in [0, 1], got 2"')
    expect(failure(() => epoch({ ...ok, weights: [typed([1], [5, 6]), typed([], [])] }))).toMatchInlineSnapshot('"InvalidEpochInputError: weights[0]: uids and values differ in length"')
  })

  it('behavior: ranges are checked with named errors', () => {
    expect(failure(() => epoch({ ...ok, weights: [[[1, 65536]], []] }))).toMatchInlineSnapshot('"EpochValueRangeError: weights[0][0]: value must be a u16, got 65536"')
    expect(failure(() => epoch({ ...ok, weights: [[[2, 1]], []] }))).toMatchInlineSnapshot('"EpochValueRangeError: weights[0][0]: uid must be in [0, 1], got 2"')
    expect(failure(() => epoch({ ...ok, stake: [-1n, 0n] }))).toMatchInlineSnapshot('"EpochValueRangeError: stake[0] must be a bigint in [0, 2^63-1], got -1"')
    expect(failure(() => epoch({ ...ok, stake: [10, 0] as unknown as bigint[] }))).toMatchInlineSnapshot('"EpochValueRangeError: stake[0] must be a bigint in [0, 2^63-1], got 10"')
    expect(failure(() => epoch({ ...ok, raoEmission: 1n << 64n }))).toMatchInlineSnapshot('"EpochValueRangeError: raoEmission must be a bigint in [0, 2^64-1], got 18446744073709551616"')
    expect(failure(() => epoch({ ...ok, currentBlock: -1 }))).toMatchInlineSnapshot('"EpochValueRangeError: currentBlock must be a non-negative safe integer, got -1"')
    expect(failure(() => epoch({ ...ok, ownerUid: 2 }))).toMatchInlineSnapshot('"EpochValueRangeError: ownerUid must be a uid in [0, 1] or null, got 2"')
    expect(failure(() => epoch({ ...ok, validatorPermits: [1, 0] as unknown as boolean[] }))).toMatchInlineSnapshot('"EpochValueRangeError: validatorPermits[0] must be a boolean, got 1"')
  })

  it('behavior: hyperparameters are checked with named errors', () => {
    expect(failure(() => epoch({ ...ok, kappa: 70000 }))).toMatchInlineSnapshot('"InvalidYumaParamsError: kappa must be an integer in [0, 65535], got 70000"')
    expect(failure(() => epoch({ ...ok, bondsMovingAverage: 1_000_001 }))).toMatchInlineSnapshot('"InvalidYumaParamsError: bondsMovingAverage must be an integer in [0, 1000000], got 1000001"')
    expect(failure(() => epoch({ ...ok, alphaLow: 60000, alphaHigh: 50000 }))).toMatchInlineSnapshot('"InvalidYumaParamsError: alphaLow (60000) must not exceed alphaHigh (50000)"')
    expect(failure(() => epoch({ ...ok, yuma3: 'yes' as unknown as boolean }))).toMatchInlineSnapshot('"InvalidYumaParamsError: yuma3 must be a boolean, got yes"')
    expect(failure(() => epoch({ ...ok, stakeThreshold: -1n }))).toMatchInlineSnapshot('"InvalidYumaParamsError: stakeThreshold must be a bigint in [0, 2^64-1], got -1"')
  })

  it('behavior: sequences, coinbase and vectors documents are checked', () => {
    expect(failure(() => runSequence(ok, [{ clearBondRows: [5] }]))).toMatchInlineSnapshot('"InvalidEpochInputError: step 0: clearBondRows lists 5, not a uid"')
    expect(failure(() => coinbaseSplit(-1n))).toMatchInlineSnapshot('"EpochValueRangeError: alphaOut must be a bigint in [0, 2^64-1], got -1"')
    expect(failure(() => parseVectors([]))).toMatchInlineSnapshot('"InvalidVectorsError: a vectors document must be a JSON object"')
    expect(failure(() => parseVectors({ cases: [{ kind: 'nope' }] }))).toMatchInlineSnapshot('"InvalidVectorsError: case 0: unknown kind nope"')
    expect(failure(() => parseVectors({ hello: 1 }))).toMatchInlineSnapshot('"InvalidVectorsError: expected {cases: [...]}, a case {kind, input}, an epoch input {stake, ...} or a sequence {initial, steps}"')
  })

  it('behavior: a bad input changes nothing the caller passed in', () => {
    const input = structuredClone(ok)
    expect(() => epoch({ ...input, kappa: -1 })).toThrow()
    expect(input).toEqual(ok)
  })
})
