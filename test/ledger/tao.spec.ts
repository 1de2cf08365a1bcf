/** The ledger's one TAO parser and formatter (src/ledger/tao.ts): exact, bounded by the supply. */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { formatTao, parseTao } from '../../src/ledger/tao.ts'

// 21,000,000 TAO × 10^9 rao per TAO, written out
const SUPPLY = 21_000_000_000_000_000n

describe('TAO amounts', () => {
  it('default: decimal TAO to rao and back, exactly', () => {
    expect(parseTao('5')).toBe(5_000_000_000n)
    expect(parseTao('0.25')).toBe(250_000_000n)
    expect(parseTao('0.000000001')).toBe(1n)
    expect(parseTao('1.000000001')).toBe(1_000_000_001n) // a float would lose the last digit
    expect(parseTao('007')).toBe(7_000_000_000n)
    expect(formatTao(1_500_000_000n)).toBe('1.5')
    expect(formatTao(0n)).toBe('0')
    expect(formatTao(-1n)).toBe('-0.000000001')
  })

  it('behavior: parseTao(formatTao(x)) === x for every rao amount from 0 to the supply', () => {
    fc.assert(fc.property(fc.bigInt({ min: 0n, max: SUPPLY }), x => parseTao(formatTao(x)) === x), { numRuns: 2000 })
    // the decimals alone, and the whole-TAO amounts, each over their full range
    fc.assert(fc.property(fc.bigInt({ min: 0n, max: 999_999_999n }), x => parseTao(formatTao(x)) === x))
    fc.assert(fc.property(fc.bigInt({ min: 0n, max: 21_000_000n }), t => parseTao(formatTao(t * 1_000_000_000n)) === t * 1_000_000_000n))
  })

  it('behavior: the boundaries: the supply parses, one rao more and a ninth integer digit do not', () => {
    expect(parseTao('21000000')).toBe(SUPPLY)
    expect(formatTao(SUPPLY)).toBe('21000000')
    expect(parseTao('20999999.999999999')).toBe(SUPPLY - 1n)
    expect(() => parseTao('21000000.000000001')).toThrow(expect.objectContaining({ name: 'InvalidAmountError' }))
    expect(() => parseTao('99999999.999999999')).toThrow(expect.objectContaining({ name: 'InvalidAmountError' }))
    expect(() => parseTao('100000000')).toThrow(expect.objectContaining({ name: 'InvalidAmountError' }))
    expect(() => parseTao('000000001')).toThrow(expect.objectContaining({ name: 'InvalidAmountError' }))
  })

  it('behavior: signs, exponents, spaces, words and a tenth decimal are refused with InvalidAmountError', () => {
    for (const bad of ['1.0000000001', '-1', '+1', '1e9', 'abc', '', '.5', '1.', '0x10', ' 1', '1 000', '1,5', 'Infinity']) {
      expect(() => parseTao(bad), bad).toThrow(expect.objectContaining({ name: 'InvalidAmountError' }))
    }
    expect(() => parseTao(5 as unknown as string)).toThrow(TypeError)
    expect(() => formatTao(5 as unknown as bigint)).toThrow(TypeError)
  })
})
