/**
 * The helper thread of threads.ts: for each stage message, claims chunks of rows until none is
 * left and runs the named stage on them, over the shared arrays of the message. Posts 'ready'
 * once loaded.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { runChunks } from './threads.ts'
import type { RowStage, StageMessage, StageName } from './threads.ts'
import { weightRows } from './weights.ts'
import { clipRows } from './matrix.ts'
import { bucketRows } from './consensus.ts'
import { dividendRows, emaRows } from './bonds-yuma3.ts'
import { emaAlignedRows, normalizeAlignedRows, scanBondRows } from './bonds.ts'

const STAGES: Record<StageName, RowStage<never>> = {
  weights: weightRows,
  buckets: bucketRows,
  clip: clipRows,
  ema: emaRows,
  dividends: dividendRows,
  scanBonds: scanBondRows,
  emaAligned: emaAlignedRows,
  normalizeAligned: normalizeAlignedRows
}

const ctl = workerData as Int32Array

parentPort?.on('message', (m: StageMessage) => {
  runChunks(ctl, m.gen, m.bounds, STAGES[m.stage], m.args as never, 1)
})
parentPort?.postMessage('ready')
