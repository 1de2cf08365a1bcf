/** Boundary checks for decoded transaction fields; each failure is a `MalformedError`. */
import { fromAddress } from '../address.ts'
import { MalformedError } from '../errors.ts'

/** A safe non-negative integer, at most `max`. */
export function uint (x: unknown, name: string, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof x === 'bigint' && x >= 0n && x <= BigInt(max)) return Number(x)
  if (typeof x !== 'number' || !Number.isSafeInteger(x) || x < 0 || x > max) throw new MalformedError(`${name} must be an integer in [0, ${max}]`)
  return x
}

/** A u16. */
export function u16 (x: unknown, name: string): number { return uint(x, name, 65_535) }

/** A rao amount: a non-negative integer below 2^64. */
export function rao (x: unknown, name: string): bigint {
  const b = typeof x === 'number' && Number.isSafeInteger(x) ? BigInt(x) : x
  if (typeof b !== 'bigint' || b < 0n || b >= (1n << 64n)) throw new MalformedError(`${name} must be a rao amount (u64)`)
  return b
}

/** A valid SS58 address. */
export function address (x: unknown, name: string): string {
  if (typeof x !== 'string') throw new MalformedError(`${name} must be an address`)
  fromAddress(x)
  return x
}

/** A byte string of an exact or bounded length. */
export function bytes (x: unknown, name: string, min: number, max: number): Uint8Array {
  if (!(x instanceof Uint8Array) || x.length < min || x.length > max) throw new MalformedError(`${name} must be ${min}..${max} bytes`)
  return x
}

/** A list of u16, at most `max` long. */
export function u16List (x: unknown, name: string, max: number): number[] {
  if (!Array.isArray(x) || x.length > max) throw new MalformedError(`${name} must be a list of at most ${max} u16`)
  return x.map((e, i) => u16(e, `${name}[${i}]`))
}
