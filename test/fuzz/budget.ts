/**
 * How long the fuzz properties run. In `npm test` every property runs a small fixed number of
 * cases from a fixed seed, so a failure reproduces and the whole fuzz set stays within a few
 * seconds of CPU. With `FUZZ_MINUTES` set (by `npm run fuzz -- --minutes N`, which sets it per
 * file), the file's minutes are split evenly over its properties: each runs until its share of
 * time is up, from a random seed that is printed (or from `FUZZ_SEED`, to reproduce a run).
 */
import type fc from 'fast-check'

/** The seed of the default (CI) runs. */
export const DEFAULT_SEED = 0x5eed_ba5e

/** What a property needs from the budget: fast-check parameters and the vitest timeout. */
export interface FuzzBudget {
  /** fast-check parameters for a property whose default run is `runs` cases. */
  params: <T>(runs: number) => fc.Parameters<T>
  /** The vitest timeout (ms) to give each property's test. */
  timeout: number
  /** Whether this is a long `npm run fuzz` run. */
  long: boolean
}

function minutes (): number | undefined {
  const raw = process.env.FUZZ_MINUTES
  if (raw == null || raw === '') return undefined
  const n = Number(raw)
  if (!(n > 0)) throw new RangeError(`FUZZ_MINUTES must be a positive number, got ${raw}`)
  return n
}

/**
 * The budget of a fuzz file with `properties` properties (each calls `params` once).
 */
export function fuzzBudget (properties: number): FuzzBudget {
  const m = minutes()
  if (m == null) {
    return {
      params: <T>(runs: number): fc.Parameters<T> => ({ seed: DEFAULT_SEED, numRuns: runs, endOnFailure: true }),
      timeout: 30_000,
      long: false
    }
  }
  const share = Math.max(1000, Math.floor(m * 60_000 / properties))
  const seed = process.env.FUZZ_SEED != null ? Number(process.env.FUZZ_SEED) : Math.floor(Math.random() * 0x7fffffff)
  console.log(`fuzz: seed ${seed}, ${share} ms per property (reproduce with FUZZ_SEED=${seed})`)
  return {
    params: <T>(): fc.Parameters<T> => ({ seed, numRuns: Number.MAX_SAFE_INTEGER, interruptAfterTimeLimit: share, markInterruptAsFailure: false, endOnFailure: true }),
    // the property's share, plus room for the shrinking of a failure and the file's set-up
    timeout: share * 2 + 60_000,
    long: true
  }
}

/**
 * Runs `fn` and returns how far `process.memoryUsage().arrayBuffers` rose over it (the peak of the
 * samples taken before and after, so garbage freed meanwhile only lowers the figure).
 */
export async function arrayBufferGrowth (fn: () => Promise<void> | void): Promise<number> {
  const before = process.memoryUsage().arrayBuffers
  await fn()
  return process.memoryUsage().arrayBuffers - before
}

/** Asserts that `err` is an Error whose name is in `allowed`; rethrows it otherwise (a finding). */
export function expectNamed (err: unknown, allowed: readonly string[]): void {
  const name = (err as { name?: unknown } | null)?.name
  if (!(err instanceof Error) || typeof name !== 'string' || !allowed.includes(name)) {
    throw new Error(`unexpected error ${String(name)}: ${(err as Error)?.message ?? String(err)} (allowed: ${allowed.join(', ')})`, { cause: err })
  }
}

/** Calls `fn`; returns its value, or `undefined` after checking that its throw is named in `allowed`. */
export function decodeOrNamed<T> (fn: () => T, allowed: readonly string[]): T | undefined {
  try {
    return fn()
  } catch (err) {
    expectNamed(err, allowed)
    return undefined
  }
}

/** The async form of {@link decodeOrNamed}. */
export async function decodeOrNamedAsync<T> (fn: () => Promise<T>, allowed: readonly string[]): Promise<T | undefined> {
  try {
    return await fn()
  } catch (err) {
    expectNamed(err, allowed)
    return undefined
  }
}
