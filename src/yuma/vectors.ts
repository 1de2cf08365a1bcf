/**
 * The vectors format (the root README, "Yuma consensus"): reading cases from JSON into typed inputs, running them, and
 * reporting outputs in a JSON-friendly shape. Floats appear only here, at the edge: JSON numbers
 * are read into bigint rao and u16 integers before the epoch, and proportions are turned into
 * decimal numbers (exactly bits/2³², which a double holds) only for the report.
 */
import { coinbaseSplit } from './coinbase.ts'
import { epoch } from './epoch.ts'
import { InvalidVectorsError } from './errors.ts'
import { ONE, toFloat } from './fixed.ts'
import { MatrixBuilder } from './matrix.ts'
import { runSequence } from './sequence.ts'
import { weightedMedianColSparse } from './weighted-median.ts'
import type { SequenceStep } from './sequence.ts'
import type { EpochInput, EpochOutput, SparseU16Row } from './types.ts'

/** The kinds of case a vectors file holds. */
export type CaseKind = 'epoch' | 'sequence' | 'weightedMedianColBatch' | 'coinbaseSplit'

/** One case as it appears in the file. */
export interface VectorCase {
  name: string
  kind: CaseKind
  independent?: boolean
  source?: string
  input: unknown
  expected?: unknown
  tolerance?: Record<string, number>
}

/** A whole vectors document. */
export interface VectorsDocument {
  cases: VectorCase[]
  defaultTolerance: Record<string, number>
}

const BIGINT_FIELDS = ['stake', 'raoEmission', 'stakeThreshold'] as const

/**
 * Read a vectors document: a whole file (`{cases}`), one case (`{kind, input}`), a bare epoch
 * input, or a bare sequence (`{initial, steps}`).
 */
export function parseVectors (json: unknown): VectorsDocument {
  if (json == null || typeof json !== 'object' || Array.isArray(json)) throw new InvalidVectorsError('a vectors document must be a JSON object')
  const o = json as Record<string, unknown>
  const defaultTolerance = (o.conventions as { defaultTolerance?: Record<string, number> } | undefined)?.defaultTolerance ?? {}
  let cases: unknown[]
  if (Array.isArray(o.cases)) cases = o.cases
  else if (typeof o.kind === 'string') cases = [o]
  else if ('initial' in o && 'steps' in o) cases = [{ name: 'sequence', kind: 'sequence', input: o }]
  else if ('stake' in o) cases = [{ name: 'epoch', kind: 'epoch', input: o }]
  else throw new InvalidVectorsError('expected {cases: [...]}, a case {kind, input}, an epoch input {stake, ...} or a sequence {initial, steps}')
  return { cases: cases.map(checkCase), defaultTolerance }
}

function checkCase (c: unknown, i: number): VectorCase {
  if (c == null || typeof c !== 'object') throw new InvalidVectorsError(`case ${i} is not an object`)
  const o = c as Record<string, unknown>
  if (!['epoch', 'sequence', 'weightedMedianColBatch', 'coinbaseSplit'].includes(o.kind as string)) {
    throw new InvalidVectorsError(`case ${i}: unknown kind ${String(o.kind)}`)
  }
  return { ...o, name: typeof o.name === 'string' ? o.name : `case ${i}` } as unknown as VectorCase
}

/** JSON epoch fields → typed: numbers in rao fields become bigint, dense rows become sparse. */
function parseEpochInputJson (json: unknown): Partial<EpochInput> {
  if (json == null || typeof json !== 'object') throw new InvalidVectorsError('an epoch input must be an object')
  const o: Record<string, unknown> = { ...(json as Record<string, unknown>) }
  for (const f of BIGINT_FIELDS) {
    if (!(f in o)) continue
    o[f] = f === 'stake' ? asArray(o[f], f).map((v, i) => toBigint(v, `stake[${i}]`)) : toBigint(o[f], f)
  }
  for (const f of ['weights', 'bonds']) if (f in o) o[f] = asArray(o[f], f).map(sparseRow)
  return o as Partial<EpochInput>
}

function asArray (v: unknown, name: string): unknown[] {
  if (!Array.isArray(v)) throw new InvalidVectorsError(`${name} must be an array`)
  return v
}

function toBigint (v: unknown, name: string): bigint {
  if (typeof v === 'bigint') return v
  if (typeof v === 'number' && Number.isSafeInteger(v)) return BigInt(v)
  if (typeof v === 'string' && /^\d+$/.test(v)) return BigInt(v)
  throw new InvalidVectorsError(`${name} must be an integer (a safe JSON number or a decimal string), got ${JSON.stringify(v)}`)
}

/** A row is sparse (`[[uid, u16], …]`) or dense (`[u16, …]`, every uid present). */
function sparseRow (row: unknown): unknown {
  if (Array.isArray(row) && row.length > 0 && row.every(v => typeof v === 'number')) return row.map((v, j) => [j, v])
  return row
}

