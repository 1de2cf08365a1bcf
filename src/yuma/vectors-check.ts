/**
 * Checks of a case's `expected` against what {@link runCase} produced. In exact
 * mode (the default for `chain:` cases) every u16, rao and stored-bond value must be equal;
 * float checks always use the case's tolerance, since the file states them as decimals.
 */
import { ONE, U16_MAX } from './fixed.ts'
import type { CaseOutput, VectorCase } from './vectors.ts'
import type { EpochOutput } from './types.ts'

/** The outcome of checking one case. */
export interface CaseCheck {
  name: string
  exact: boolean
  checked: number
  failures: string[]
}

const U16_CHECKS = ['consensus', 'incentive', 'dividends', 'validatorTrust', 'stakeWeight'] as const
const FLOAT_CHECKS = ['consensus', 'incentive', 'dividends', 'validatorTrust', 'trust', 'ranks', 'prerank', 'activeStake', 'stake', 'serverShare', 'validatorShare', 'combinedShare'] as const
const RAO_CHECKS = { emission: 'combinedEmission', serverEmission: 'serverEmission', validatorEmission: 'validatorEmission' } as const

/** Check a case; `exact` defaults to true for cases named `chain:`. */
export function checkCaseOutput (c: VectorCase, out: CaseOutput, defaults: Record<string, number>, exact = c.name.startsWith('chain:')): CaseCheck {
  const tol = { u16: 1, raoAbs: 1, raoRel: 5e-9, bondsU16: 1, bondsProportion: 0.001, float: 1e-6, ...defaults, ...c.tolerance }
  const r: CaseCheck = { name: c.name, exact, checked: 0, failures: [] }
  const expect = (ok: boolean, what: string): void => {
    r.checked++
    if (!ok) r.failures.push(what)
  }
  if (out.kind === 'epoch' || out.kind === 'sequence') {
    const list = out.kind === 'epoch' ? [{ step: 0, ...(c.expected as object) }] : (c.expected as Array<{ step: number }> ?? [])
    for (const e of list) {
      const o = out.epochs[e.step]
      if (o === undefined) { expect(false, `step ${e.step} did not run`); continue }
      checkEpoch(e as Record<string, unknown>, o, exact ? tol : withDrift(tol, e.step), exact, (ok, what) => expect(ok, `step ${e.step}: ${what}`))
    }
  } else if (out.kind === 'weightedMedianColBatch') {
    const exp = c.expected as number[][]
    exp.forEach((col, k) => col.forEach((v, j) => expect(Math.abs(out.consensus[k][j] - v) <= tol.float, `item ${k} column ${j}: got ${out.consensus[k][j]}, expected ${v}`)))
  } else {
    for (const [k, v] of Object.entries(c.expected as Record<string, number>)) {
      const got = out.split[k]
      expect(Math.abs(got - v) <= tol.float * Math.max(1, Math.abs(v)), `${k}: got ${got}, expected ${v}`)
    }
  }
  return r
}

type Expect = (ok: boolean, what: string) => void

/**
 * A float reference that feeds its own stored bonds back drifts from the chain, whose
 * truncation loses up to one u16 unit per epoch on a bond column (test_bonds: 12603 → 12602 → …).
 * After k fed-back epochs a stored bond may differ by k more units, and a proportion computed from
 * such bonds by k·2/65535 more (one unit is at most 1/65535 of a normalized column, at most doubled
 * by the final normalization). Applied to reference (not chain) cases only.
 */
function withDrift (tol: Record<string, number>, step: number): Record<string, number> {
  return { ...tol, bondsU16: tol.bondsU16 + step, float: tol.float + (step * 2) / 65535 }
}

function entries (spec: unknown, n: number): Array<[number, unknown]> {
  const all: Array<[number, unknown]> = Array.isArray(spec)
    ? spec.map((v, i): [number, unknown] => [i, v])
    : (spec != null && typeof spec === 'object' ? Object.entries(spec).map(([k, v]): [number, unknown] => [Number(k), v]) : [])
  return all.filter(([i, v]) => v !== null && i < n)
}

function bondAt (o: EpochOutput, i: number, j: number): number {
  const row = o.bondsU16[i]
  if (row === undefined) return 0
  for (let k = 0; k < row.uids.length; k++) if (row.uids[k] === j) return row.values[k]
  return 0
}

function checkEpoch (e: Record<string, unknown>, o: EpochOutput, tol: Record<string, number>, exact: boolean, expect: Expect): void {
  for (const k of U16_CHECKS) {
    for (const [i, v] of entries(e[`${k}U16`], o.n)) {
      const got = o.u16[k][i]
      expect(exact ? got === v : Math.abs(got - (v as number)) <= tol.u16, `${k}U16[${i}]: got ${got}, expected ${String(v)}`)
    }
  }
  for (const k of FLOAT_CHECKS) {
    for (const [i, v] of entries(e[k], o.n)) {
      const got = o[k][i] / ONE
      expect(Math.abs(got - (v as number)) <= tol.float, `${k}[${i}]: got ${got}, expected ${String(v)}`)
    }
  }
  for (const [name, field] of Object.entries(RAO_CHECKS)) {
    const rao = Number(o.combinedEmission.reduce((a, b) => a + b, 0n))
    for (const [i, v] of entries(e[name], o.n)) {
      const got = o[field][i]
      const bound = tol.raoAbs + tol.raoRel * Math.max(rao, Number(v))
      expect(exact ? got === BigInt(v as number) : Math.abs(Number(got) - (v as number)) <= bound, `${name}[${i}]: got ${got}, expected ${String(v)}`)
    }
  }
  for (const [i, j, v] of (e.bondsU16 as number[][] | undefined) ?? []) {
    const got = bondAt(o, i, j)
    expect(exact ? got === v : Math.abs(got - v) <= tol.bondsU16, `bondsU16[${i}][${j}]: got ${got}, expected ${v}`)
  }
  for (const [i, j, v] of (e.bondsProportion as number[][] | undefined) ?? []) {
    const got = bondAt(o, i, j) / U16_MAX
    expect(Math.abs(got - v) <= tol.bondsProportion, `bondsProportion[${i}][${j}]: got ${got}, expected ${v}`)
  }
  for (const k of ['newValidatorPermits', 'active'] as const) {
    for (const [i, v] of entries(e[k], o.n)) expect(o[k][i] === v, `${k}[${i}]: got ${String(o[k][i])}, expected ${String(v)}`)
  }
}
