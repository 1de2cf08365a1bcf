/**
 * Errors raised by the validator core (`src/incentives`). Callers tell them apart by `.name`.
 */

/** A probe report, report batch or round record is malformed (bad field, bad size, bad encoding). */
export class InvalidProbeReportError extends Error {
  static override name = 'InvalidProbeReportError'
  override name = 'InvalidProbeReportError'
}

/** A signed probe report is larger than the size limit, checked before it is decoded. */
export class ProbeReportTooLargeError extends Error {
  static override name = 'ProbeReportTooLargeError'
  override name = 'ProbeReportTooLargeError'
}

/** A signed probe report's signature does not verify under the validator hotkey it names. */
export class InvalidReportSignatureError extends Error {
  static override name = 'InvalidReportSignatureError'
  override name = 'InvalidReportSignatureError'
}

/** Task selection was given an eligible set, seed, nonce or key it cannot use. */
export class InvalidTaskInputError extends Error {
  static override name = 'InvalidTaskInputError'
  override name = 'InvalidTaskInputError'
}

/** A scoring, weight or scheduling policy has a value outside its allowed range. */
export class InvalidPolicyError extends Error {
  static override name = 'InvalidPolicyError'
  override name = 'InvalidPolicyError'
}

/** A weight row cannot satisfy the chain's limits (too few uids for the max weight limit, …). */
export class WeightLimitError extends Error {
  static override name = 'WeightLimitError'
  override name = 'WeightLimitError'
}

/** The scoreboard's datastore holds data of a version this program does not understand. */
export class ScoreboardVersionError extends Error {
  static override name = 'ScoreboardVersionError'
  override name = 'ScoreboardVersionError'
}

/** A probe report arrived for a round the scoreboard has already closed. */
export class RoundClosedError extends Error {
  static override name = 'RoundClosedError'
  override name = 'RoundClosedError'
}

/** The incentives service cannot run as asked (e.g. a role without a chain). */
export class IncentivesSetupError extends Error {
  static override name = 'IncentivesSetupError'
  override name = 'IncentivesSetupError'
}