/** One epoch's outputs in the shape `agora yuma run --json` prints (bigint rao stays bigint; the CLI prints strings). */
export interface EpochReport {
  n: number
  active: boolean[]
  newValidatorPermits: boolean[]
  u16: EpochOutput['u16']
  stake: number[]
  activeStake: number[]
  prerank: number[]
  consensus: number[]
  validatorTrust: number[]
  ranks: number[]
  trust: number[]
  incentive: number[]
  dividends: number[]
  serverShare: number[]
  validatorShare: number[]
  combinedShare: number[]
  serverEmission: bigint[]
  validatorEmission: bigint[]
  combinedEmission: bigint[]
  /** Stored bonds as sparse `[uid, u16]` rows. */
  bonds: SparseU16Row[]
}

/** Report one epoch's outputs (proportions as decimals, exact: bits/2³²). */
export function reportEpoch (out: EpochOutput): EpochReport {
  const f = (xs: number[]): number[] => xs.map(toFloat)
  return {
    n: out.n,
    active: out.active,
    newValidatorPermits: out.newValidatorPermits,
    u16: out.u16,
    stake: f(out.stake),
    activeStake: f(out.activeStake),
    prerank: f(out.prerank),
    consensus: f(out.consensus),
    validatorTrust: f(out.validatorTrust),
    ranks: f(out.ranks),
    trust: f(out.trust),
    incentive: f(out.incentive),
    dividends: f(out.dividends),
    serverShare: f(out.serverShare),
    validatorShare: f(out.validatorShare),
    combinedShare: f(out.combinedShare),
    serverEmission: out.serverEmission,
    validatorEmission: out.validatorEmission,
    combinedEmission: out.combinedEmission,
    bonds: out.storedBonds
  }
}

/** What running one case produced. */
export type CaseOutput =
  | { kind: 'epoch', epochs: EpochOutput[] }
  | { kind: 'sequence', epochs: EpochOutput[] }
  | { kind: 'weightedMedianColBatch', consensus: number[][] }
  | { kind: 'coinbaseSplit', split: Record<string, number> }

/** Run one case of any kind. */
export function runCase (c: VectorCase): CaseOutput {
  switch (c.kind) {
    case 'epoch':
      return { kind: 'epoch', epochs: [epoch(parseEpochInputJson(c.input) as EpochInput)] }
    case 'sequence': {
      const inp = c.input as { initial?: unknown, steps?: unknown }
      if (inp == null || typeof inp !== 'object' || !Array.isArray(inp.steps)) throw new InvalidVectorsError(`${c.name}: a sequence needs {initial, steps: [...]}`)
      const steps = inp.steps.map(s => parseEpochInputJson(s) as SequenceStep)
      return { kind: 'sequence', epochs: runSequence(parseEpochInputJson(inp.initial ?? {}), steps) }
    }
    case 'weightedMedianColBatch':
      return { kind: 'weightedMedianColBatch', consensus: weightedMedianColBatch(asArray(c.input, 'input') as WeightedMedianCase[]) }
    case 'coinbaseSplit': {
      const inp = c.input as { alphaOut: unknown, options?: { ownerCut?: number, rootProportion?: number } }
      const s = coinbaseSplit(toBigint(inp.alphaOut, 'alphaOut'), {
        ownerCut: inp.options?.ownerCut,
        rootProportion: inp.options?.rootProportion == null ? undefined : BigInt(fromFloat(inp.options.rootProportion))
      })
      return { kind: 'coinbaseSplit', split: Object.fromEntries(Object.entries(s).map(([k, v]) => [k, toFloat(v)])) }
    }
  }
}

/** One `weightedMedianColBatch` item: float stake and a dense float score matrix (rows × n). */
interface WeightedMedianCase {
  stake: number[]
  weights: number[][]
  n: number
  kappa: number
}

/** The chain's column-wise weighted median on float inputs, converted to I32F32 (round to nearest). */
function weightedMedianColBatch (batch: WeightedMedianCase[]): number[][] {
  return batch.map(b => {
    const stake = Float64Array.from(b.stake, fromFloat)
    const rows = new MatrixBuilder(b.weights.length, 0)
    for (const r of b.weights) {
      r.forEach((v, j) => rows.push(j, fromFloat(v)))
      rows.endRow()
    }
    return Array.from(weightedMedianColSparse(stake, rows.done(), b.n, fromFloat(b.kappa)), toFloat)
  })
}

/** A float to I32F32 bits, rounding to nearest as `I32F32::from_num(f64)` does (input parsing only). */
function fromFloat (x: number): number {
  if (typeof x !== 'number' || !Number.isFinite(x)) throw new InvalidVectorsError(`expected a finite number, got ${String(x)}`)
  return Math.round(x * ONE)
}
