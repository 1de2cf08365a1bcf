/**
 * A full-size subnet for the Yuma benchmark: 4096 uids, the first 256 are validators with a
 * permit and stake, each weighting every miner (uids 256..4095) with its own pseudo-random u16
 * weights. Deterministic (a fixed LCG), so every run measures the same epoch.
 */
import type { EpochInput, U16Row } from '../src/yuma/index.ts'

export const N = 4096
export const VALIDATORS = 256

function lcg (seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    return s
  }
}

/**
 * The epoch input: `yuma3` and `liquidAlpha` select the variant. Rows are the compact
 * {@link U16Row} form (`[uid, u16]` pairs are also accepted, but a million small arrays make the
 * garbage collector, not the epoch, the cost being measured).
 */
export function benchInput (yuma3: boolean, liquidAlpha: boolean, seed = 1): EpochInput {
  const rnd = lcg(seed)
  const stake = Array.from({ length: N }, (_, i) => i < VALIDATORS ? BigInt(1_000_000_000 + (rnd() % 100_000) * 1_000_000) : 0n)
  const miners = Uint16Array.from({ length: N - VALIDATORS }, (_, k) => VALIDATORS + k)
  const weights = Array.from({ length: N }, (_, i): U16Row => {
    if (i >= VALIDATORS) return { uids: new Uint16Array(0), values: new Uint16Array(0) }
    return { uids: miners, values: Uint16Array.from(miners, () => 32768 + (rnd() % 32768)) }
  })
  return {
    stake,
    weights,
    validatorPermits: Array.from({ length: N }, (_, i) => i < VALIDATORS),
    lastUpdate: Array.from({ length: N }, () => 10_000),
    blockAtRegistration: Array.from({ length: N }, () => 0),
    currentBlock: 10_100,
    raoEmission: 360n * 1_000_000_000n,
    maxAllowedValidators: VALIDATORS,
    yuma3,
    liquidAlpha,
    bondsMovingAverage: liquidAlpha ? 975_000 : 900_000,
    alphaLow: liquidAlpha ? 6553 : 45875,
    alphaHigh: liquidAlpha ? 19660 : 58982
  }
}
