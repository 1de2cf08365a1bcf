/**
 * Hyperparameter defaults and their validation.
 */
import { InvalidYumaParamsError } from './errors.ts'
import type { YumaParams } from './types.ts'

/** The chain's defaults (storage/runtime values; `init_new_network` sets some differently). */
export const DEFAULT_PARAMS: Readonly<YumaParams> = Object.freeze({
  tempo: 360,
  activityCutoff: 5000,
  kappa: 32767,
  bondsPenalty: 65535,
  bondsMovingAverage: 900_000,
  yuma3: false,
  liquidAlpha: false,
  alphaLow: 45875,
  alphaHigh: 58982,
  alphaSigmoidSteepness: 1000,
  maxAllowedValidators: 128,
  stakeThreshold: 0n
})

const U64_MAX = (1n << 64n) - 1n

/** Fill defaults and check every hyperparameter against the range its storage type allows. */
export function resolveParams (p: Partial<YumaParams>): YumaParams {
  const r: YumaParams = {
    tempo: p.tempo ?? DEFAULT_PARAMS.tempo,
    activityCutoff: p.activityCutoff ?? DEFAULT_PARAMS.activityCutoff,
    kappa: p.kappa ?? DEFAULT_PARAMS.kappa,
    bondsPenalty: p.bondsPenalty ?? DEFAULT_PARAMS.bondsPenalty,
    bondsMovingAverage: p.bondsMovingAverage ?? DEFAULT_PARAMS.bondsMovingAverage,
    yuma3: p.yuma3 ?? DEFAULT_PARAMS.yuma3,
    liquidAlpha: p.liquidAlpha ?? DEFAULT_PARAMS.liquidAlpha,
    alphaLow: p.alphaLow ?? DEFAULT_PARAMS.alphaLow,
    alphaHigh: p.alphaHigh ?? DEFAULT_PARAMS.alphaHigh,
    alphaSigmoidSteepness: p.alphaSigmoidSteepness ?? DEFAULT_PARAMS.alphaSigmoidSteepness,
    maxAllowedValidators: p.maxAllowedValidators ?? DEFAULT_PARAMS.maxAllowedValidators,
    stakeThreshold: p.stakeThreshold ?? DEFAULT_PARAMS.stakeThreshold
  }
  intIn('tempo', r.tempo, 0, 65535)
  intIn('activityCutoff', r.activityCutoff, 0, Number.MAX_SAFE_INTEGER)
  intIn('kappa', r.kappa, 0, 65535)
  intIn('bondsPenalty', r.bondsPenalty, 0, 65535)
  // Policy: the chain stores a u64, but above 10⁶ the EMA rate 1 − value/10⁶ turns negative;
  // refuse rather than emulate bonds that shrink below zero.
  intIn('bondsMovingAverage', r.bondsMovingAverage, 0, 1_000_000)
  bool('yuma3', r.yuma3)
  bool('liquidAlpha', r.liquidAlpha)
  intIn('alphaLow', r.alphaLow, 0, 65535)
  intIn('alphaHigh', r.alphaHigh, 0, 65535)
  if (r.alphaLow > r.alphaHigh) {
    throw new InvalidYumaParamsError(`alphaLow (${r.alphaLow}) must not exceed alphaHigh (${r.alphaHigh})`)
  }
  intIn('alphaSigmoidSteepness', r.alphaSigmoidSteepness, -32768, 32767)
  intIn('maxAllowedValidators', r.maxAllowedValidators, 0, 65535)
  if (typeof r.stakeThreshold !== 'bigint' || r.stakeThreshold < 0n || r.stakeThreshold > U64_MAX) {
    throw new InvalidYumaParamsError(`stakeThreshold must be a bigint in [0, 2^64-1], got ${String(r.stakeThreshold)}`)
  }
  return r
}

function intIn (name: string, v: unknown, lo: number, hi: number): void {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < lo || v > hi) {
    throw new InvalidYumaParamsError(`${name} must be an integer in [${lo}, ${hi}], got ${String(v)}`)
  }
}

function bool (name: string, v: unknown): void {
  if (typeof v !== 'boolean') throw new InvalidYumaParamsError(`${name} must be a boolean, got ${String(v)}`)
}
