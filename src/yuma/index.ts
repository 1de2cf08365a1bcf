/**
 * @packageDocumentation
 *
 * Yuma consensus: one subnet epoch, bit-exact with the subtensor chain's fixed-point arithmetic
 * (yuma.md). Pure and deterministic: no I/O, no clock, no randomness, no floating point in the
 * result path. At full subnet size the row-wise stages are split with a helper thread (see
 * `setYumaThreads`); the bits are the same on one thread.
 *
 * @example
 * ```ts
 * import { epoch } from 'agora/yuma'
 * const out = epoch({
 *   stake: [1_000_000_000n, 0n], weights: [[[1, 65535]], []], validatorPermits: [true, false],
 *   lastUpdate: [10, 0], blockAtRegistration: [0, 0], currentBlock: 20, raoEmission: 1_000_000_000n
 * })
 * out.serverEmission    // [0n, 500000000n]: the miner's incentive
 * out.validatorEmission // [500000000n, 0n]: the validator's dividends
 * out.storedBonds       // feed back as `bonds` next epoch, with `newValidatorPermits` as `validatorPermits`
 * ```
 */
export { epoch } from './epoch.ts'
export { runSequence } from './sequence.ts'
export { coinbaseSplit } from './coinbase.ts'
export { DEFAULT_PARAMS, resolveParams } from './params.ts'
export { MAX_UIDS } from './input.ts'
export { ONE as FIXED_ONE, toFloat, toU16 } from './fixed.ts'
export { parseVectors, parseEpochInputJson, runCase, reportEpoch, weightedMedianColBatch } from './vectors.ts'
export { checkCaseOutput, withDrift } from './vectors-check.ts'
export { plotSvg } from './plot.ts'
export { setYumaThreads, startYumaHelper, stopYumaHelper } from './threads.ts'
export type { PlotOptions } from './plot.ts'
export { InvalidEpochInputError, EpochValueRangeError, InvalidYumaParamsError, InvalidVectorsError } from './errors.ts'
export { toPairs, fromPairs } from './rows.ts'
export type { EpochInput, EpochOutput, EpochU16, Fixed, SparseRowInput, SparseU16Row, U16Row, YumaParams } from './types.ts'
export type { SequenceStep } from './sequence.ts'
export type { CoinbaseSplit, CoinbaseSplitOptions } from './coinbase.ts'
export { rowEntries } from './matrix.ts'
export type { FixedMatrix } from './matrix.ts'
export type { CaseKind, CaseOutput, EpochReport, VectorCase, VectorsDocument, WeightedMedianCase } from './vectors.ts'
export type { CaseCheck } from './vectors-check.ts'
