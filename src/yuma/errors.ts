/**
 * Named errors of the Yuma kernel. Callers tell them apart by `err.name`.
 */

/** An epoch input has the wrong shape: lengths that disagree, rows that are not arrays, … */
export class InvalidEpochInputError extends Error {
  static override name = 'InvalidEpochInputError'
  override name = 'InvalidEpochInputError'
}

/** A value is outside the range the chain's storage type allows (u16, u64, block numbers, …). */
export class EpochValueRangeError extends Error {
  static override name = 'EpochValueRangeError'
  override name = 'EpochValueRangeError'
}

/** A hyperparameter is outside the range the chain accepts. */
export class InvalidYumaParamsError extends Error {
  static override name = 'InvalidYumaParamsError'
  override name = 'InvalidYumaParamsError'
}

/** A vectors-format document (a case, a sequence, a whole vectors file) cannot be read. */
export class InvalidVectorsError extends Error {
  static override name = 'InvalidVectorsError'
  override name = 'InvalidVectorsError'
}
