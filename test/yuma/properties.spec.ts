import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { epoch, toPairs } from '../../src/yuma/index.ts'
import { normalizeInPlace } from '../../src/yuma/vector.ts'
import { epochInput } from './arbitrary.ts'
import type { FullInput } from './arbitrary.ts'

const total = (xs: bigint[]): bigint => xs.reduce((a, b) => a + b, 0n)

describe('yuma properties', () => {
  it('behavior: the emission parts sum to the budget within the chain\'s rounding', () => {
    fc.assert(fc.property(epochInput(10), x => {
      const out = epoch(x)
      const n = BigInt(out.n)
      const paid = total(out.serverEmission) + total(out.validatorEmission)
      // shares are floored I32F32 (each at most 1 ulp low, after normalizations each at most
      // n ulps low: I, D, their sum, then the share), and each rao amount is floored (at most
      // 1 rao low): the deficit is at most 2n rao plus 4n ulps of the budget
      const slack = 2n * n + (x.raoEmission * 4n * n) / (1n << 32n) + 1n
      expect(paid).toBeLessThanOrEqual(x.raoEmission)
      if (out.stake.some(s => s > 0)) expect(x.raoEmission - paid).toBeLessThanOrEqual(slack)
      else expect(paid).toBe(0n)
      expect(total(out.combinedEmission)).toBeLessThanOrEqual(x.raoEmission)
    }), { numRuns: 300 })
  })

  it('behavior: permuting uids permutes every output', () => {
    const input = epochInput(8).chain(x => fc.tuple(fc.constant(x), fc.shuffledSubarray(x.stake.map((_, i) => i), { minLength: x.stake.length, maxLength: x.stake.length })))
    fc.assert(fc.property(input, ([x, perm]) => {
      const a = epoch(x)
      // top-k permits break ties of normalized stake by uid (the chain's stable ascending sort lets
      // the higher uid win), which a permutation changes on purpose; keep every normalized stake distinct
      fc.pre(new Set(a.stake).size === a.stake.length)
      const y = permute(x, perm)
      const b = epoch(y)
      for (const k of ['stake', 'activeStake', 'consensus', 'incentive', 'dividends', 'validatorTrust', 'serverEmission', 'validatorEmission', 'combinedEmission', 'newValidatorPermits', 'active'] as const) {
        const ak = a[k] as unknown[]
        const bk = b[k] as unknown[]
        perm.forEach((p, i) => expect(bk[p]).toEqual(ak[i]))
      }
      const byUid = (u: [number, number], w: [number, number]): number => u[0] - w[0]
      for (const [i, p] of perm.entries()) {
        const mapped = toPairs(a.bondsU16[i]).map(([j, v]): [number, number] => [perm[j], v]).sort(byUid)
        expect(toPairs(b.bondsU16[p]).sort(byUid)).toEqual(mapped)
      }
    }), { numRuns: 300 })
  })

  it('behavior: the weights of a validator with no permit change nothing', () => {
    fc.assert(fc.property(epochInput(8), fc.nat(), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 65535 }))), (x, pick, noise) => {
      const v = pick % x.stake.length
      fc.pre(v !== x.ownerUid)
      const base = { ...x, validatorPermits: x.validatorPermits.map((p, i) => i === v ? false : p) }
      const other = { ...base, weights: base.weights.map((r, i) => i === v ? rowFrom(noise, x.stake.length) : r) }
      expect(summary(epoch(other))).toEqual(summary(epoch(base)))
    }), { numRuns: 300 })
  })

  it('behavior: the weights of a validator without active stake cannot move consensus or incentive, nor miners\' pay but through the dividends\' rounding', () => {
    fc.assert(fc.property(epochInput(8), fc.nat(), fc.boolean(), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 65535 }))), (x, pick, stale, noise) => {
      const v = pick % x.stake.length
      // either inactive (last weight set long before the cutoff) or without any stake
      const base: FullInput = stale
        ? { ...x, lastUpdate: x.lastUpdate.map((u, i) => i === v ? 0 : u), currentBlock: Math.max(x.currentBlock, x.activityCutoff + 1) }
        : { ...x, stake: x.stake.map((s, i) => i === v ? 0n : s) }
      const other = { ...base, weights: base.weights.map((r, i) => i === v ? rowFrom(noise, x.stake.length) : r) }
      const a = epoch(base)
      const b = epoch(other)
      expect(a.activeStake[v]).toBe(0)
      expect(b.consensus).toEqual(a.consensus)
      expect(b.incentive).toEqual(a.incentive)
      // miners are paid incentive over incentive + dividends. Under Yuma 2 the validator's
      // bond increment is W̃·A = 0, so nobody's dividends move and neither does the pay. Under
      // Yuma 3 its bonds come from W̃ alone and count in the column normalization of E before
      // dividends: the other validators' dividends, and their rounding, may move (seed -756563525
      // of this property: 1 rao), but with the same dividend total the miners' pay is the same.
      const total = (d: number[]): number => d.reduce((s, x) => s + x, 0)
      if (!x.yuma3) expect(b.dividends).toEqual(a.dividends)
      if (!x.yuma3 || total(b.dividends) === total(a.dividends)) expect(b.serverEmission).toEqual(a.serverEmission)
    }), { numRuns: 300 })
  })

  it('behavior: a coalition with less than kappa of the active stake cannot give its miner any incentive', () => {
    const arb = fc.record({
      honest: fc.array(fc.bigInt({ min: 1n, max: 10n ** 12n }), { minLength: 1, maxLength: 6 }),
      coalition: fc.array(fc.bigInt({ min: 1n, max: 10n ** 12n }), { minLength: 1, maxLength: 6 }),
      kappa: fc.integer({ min: 1, max: 65535 }),
      yuma3: fc.boolean(),
      honestWeight: fc.integer({ min: 1, max: 65535 }),
      coalitionWeight: fc.integer({ min: 1, max: 65535 })
    })
    fc.assert(fc.property(arb, a => {
      const all = [...a.honest, ...a.coalition]
      const sum = total(all)
      // strictly below kappa with a margin of 1e-6 of the stake, far above the I32F32 rounding (2⁻³²·n)
      fc.pre(total(a.coalition) * 65535n * 1_000_000n < BigInt(a.kappa) * sum * 999_999n)
      const v = all.length
      const miner = v // the coalition's miner
      const honestMiner = v + 1
      const n = v + 2
      const weights = Array.from({ length: n }, (_, i): Array<[number, number]> =>
        i < a.honest.length ? [[honestMiner, a.honestWeight], [miner, 0]] : (i < v ? [[miner, a.coalitionWeight]] : []))
      const out = epoch({
        stake: [...all, 0n, 0n],
        weights,
        validatorPermits: Array.from({ length: n }, (_, i) => i < v),
        lastUpdate: Array.from({ length: n }, () => 100),
        blockAtRegistration: Array.from({ length: n }, () => 0),
        currentBlock: 101,
        raoEmission: 1_000_000_000n,
        kappa: a.kappa,
        yuma3: a.yuma3,
        maxAllowedValidators: 64
      })
      expect(out.incentive[miner]).toBe(0)
      expect(out.serverEmission[miner]).toBe(0n)
    }), { numRuns: 500 })
  })

  it('behavior: normalising twice equals normalising once, up to the first pass\'s rounding deficit', () => {
    // In I32F32 the first pass floors each x_i·2³²/Σx, so its sum S' falls short of 1 by
    // d = 2³² − S' ≤ n ulps; the second pass divides by S' and can raise each element by at most
    // d·once_i/S' ≤ d ulps. Exactly equal whenever the first pass sums to exactly one
    // (e.g. [1, 2³²] → [0, 2³²−1] → [0, 2³²] is the chain's own behaviour).
    fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 2 ** 40 }), { maxLength: 64 }), xs => {
      const once = normalizeInPlace(Float64Array.from(xs))
      const twice = normalizeInPlace(once.slice())
      const s = once.reduce((a, b) => a + b, 0)
      const deficit = s === 0 ? 0 : 2 ** 32 - s
      expect(deficit).toBeLessThanOrEqual(xs.length)
      once.forEach((v, i) => {
        expect(twice[i] - v).toBeGreaterThanOrEqual(0)
        expect(twice[i] - v).toBeLessThanOrEqual(deficit)
      })
      if (deficit === 0) expect(Array.from(twice)).toEqual(Array.from(once))
    }), { numRuns: 2000 })
    const pow2 = normalizeInPlace(Float64Array.from([1, 3, 4]))
    expect(Array.from(normalizeInPlace(pow2.slice()))).toEqual(Array.from(pow2))
  })
})

