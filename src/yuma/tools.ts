/**
 * @packageDocumentation
 *
 * The tools around the Yuma kernel (`agora/yuma`), kept out of it so the kernel's surface is the
 * epoch and what a caller of it needs: reading and checking test vectors (vectors.ts), an SVG
 * plot of a sequence of epochs, and the switch for the helper thread that splits the row-wise
 * stages of a full-size epoch (the bits are the same on one thread). `agora yuma` is built on
 * these.
 *
 * @example
 * ```ts
 * import { checkCaseOutput, parseVectors, runCase } from 'agora/yuma/tools'
 * const doc = parseVectors(JSON.parse(text))
 * for (const c of doc.cases) {
 *   const check = checkCaseOutput(c, runCase(c), doc.defaultTolerance)
 *   if (check.failures.length > 0) console.error(check.name, check.failures)
 * }
 * ```
 */

// Test vectors: parse a document, run a case, check it against its expected values, report an epoch as JSON.
export { parseVectors, runCase, reportEpoch } from './vectors.ts'
export { checkCaseOutput } from './vectors-check.ts'
export { InvalidVectorsError } from './errors.ts'
export type { CaseKind, CaseOutput, EpochReport, VectorCase, VectorsDocument } from './vectors.ts'
export type { CaseCheck } from './vectors-check.ts'

// Plotting: incentive and dividends per uid across epochs, as an SVG document.
export { plotSvg } from './plot.ts'
export type { PlotOptions } from './plot.ts'

// The helper thread: how many threads epochs use, and starting/stopping the helper.
export { setYumaThreads, startYumaHelper, stopYumaHelper } from './threads.ts'
