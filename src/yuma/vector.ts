/**
 * Vector primitives over I32F32 bits (subtensor `epoch/math.rs`). Vectors are `Float64Array`s
 * whose elements are exact integers (see fixed.ts).
 */
import { ONE, divInv } from './fixed.ts'

/** Σx (the chain's `iter().sum()`; epoch values never come near the i64 range). */
export function sum (x: Float64Array): number {
  let s = 0
  for (let i = 0; i < x.length; i++) s += x[i]
  return s
}

/** `inplace_normalize`: divide by the sum unless it is zero. */
export function normalizeInPlace (x: Float64Array): Float64Array {
  return normalizeUsingSum(x, sum(x))
}

/** `inplace_normalize_using_sum`: divide by a given sum unless it is zero. */
export function normalizeUsingSum (x: Float64Array, s: number): Float64Array {
  if (s === 0) return x
  const inv = ONE / s
  for (let i = 0; i < x.length; i++) x[i] = divInv(x[i], s, inv)
  return x
}

/** `inplace_mask_vector`: zero every element whose mask is true. */
export function maskInPlace (mask: readonly boolean[], x: Float64Array): Float64Array {
  for (let i = 0; i < x.length; i++) if (mask[i]) x[i] = 0
  return x
}

/** `is_zero`: the sum is zero. */
export function isZero (x: Float64Array): boolean {
  return sum(x) === 0
}

/**
 * `is_topk_nonzero`: true for non-zero entries among the k largest. Indices are sorted ascending
 * by value with a stable sort and the first n−k lose, so among equal values the higher index wins.
 */
export function isTopkNonzero (x: Float64Array, k: number): boolean[] {
  const n = x.length
  const result: boolean[] = Array.from(x, v => v !== 0)
  if (n < k) return result
  const idx = Array.from({ length: n }, (_, i) => i)
  idx.sort((a, b) => (x[a] - x[b]) || (a - b))
  for (let r = 0; r < n - k; r++) result[idx[r]] = false
  return result
}
