import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { main } from '../../src/cli/main.ts'
import { checkCaseOutput, parseVectors, runCase } from '../../src/yuma/tools.ts'
import { memoryIo } from '../utils/io.ts'

const file = fileURLToPath(new URL('../fixtures/yuma.json', import.meta.url))
const doc = parseVectors(JSON.parse(readFileSync(file, 'utf8')))

describe('yuma vectors', () => {
  it('default: the fixture holds every kind of case', () => {
    expect(new Set(doc.cases.map(c => c.kind))).toEqual(new Set(['epoch', 'sequence', 'weightedMedianColBatch', 'coinbaseSplit']))
    expect(doc.cases.filter(c => c.name.startsWith('chain:')).length).toBeGreaterThanOrEqual(11)
  })

  for (const c of doc.cases) {
    const exact = c.name.startsWith('chain:')
    it(`behavior: ${c.name} passes${exact ? ' exactly (u16, rao and stored bonds with zero tolerance)' : ''}`, () => {
      const r = checkCaseOutput(c, runCase(c), doc.defaultTolerance)
      expect(r.exact).toBe(exact)
      expect(r.checked).toBeGreaterThan(0)
      expect(r.failures).toEqual([])
    })
  }

  it('behavior: on reference sequences the stored bonds drift below the float values by at most one u16 unit per epoch', () => {
    // the chain's truncation only loses, at most one u16 unit per fed-back epoch (as in subtensor's
    // test_bonds trace, 12603 → 12602 → …), where a float reference keeps its value (e.g.
    // 0.6·65535 = 39321 on an untouched Yuma 2 column)
    let compared = 0
    let drifted = 0
    for (const c of doc.cases.filter(k => k.kind === 'sequence' && k.name.startsWith('ref:'))) {
      const out = runCase(c)
      if (out.kind !== 'sequence') throw new Error('not a sequence')
      for (const e of c.expected as Array<{ step: number, bondsU16?: number[][] }>) {
        for (const [i, j, v] of e.bondsU16 ?? []) {
          const got = out.epochs[e.step].storedBonds[i].find(([c]) => c === j)?.[1] ?? 0
          expect(v - got).toBeGreaterThanOrEqual(0)
          expect(v - got).toBeLessThanOrEqual(1 + e.step)
          compared++
          if (got !== v) drifted++
        }
      }
    }
    expect(compared).toBeGreaterThan(100)
    expect(drifted).toBeGreaterThan(0)
  })

  it('behavior: every case passes through `agora yuma run --json`', async () => {
    const io = memoryIo()
    expect(await main(['yuma', 'run', file, '--json'], io)).toBe(0)
    const res = JSON.parse(io.stdoutText()) as { passed: number, failed: number, cases: Array<{ name: string, check: { passed: boolean, exact: boolean } }> }
    expect(res.failed).toBe(0)
    expect(res.passed).toBe(doc.cases.length)
    for (const c of res.cases) {
      expect(c.check.passed).toBe(true)
      expect(c.check.exact).toBe(c.name.startsWith('chain:'))
    }
  })
})
