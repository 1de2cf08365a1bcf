/**
 * `agora yuma run` (its definition and help are in commands/yuma.ts; this module, with the
 * Yuma tools, loads only when it runs).
 */
import { readFile, stat, writeFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { InvalidVectorsError, checkCaseOutput, parseVectors, plotSvg, reportEpoch, runCase } from '../yuma/tools.ts'
import { flag, out, outJson, str } from './command.ts'
import type { CaseCheck, CaseOutput, VectorCase } from '../yuma/tools.ts'
import type { CommandContext } from './command.ts'

/** Vectors files are small; refuse anything that could not be one before reading it. */
const MAX_FILE_BYTES = 256 * 1024 * 1024

async function readVectors (ctx: CommandContext, file: string): Promise<unknown> {
  const path = resolve(ctx.io.cwd, file)
  const st = await stat(path)
  if (st.size > MAX_FILE_BYTES) throw new InvalidVectorsError(`${file} is ${st.size} bytes; a vectors file is at most ${MAX_FILE_BYTES}`)
  const text = await readFile(path, 'utf8')
  try {
    return JSON.parse(text)
  } catch (err) {
    throw new InvalidVectorsError(`${file} is not JSON`, { cause: err })
  }
}

function select (cases: VectorCase[], name: string | undefined): VectorCase[] {
  if (name === undefined) return cases
  const exact = cases.filter(c => c.name === name)
  const found = exact.length > 0 ? exact : cases.filter(c => c.name.includes(name))
  if (found.length === 0) throw new InvalidVectorsError(`no case named "${name}"`)
  return found
}

function caseJson (c: VectorCase, o: CaseOutput, check: CaseCheck | undefined): Record<string, unknown> {
  const base: Record<string, unknown> = { name: c.name, kind: c.kind }
  if (o.kind === 'epoch' || o.kind === 'sequence') base.epochs = o.epochs.map(reportEpoch)
  if (o.kind === 'weightedMedianColBatch') base.consensus = o.consensus
  if (o.kind === 'coinbaseSplit') base.split = o.split
  if (check !== undefined) base.check = { passed: check.failures.length === 0, exact: check.exact, checked: check.checked, failures: check.failures }
  return base
}

function printHuman (ctx: CommandContext, c: VectorCase, o: CaseOutput, check: CaseCheck | undefined): void {
  const status = check === undefined ? 'RAN ' : (check.failures.length === 0 ? 'PASS' : 'FAIL')
  const detail = check === undefined ? '' : ` (${check.checked} checks${check.exact ? ', exact' : ''})`
  out(ctx, `${status} ${c.name}${detail}`)
  for (const f of check?.failures ?? []) out(ctx, `  - ${f}`)
  if ((o.kind === 'epoch' || o.kind === 'sequence') && (check === undefined || o.epochs.length === 1)) {
    const e = reportEpoch(o.epochs[o.epochs.length - 1])
    out(ctx, '  uid  stake     consensus incentive dividends  server rao      validator rao')
    for (let i = 0; i < e.n; i++) {
      out(ctx, `  ${String(i).padStart(3)}  ${e.stake[i].toFixed(6)}  ${e.consensus[i].toFixed(6)}  ${e.incentive[i].toFixed(6)}  ${e.dividends[i].toFixed(6)}  ${String(e.serverEmission[i]).padStart(14)}  ${String(e.validatorEmission[i]).padStart(14)}`)
    }
  }
}

/** Run the cases of a vectors file and print their outputs; exit code 1 when a check fails. */
export async function yumaRun (ctx: CommandContext): Promise<number> {
  const doc = parseVectors(await readVectors(ctx, ctx.positionals[0]))
  const cases = select(doc.cases, str(ctx, 'case'))
  const results: Array<Record<string, unknown>> = []
  let failed = 0
  let plotted: CaseOutput | undefined
  for (const c of cases) {
    const o = runCase(c)
    const check = c.expected === undefined ? undefined : checkCaseOutput(c, o, doc.defaultTolerance)
    if (check !== undefined && check.failures.length > 0) failed++
    if (plotted === undefined && (o.kind === 'epoch' || o.kind === 'sequence')) plotted = o
    if (flag(ctx, 'json')) results.push(caseJson(c, o, check))
    else printHuman(ctx, c, o, check)
  }
  const plot = str(ctx, 'plot')
  if (plot !== undefined) {
    if (plotted === undefined || !('epochs' in plotted)) throw new InvalidVectorsError('--plot needs an epoch or sequence case')
    await writeFile(resolve(ctx.io.cwd, plot), plotSvg(plotted.epochs, { title: cases[0].name }))
  }
  if (flag(ctx, 'json')) outJson(ctx, { cases: results, passed: cases.length - failed, failed })
  else if (cases.length > 1) out(ctx, `${cases.length - failed} passed, ${failed} failed`)
  return failed > 0 ? 1 : 0
}
