import { describe, expect, it } from 'vitest'
import { formatTao, parseExpiry } from '../../src/cli/market-format.ts'
import { taoToRao as parseTao } from '../../src/cli/ledger-client.ts'

describe('market CLI amounts and expiries', () => {
  it('default: TAO amounts are exact in rao (10^9 rao per TAO) both ways', () => {
    expect(parseTao('5')).toBe(5_000_000_000n)
    expect(parseTao('0.25')).toBe(250_000_000n)
    expect(parseTao('0.000000001')).toBe(1n)
    expect(formatTao(2_500_000_000n)).toBe('2.5 TAO')
    expect(formatTao('1')).toBe('0.000000001 TAO')
    expect(formatTao(0n)).toBe('0 TAO')
  })

  it('behavior: amounts with more than 9 decimals, signs or words are refused with a usage error', () => {
    for (const bad of ['1.0000000001', '-1', 'five', '1e3', '']) expect(() => parseTao(bad)).toThrow(expect.objectContaining({ name: 'UsageError' }))
  })

  it('behavior: expiries are durations from now or dates', () => {
    const now = Date.UTC(2026, 0, 1)
    expect(parseExpiry('30d', now)).toBe(now + 30 * 86_400_000)
    expect(parseExpiry('12h', now)).toBe(now + 12 * 3_600_000)
    expect(parseExpiry('2027-01-31T00:00:00Z', now)).toBe(Date.UTC(2027, 0, 31))
    expect(() => parseExpiry('soon', now)).toThrow(expect.objectContaining({ name: 'UsageError' }))
  })
})
