import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { E_BITS, expBig, expSafe, expSafeBig, recip } from '../../src/yuma/exp.ts'
import { ONE, div, divBig, mul, mulBig, toU16 } from '../../src/yuma/fixed.ts'

/** Integers a JS number holds exactly, the domain of I32F32 bits on the number path. */
const bits = (max: number): fc.Arbitrary<number> => fc.oneof(fc.integer({ min: 0, max: 2 ** 32 }), fc.maxSafeInteger().map(x => x % (max + 1)))

describe('yuma fixed point', () => {
  it('behavior: mul on numbers equals floor(a·b/2³²) in bigint, signed, inside and outside the fast domain', () => {
    fc.assert(fc.property(bits(2 ** 40), bits(2 ** 40), fc.boolean(), fc.boolean(), (a, b, na, nb) => {
      const x = na ? -a : a
      const y = nb ? -b : b
      expect(mul(x, y)).toBe(Number(mulBig(BigInt(x), BigInt(y))))
    }), { numRuns: 5000 })
  })

  it('behavior: div on numbers equals trunc(a·2³²/b) in bigint (safe_div), including a > b and b = 0', () => {
    fc.assert(fc.property(bits(2 ** 36), bits(2 ** 36), (a, b) => {
      const expected = divBig(BigInt(a), BigInt(b))
      // beyond 2⁵³ a number cannot hold the quotient; the epoch never divides by less than the dividend / 2
      fc.pre(expected < 2n ** 53n)
      expect(div(a, b)).toBe(Number(expected))
    }), { numRuns: 5000 })
    expect(div(5, 0)).toBe(0)
  })

  it('default: the values the chain tests rely on', () => {
    // I32F32(0.1) = floor(2³²/10): why test_10_graph pays 99 999 999 rao, not 100 000 000
    expect(div(1, 10)).toBe(429496729)
    expect(Number((BigInt(div(1, 10)) * 1_000_000_000n) >> 32n)).toBe(99_999_999)
    // kappa 32767/65535 truncated
    expect(div(32767, 65535)).toBe(2147450879)
    expect(toU16(ONE)).toBe(65535)
    expect(toU16(div(1, 2))).toBe(32767)
  })

  it('default: E is e truncated to 23 fractional bits (substrate-fixed I9F23)', () => {
    // e·2²³ = 22 802 600.69…: floor, then widened by 9 bits to I32F32
    expect(E_BITS).toBe(22802600 * 512)
    expect(expSafe(ONE)).toBe(E_BITS)
    expect(expSafe(0)).toBe(ONE)
  })

  it('behavior: exp on numbers equals the bigint series on [−8, 8] and beyond', () => {
    fc.assert(fc.property(fc.integer({ min: -30 * 2 ** 32, max: 30 * 2 ** 32 }), x => {
      expect(expSafe(x)).toBe(Number(expSafeBig(BigInt(x))))
    }), { numRuns: 3000 })
    for (const x of [-8 * ONE, 8 * ONE, -ONE, 1, -1, 20 * ONE, -20 * ONE]) expect(expSafe(x)).toBe(Number(expSafeBig(BigInt(x))))
  })

  it('behavior: exp is close to e^x (the series is exact to a few ulps at moderate x)', () => {
    for (const v of [-5, -1.5, -0.25, 0.5, 2, 5]) {
      const got = Number(expBig(BigInt(Math.round(v * ONE)))) / ONE
      expect(Math.abs(got - Math.exp(Math.round(v * ONE) / ONE)) / Math.exp(v)).toBeLessThan(1e-8)
    }
  })

  it('behavior: recip is floor(2⁶⁴/r) on its domain', () => {
    fc.assert(fc.property(fc.integer({ min: 2 ** 32, max: 2 ** 44 - 1 }), r => {
      expect(recip(r)).toBe(Number((1n << 64n) / BigInt(r)))
    }), { numRuns: 3000 })
  })
})

describe('yuma fixed point, shared divisor', () => {
  it('behavior: divInv with the float reciprocal equals div', async () => {
    const { divInv } = await import('../../src/yuma/fixed.ts')
    fc.assert(fc.property(bits(2 ** 36), bits(2 ** 36), (a, b) => {
      fc.pre(b > 0 && a <= 2 * b)
      expect(divInv(a, b, 2 ** 32 / b)).toBe(div(a, b))
    }), { numRuns: 5000 })
  })
})

