/**
 * The validator core: task selection, probe outcomes, signed probe reports, scoring, weight
 * rows, commit-reveal and the scoreboard. Everything here except the scoreboard is pure; the
 * network prober (prober.ts), the adapters to the ledger and market (adapters.ts) and the
 * daemon service with the miner and validator roles (service.ts) build on it.
 *
 * @example
 * ```ts
 * const board = new Scoreboard({ datastore }, { validatorHotkey })
 * await board.start()
 * for (const report of signedReports) await board.record(report)
 * const { batches } = await board.closeRound(round)
 * const row = board.weightRow(uidOfHotkey, { subnetN, selfUid })
 * ```
 */
export { commitHash, epochIndex, firstBlockOfEpoch, weightAction } from './commit-reveal.ts'
export type { CommitHashInput, WeightAction, WeightScheduleInput } from './commit-reveal.ts'
export {
  MAX_REPORT_BATCH_BYTES, MAX_ROUND_RECORD_BYTES, MAX_SIGNED_REPORT_BYTES, NONCE_COMMITMENT_DOMAIN, PROBE_REPORT_DOMAIN,
  ROUND_RECORD_DOMAIN, TASK_RANGE_DOMAIN
} from './constants.ts'
export {
  IncentivesSetupError, InvalidPolicyError, InvalidProbeReportError, InvalidReportSignatureError, InvalidTaskInputError,
  ProbeReportTooLargeError, RoundClosedError, ScoreboardVersionError, WeightLimitError
} from './errors.ts'
export { createReportBatch, encodeProbeResult, openProbeReport, openReportBatch, reportSigningBytes, signProbeReport } from './probe-report.ts'
export type { ReportBatch, SignedProbeReport } from './probe-report.ts'
export { assertProbeResult, DEFAULT_PROBE_LIMITS, isResultCode, onlineEvidence, Outcome, OUTCOME_OF, probeDeadlines, ResultCode, transferThroughput } from './probe-result.ts'
export type { ProbeLimits, ProbeOutcome, ProbeResult, ProbeResultCode } from './probe-result.ts'
export { DEFAULT_INTEGRITY_POLICY, DEFAULT_ONLINE_POLICY, integrityFactor, integrityReputation, onlineFactor, onlineScore } from './reputation.ts'
export type { IntegrityPolicy, IntegrityState, OnlinePolicy, OnlineWindow } from './reputation.ts'
export { auditRound, openRoundRecord, signRoundRecord } from './round-record.ts'
export { ReportArchive } from './report-archive.ts'
export type { PublishedBatch, ReportArchiveComponents } from './report-archive.ts'
export type { AuditResult, AuditRoundInput, RoundRecord } from './round-record.ts'
export { Scoreboard, scoreboard } from './scoreboard.ts'
export type { ClosedRound, MinerReport, ScoreboardComponents, ScoreboardInit } from './scoreboard.ts'
export { assertScorePolicy, DEFAULT_SCORE_POLICY, initialMinerState, latencyFactor, scoreRound, smooth, throughputFactor, wilsonLowerBound, windowScore } from './score.ts'
export type { MinerState, RoundTally, ScoreBreakdown, ScorePolicy } from './score.ts'
export { drawRange, eligibleTasks, nonceCommitment, selectTasks, taskKey, tuneK, verifyNonceReveal } from './tasks.ts'
export type { EligibleEntry, ProbeTask, SelectTasksInput, TuneKInput } from './tasks.ts'
export { checkMaxWeightLimit, maxUpscale, weightRow } from './weights.ts'
export type { UidScore, WeightRow, WeightRowInput } from './weights.ts'
export { Validator, validator } from './validator.ts'
export type { RoundOutcome, ValidatorComponents, ValidatorInit } from './validator.ts'
export type { ChainView, EligibleSource, NeuronView, Prober, SubnetWeightParams, WeightSubmitter } from './validator-types.ts'
export { NetworkProber, networkProber } from './prober.ts'
export type { NetworkProberComponents, NetworkProberInit } from './prober.ts'
export { rangeStep } from './range-walk.ts'
export type { RangeBlock, RangeStep } from './range-walk.ts'
export { HotkeyTxQueue, ledgerChainView, ledgerWeightSubmitter, marketEligibleSource, peerIdOfHotkey } from './adapters.ts'
export type { MarketEligibleComponents, MarketEligibleInit } from './adapters.ts'
export { INCENTIVES, IncentivesService, incentivesService } from './service.ts'
export type { IncentivesComponents, IncentivesServiceInit, IncentivesStatus, MinerFigures, Role } from './service.ts'
