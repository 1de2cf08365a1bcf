/**
 * TAO amounts as text: the one exact parser and formatter (bigint rao, no floats anywhere).
 * 1 TAO = 10^9 rao ({@link RAO_PER_TAO}); the supply is 21,000,000 TAO = 2.1·10^16 rao
 * ({@link TOTAL_SUPPLY}). The CLI's `--amount`, `--fund`, `--price` and `--max-price` and every
 * amount it prints go through these two functions.
 */
import { InvalidAmountError } from './errors.ts'
import { RAO_PER_TAO, TOTAL_SUPPLY } from './params.ts'

/**
 * Policy: at most 8 integer digits, because the supply, 21,000,000 TAO, has 8: no amount the
 * chain can hold needs more, and the bound keeps the bigint work constant whatever text arrives.
 * Within the 8 digits an amount above the supply (e.g. 99,999,999 TAO) is refused by value.
 * At most 9 decimals, because 1 rao = 10^-9 TAO is the smallest unit: more would have to round.
 */
const TAO_TEXT = /^(\d{1,8})(?:\.(\d{1,9}))?$/

/**
 * Parses a TAO amount ("5", "0.25", "0.000000001", "21000000") into rao, exactly: digits, then
 * optionally a point and 1 to 9 decimals; no sign, exponent, spaces or separators. Leading zeros
 * are allowed ("007" is 7 TAO).
 *
 * @throws InvalidAmountError for any other text, or an amount above the supply
 * @throws TypeError when `text` is not a string
 */
export function parseTao (text: string): bigint {
  if (typeof text !== 'string') throw new TypeError('a TAO amount must be a string')
  const m = TAO_TEXT.exec(text)
  if (m == null) throw new InvalidAmountError(`not a TAO amount (at most 8 digits, then at most 9 decimals): ${JSON.stringify(text.slice(0, 40))}`)
  const rao = BigInt(m[1]) * RAO_PER_TAO + BigInt((m[2] ?? '').padEnd(9, '0'))
  if (rao > TOTAL_SUPPLY) throw new InvalidAmountError(`${text} TAO is more than the supply of ${formatTao(TOTAL_SUPPLY)} TAO`)
  return rao
}

/**
 * Shows rao as TAO, exactly, without a unit: "1.5", "0.000000001", "21000000", "0"; trailing
 * zeros of the decimals are dropped and a negative amount (a difference) gets a "-".
 * `parseTao(formatTao(x)) === x` for every `0 <= x <= TOTAL_SUPPLY`.
 *
 * @throws TypeError when `rao` is not a bigint
 */
export function formatTao (rao: bigint): string {
  if (typeof rao !== 'bigint') throw new TypeError('a rao amount must be a bigint')
  const neg = rao < 0n
  const a = neg ? -rao : rao
  const frac = (a % RAO_PER_TAO).toString().padStart(9, '0').replace(/0+$/, '')
  return (neg ? '-' : '') + (a / RAO_PER_TAO).toString() + (frac === '' ? '' : '.' + frac)
}