function rowFrom (noise: Array<[number, number]>, n: number): Array<[number, number]> {
  const seen = new Set<number>()
  return noise.map(([j, w]): [number, number] => [j % n, w]).filter(([j]) => !seen.has(j) && seen.add(j) !== undefined).sort((a, b) => a[0] - b[0])
}

function summary (o: ReturnType<typeof epoch>): unknown {
  return { c: o.consensus, i: o.incentive, d: o.dividends, t: o.validatorTrust, s: o.serverEmission, v: o.validatorEmission, b: o.storedBonds, p: o.newValidatorPermits }
}

function permute (x: FullInput, perm: number[]): FullInput {
  const n = x.stake.length
  const byNew = <T>(xs: readonly T[]): T[] => { const out = new Array<T>(n); xs.forEach((v, i) => { out[perm[i]] = v }); return out }
  const rows = (rs: Array<Array<[number, number]>>): Array<Array<[number, number]>> =>
    byNew(rs.map(r => r.map(([j, w]): [number, number] => [perm[j], w]).sort((a, b) => a[0] - b[0])))
  return {
    ...x,
    stake: byNew(x.stake),
    weights: rows(x.weights),
    bonds: rows(x.bonds),
    validatorPermits: byNew(x.validatorPermits),
    lastUpdate: byNew(x.lastUpdate),
    blockAtRegistration: byNew(x.blockAtRegistration),
    ownerUid: x.ownerUid === null ? null : perm[x.ownerUid],
    ...(x.commitBlocks === undefined ? {} : { commitBlocks: byNew(x.commitBlocks) })
  }
}