describe('yuma fixed point, near-integer quotients', () => {
  it('behavior: mul and divInv are exact where the true quotient is an integer or within a hair of one', async () => {
    const { divInv } = await import('../../src/yuma/fixed.ts')
    // a·b divisible by 2³² (a = x·2¹⁶, b = y·2¹⁶), and ±1 around it: the fast path must defer
    fc.assert(fc.property(fc.integer({ min: 0, max: 2 ** 18 }), fc.integer({ min: 0, max: 2 ** 17 }), fc.integer({ min: -1, max: 1 }), fc.boolean(), (x, y, d, neg) => {
      const a = (neg ? -1 : 1) * (x * 65536 + d)
      const b = y * 65536
      expect(mul(a, b)).toBe(Number(mulBig(BigInt(a), BigInt(b))))
    }), { numRuns: 3000 })
    // a·2³² divisible by b (b = 2^k·c with a a multiple of c), and ±1 around it
    fc.assert(fc.property(fc.integer({ min: 1, max: 2 ** 20 }), fc.integer({ min: 0, max: 12 }), fc.integer({ min: 1, max: 2 ** 12 }), fc.integer({ min: -1, max: 1 }), (c, k, m, d) => {
      const b = c * 2 ** k
      const a = Math.min(2 * b, Math.max(0, c * m + d))
      expect(divInv(a, b, 2 ** 32 / b)).toBe(Number(divBig(BigInt(a), BigInt(b))))
    }), { numRuns: 3000 })
  })
})

describe('yuma fixed point, branch-free hot-loop forms', () => {
  /** Non-negative integers up to 2⁴⁰ with products below 2⁸⁰, and the edges of that domain. */
  const nonNegative = fc.oneof(fc.integer({ min: 0, max: 2 ** 32 }), fc.integer({ min: 0, max: 2 ** 40 }), fc.constantFrom(0, 1, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1, 2 ** 40))

  it('behavior: mulP equals floor(a·b/2³²) in bigint for non-negative a, b with a·b < 2⁸⁰', async () => {
    const { mulP } = await import('../../src/yuma/fixed.ts')
    fc.assert(fc.property(nonNegative, nonNegative, (a, b) => {
      expect(mulP(a, b)).toBe(Number(mulBig(BigInt(a), BigInt(b))))
    }), { numRuns: 10000 })
    // products that are multiples of 2³² and one below or above: the floor must not round up
    fc.assert(fc.property(fc.integer({ min: 0, max: 2 ** 24 }), fc.integer({ min: 0, max: 2 ** 24 }), fc.integer({ min: -1, max: 1 }), (x, y, d) => {
      const a = Math.max(0, x * 65536 + d)
      const b = y * 65536
      expect(mulP(a, b)).toBe(Number(mulBig(BigInt(a), BigInt(b))))
      expect(Object.is(mulP(a, b), -0)).toBe(false)
    }), { numRuns: 5000 })
  })

  it('behavior: divP equals trunc(a·2³²/b) in bigint on its domain 0 ≤ a ≤ 2b, 0 < b < 2⁴⁰, near-integer quotients included', async () => {
    const { divP } = await import('../../src/yuma/fixed.ts')
    fc.assert(fc.property(fc.integer({ min: 1, max: 2 ** 40 - 1 }), fc.double({ min: 0, max: 2, noNaN: true }), (b, r) => {
      const a = Math.min(2 * b, Math.floor(r * b))
      expect(divP(a, b, 2 ** 32 / b)).toBe(Number(divBig(BigInt(a), BigInt(b))))
    }), { numRuns: 10000 })
    // a·2³² divisible by b, and ±1 around it
    fc.assert(fc.property(fc.integer({ min: 1, max: 2 ** 20 }), fc.integer({ min: 0, max: 19 }), fc.integer({ min: 1, max: 2 ** 12 }), fc.integer({ min: -1, max: 1 }), (c, k, m, d) => {
      const b = c * 2 ** k
      const a = Math.min(2 * b, Math.max(0, c * m + d))
      expect(divP(a, b, 2 ** 32 / b)).toBe(Number(divBig(BigInt(a), BigInt(b))))
    }), { numRuns: 5000 })
  })

  it('behavior: minI is the minimum of integers below 2⁵², never −0', async () => {
    const { minI } = await import('../../src/yuma/fixed.ts')
    fc.assert(fc.property(fc.oneof(nonNegative, fc.constant(2 ** 52 - 1)), fc.oneof(nonNegative, fc.constant(2 ** 52 - 1)), (a, b) => {
      expect(Object.is(minI(a, b), Math.min(a, b))).toBe(true)
    }), { numRuns: 5000 })
  })
})
