import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { main } from '../../src/cli/main.ts'
import { memoryIo } from '../utils/io.ts'

const vectors = fileURLToPath(new URL('../fixtures/yuma.json', import.meta.url))

describe('agora yuma run', () => {
  let dir: string
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'agora-yuma-')) })
  afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

  it('default: a bare epoch input prints its outputs as JSON with rao as decimal strings', async () => {
    const file = join(dir, 'epoch.json')
    // one validator (all the stake) weights miner 1: incentive 1 to the miner, dividends 1 to
    // the validator, so each takes half of the 1e9 rao
    await writeFile(file, JSON.stringify({ stake: [1000, 0], weights: [[[1, 65535]], []], validatorPermits: [true, false], lastUpdate: [10, 0], blockAtRegistration: [0, 0], currentBlock: 20, raoEmission: 1_000_000_000 }))
    const io = memoryIo()
    expect(await main(['yuma', 'run', file, '--json'], io)).toBe(0)
    const res = JSON.parse(io.stdoutText())
    const e = res.cases[0].epochs[0]
    expect(e.serverEmission).toEqual(['0', '500000000'])
    expect(e.validatorEmission).toEqual(['500000000', '0'])
    expect(e.u16.incentive).toEqual([0, 65535])
    expect(e.incentive).toEqual([0, 1])
    expect(e.bonds).toEqual([[[1, 65535]], []])
    expect(res.cases[0].check).toBeUndefined()
  })

  it('behavior: --case selects one case and the text report says PASS with the per-uid table', async () => {
    const io = memoryIo()
    expect(await main(['yuma', 'run', vectors, '--case', 'ref:kappa tie-break: 50/50 stake with default kappa 32767 (<0.5) takes the higher weight'], io)).toBe(0)
    const text = io.stdoutText()
    expect(text).toContain('PASS ref:kappa tie-break')
    expect(text).toContain('server rao')
    expect(text.split('\n').filter((l: string) => /^\s+\d+\s/.test(l))).toHaveLength(4)
  })

  it('behavior: --plot writes an SVG of incentive and dividends across the epochs of a sequence', async () => {
    const out = join(dir, 'plot.svg')
    const io = memoryIo()
    expect(await main(['yuma', 'run', vectors, '--case', 'test_yuma_3_one_epoch_switch', '--plot', out], io)).toBe(0)
    const svg = await readFile(out, 'utf8')
    expect(svg.startsWith('<svg')).toBe(true)
    expect(svg).toContain('incentive per uid')
    expect(svg).toContain('dividends per uid')
    // six epochs, six points per drawn uid: validators 0..2 earn dividends; only miner 3 earns
    // incentive, since the 34 % validator that moves to miner 4 for one epoch is below kappa
    expect((svg.match(/<polyline/g) ?? []).length).toBe(4)
    expect((svg.match(/<circle/g) ?? []).length).toBe(24)
  })

  it('behavior: a failing expectation exits 1 and names the check', async () => {
    const file = join(dir, 'case.json')
    await writeFile(file, JSON.stringify({ name: 'chain:wrong', kind: 'epoch', input: { stake: [1000, 0], weights: [[[1, 65535]], []], validatorPermits: [true, false], lastUpdate: [10, 0], blockAtRegistration: [0, 0], currentBlock: 20, raoEmission: 1_000_000_000 }, expected: { serverEmission: [0, 500000001] } }))
    const io = memoryIo()
    expect(await main(['yuma', 'run', file], io)).toBe(1)
    expect(io.stdoutText()).toContain('FAIL chain:wrong (2 checks, exact)')
    expect(io.stdoutText()).toContain('serverEmission[1]: got 500000000, expected 500000001')
  })

  it('behavior: unreadable input is a named error, exit 1', async () => {
    const file = join(dir, 'bad.json')
    await writeFile(file, '{ not json')
    const io = memoryIo()
    expect(await main(['yuma', 'run', file], io)).toBe(1)
    expect(io.stderrText()).toContain('is not JSON')
    expect(io.stderrText()).toContain('(InvalidVectorsError)')
    const io2 = memoryIo()
    expect(await main(['yuma', 'run', vectors, '--case', 'no such case'], io2)).toBe(1)
    expect(io2.stderrText()).toContain('no case named "no such case"')
    const io3 = memoryIo()
    expect(await main(['yuma', 'run'], io3)).toBe(2)
    expect(io3.stderrText()).toContain('missing argument <file>')
  })
})
