/** TAO amounts on the command line: parsed to rao exactly (bigint), shown exactly. */
import { describe, expect, it } from 'vitest'
import { amountJson, raoToTao, taoToRao } from '../../src/cli/ledger-client.ts'

describe('TAO amounts', () => {
  it('default: decimal TAO to rao, 1 TAO = 10^9 rao, no rounding anywhere', () => {
    expect(taoToRao('5')).toBe(5_000_000_000n)
    expect(taoToRao('0.25')).toBe(250_000_000n)
    expect(taoToRao('0.000000001')).toBe(1n)
    expect(taoToRao('1.000000001')).toBe(1_000_000_001n) // a float would give 1.000000001 → 1000000000.9999999
    expect(taoToRao('21000000')).toBe(21_000_000n * 1_000_000_000n)
    expect(raoToTao(1_500_000_000n)).toBe('1.5')
    expect(raoToTao(1n)).toBe('0.000000001')
    expect(raoToTao('21000000000000000')).toBe('21000000')
    expect(raoToTao(0n)).toBe('0')
    expect(amountJson(1_000_000_001n)).toEqual({ rao: '1000000001', tao: '1.000000001' })
  })

  it('behavior: more than 9 decimals, signs, exponents and words are refused with a usage error', () => {
    for (const bad of ['1.0000000001', '-1', '1e9', 'abc', '', '.5', '1.', '0x10']) {
      expect(() => taoToRao(bad), bad).toThrow(expect.objectContaining({ name: 'UsageError' }))
    }
  })
})
