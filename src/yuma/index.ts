/**
 * @packageDocumentation
 *
 * Yuma consensus: one subnet epoch, bit-exact with the subtensor chain's fixed-point arithmetic.
 * Pure and deterministic: no I/O, no clock, no randomness, no floating point in the result path.
 * This is the kernel; test vectors, plotting and the helper-thread switch are in
 * `agora/yuma/tools` (at full subnet size the row-wise stages are split with a helper thread; the
 * bits are the same on one thread).
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

// The epoch, a sequence of epochs that feeds bonds back, and the coinbase split of a block's emission.
export { epoch } from './epoch.ts'
export { runSequence } from './sequence.ts'
export { coinbaseSplit } from './coinbase.ts'
export type { EpochInput, EpochOutput, EpochU16, SparseRowInput, SparseU16Row, U16Row, YumaParams } from './types.ts'
export type { SequenceStep } from './sequence.ts'
export type { CoinbaseSplit, CoinbaseSplitOptions } from './coinbase.ts'

// Hyperparameters and limits: the chain's defaults, defaults filled in and checked, the largest subnet.
export { DEFAULT_PARAMS, resolveParams } from './params.ts'
export { MAX_UIDS } from './input.ts'

// Reading the output: I32F32 proportions (one = 2³²) and the sparse rows and matrices it holds.
export { ONE as FIXED_ONE, toFloat, toU16 } from './fixed.ts'
export { toPairs, fromPairs } from './rows.ts'
export { rowEntries } from './matrix.ts'
export type { Fixed } from './types.ts'
export type { FixedMatrix } from './matrix.ts'

// The errors, told apart by `err.name`.
export { InvalidEpochInputError, EpochValueRangeError, InvalidYumaParamsError } from './errors.ts'
