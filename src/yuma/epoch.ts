/**
 * One subnet epoch, stage by stage. Each stage is one small function; the result carries every
 * intermediate so that a peer can show, and a test can check, each step.
 *
 *   S = normalize(stake ≥ threshold)                       stake
 *   A = normalize(S · active · permit)                     active stake
 *   W = rownorm(mask(weights))                             weights
 *   C_j = κ-median_i(W_ij; A)   W̄ = min(W, C)              consensus, clipping
 *   I = normalize(A·W̄)                                     ranks, incentive
 *   W̃ = W + β(W̄ − W)   B → E (Yuma 2 or 3)   D             bonds, dividends
 *   emission = floor(share · rao)                          emission
 */
import { checkEpochInput } from './input.ts'
import { U16_MAX, div, toU16 } from './fixed.ts'
import { yuma2Bonds } from './bonds.ts'
import { yuma3Bonds } from './bonds-yuma3.ts'
import type { StoreRows } from './bonds.ts'
import { clipTrustRanks, interpolate, keepColumns } from './matrix.ts'
import { isTopkNonzero, isZero, maskInPlace, normalizeInPlace, normalizeUsingSum, sum } from './vector.ts'
import { consensusFromStats, participants } from './consensus.ts'
import { weightsAndStats } from './weights.ts'
import type { CheckedInput } from './input.ts'
import type { U16Matrix } from './matrix.ts'
import { FRESH, SCRATCH } from './scratch.ts'
import { HelperLostError } from './threads.ts'
import { pack, shareCols, unpack } from './packed.ts'
import type { PackedRows } from './packed.ts'
import type { Alloc } from './scratch.ts'
import { toPairs } from './rows.ts'
import type { EpochInput, EpochOutput, SparseU16Row, U16Row } from './types.ts'

const U64_MAX = (1n << 64n) - 1n

/**
 * A typed array as a plain array, each value mapped by f: a loop, where `Array.from` on a typed
 * array walks its iterator (an allocated result object per element, megabytes per epoch).
 */
function listOf<T> (a: Float64Array, f: (v: number) => T): T[] {
  const out = new Array<T>(a.length) // every slot is filled below
  for (let i = 0; i < a.length; i++) out[i] = f(a[i])
  return out
}

const same = (v: number): number => v

/** Stake: S = normalize(stake with the threshold applied, owner exempt), I64F64 then I32F32. */
function stakeWeights (x: CheckedInput): Float64Array {
  const filtered = x.stake.map((s, i) => (i !== x.ownerUid && s < x.params.stakeThreshold) ? 0n : s)
  const total = filtered.reduce((a, b) => a + b, 0n)
  // S_i = floor(floor(s_i·2⁶⁴ / total) / 2³²) = floor(s_i·2³² / total); all zero when total = 0
  return Float64Array.from(filtered, s => total === 0n ? 0 : Number((s << 32n) / total))
}

/** Drop stored bonds on columns (re)registered since the previous epoch. */
function maskRecentlyRegistered (x: CheckedInput): U16Matrix {
  const last = x.lastMechanismStepBlock
  const lastTempo = last === 0 ? Math.max(0, x.currentBlock - x.params.tempo) : last + 1
  const keep = Uint8Array.from(x.blockAtRegistration, r => lastTempo <= r ? 0 : 1)
  return keepColumns(x.bonds, keep)
}

/** Emission: shares of the emission and their rao values. */
function emission (incentive: Float64Array, dividends: Float64Array, stake: Float64Array, activeStake: Float64Array, rao: bigint): Pick<EpochOutput, 'serverShare' | 'validatorShare' | 'combinedShare' | 'serverEmission' | 'validatorEmission' | 'combinedEmission'> {
  const combined = incentive.map((v, i) => v + dividends[i])
  const total = sum(combined)
  const server = normalizeUsingSum(incentive.slice(), total)
  let validator = normalizeUsingSum(dividends.slice(), total)
  let comb = normalizeInPlace(combined)
  if (total === 0) {
    // no usable weights: validators are paid by active stake, or by stake when none is active
    const fallback = isZero(activeStake) ? stake : activeStake
    validator = fallback.slice()
    comb = fallback.slice()
  }
  // I96F32: floor(share_bits · rao / 2³²), saturating to u64
  const rao64 = (s: Float64Array): bigint[] => listOf(s, v => {
    if (v === 0) return 0n // most shares (a miner's dividends, a validator's incentive): no bigint work
    const e = (BigInt(v) * rao) >> 32n
    return e < 0n ? 0n : (e > U64_MAX ? U64_MAX : e)
  })
  return {
    serverShare: listOf(server, same),
    validatorShare: listOf(validator, same),
    combinedShare: listOf(comb, same),
    serverEmission: rao64(server),
    validatorEmission: rao64(validator),
    combinedEmission: rao64(comb)
  }
}

const NONE = new Uint16Array(0)

/** The bond rows to store: computed rows for new permits, empty rows for lost permits, the input row otherwise. */
function storedBonds (x: CheckedInput, store: StoreRows, permits: boolean[], newPermits: boolean[]): U16Row[] {
  const rows: U16Row[] = new Array(x.n)
  // the computed rows are views into fresh arrays (uids < 4096 and u16 values fit exactly); rows
  // listing the same uids as the previous computed row share its uid list
  const { cols, at } = shareCols(x.n, store.ptr, store.col, i => newPermits[i])
  for (let i = 0; i < x.n; i++) {
    if (newPermits[i]) {
      const len = store.ptr[i + 1] - store.ptr[i]
      rows[i] = { uids: cols.subarray(at[i], at[i] + len), values: store.values.subarray(store.ptr[i], store.ptr[i + 1]) }
      continue
    }
    const a = !permits[i] ? x.bonds.ptr[i] : 0
    const e = !permits[i] ? x.bonds.ptr[i + 1] : 0
    // typed-to-typed construction converts element-wise; the input holds u16 integers. Empty rows
    // (most of a subnet: miners) share one empty array, which has nothing to change
    rows[i] = a === e ? { uids: NONE, values: NONE } : { uids: new Uint16Array(x.bonds.col.subarray(a, e)), values: new Uint16Array(x.bonds.val.subarray(a, e)) }
  }
  return rows
}

/** The matrices of an output, built on first access. */
type Matrices = 'weights' | 'clippedWeights' | 'weightsForBonds' | 'emaBonds'
const MATRICES: readonly Matrices[] = ['weights', 'clippedWeights', 'weightsForBonds', 'emaBonds']

/**
 * Run one epoch exactly as the chain's sparse `epoch_mechanism` does, in I32F32.
 * Throws `InvalidEpochInputError`, `EpochValueRangeError` or `InvalidYumaParamsError` on bad input.
 *
 * The matrices W, W̄, W̃ and E (megabytes each at full subnet size) are computed in scratch
 * memory, and the output rebuilds them on first access by running the same computation again on
 * its own packed copy of the checked input, into fresh arrays: the same bits, and they stay valid
 * whatever later epochs do. Every other field is computed once, here. (Fresh memory costs page
 * faults: at full size this keeps it to the u16 values of the input and of the stored bonds.)
 *
 * @example
 * const out = epoch({ stake: [10n, 0n], weights: [[[1, 65535]], []], validatorPermits: [true, false],
 *   lastUpdate: [1, 1], blockAtRegistration: [0, 0], currentBlock: 2, raoEmission: 1_000_000_000n })
 * out.serverEmission // [0n, 500000000n]
 */
export function epoch (input: EpochInput): EpochOutput {
  // the checked input's rows are scratch; every other array of it is its own fresh copy
  const x = checkEpochInput(input)
  const { weights, bonds, ...rest } = x
  let kept: { rest: Omit<CheckedInput, 'weights' | 'bonds'>, weights: PackedRows, bonds: PackedRows } | null = { rest, weights: pack(weights), bonds: pack(bonds) }
  const result = computeHere(x)
  let built: Pick<EpochOutput, Matrices> | null = null
  const matrices = (): Pick<EpochOutput, Matrices> => {
    if (built === null && kept !== null) {
      built = compute({ ...kept.rest, weights: unpack(kept.weights), bonds: unpack(kept.bonds) }, FRESH)
      kept = null
    }
    return built as Pick<EpochOutput, Matrices>
  }
  // the scratch matrices in `result` are replaced by getters (in place: the field order stays)
  const lazy: PropertyDescriptorMap = {}
  for (const name of MATRICES) lazy[name] = { enumerable: true, get: () => matrices()[name] }
  const { bondsU16 } = result
  let pairs: SparseU16Row[] | undefined
  lazy.storedBonds = { enumerable: true, get: () => (pairs ??= bondsU16.map(toPairs)) }
  return Object.defineProperties(result, lazy) as EpochOutput
}

/**
 * The epoch on this thread and the helper (threads.ts); on this thread alone if the helper failed
 * (the stages only fill scratch memory, so they can start over).
 */
function computeHere (x: CheckedInput): ReturnType<typeof compute> {
  try {
    return compute(x, SCRATCH)
  } catch (err) {
    if (!(err instanceof HelperLostError)) throw err
    return compute(x, { ...SCRATCH, shared: false })
  }
}

/**
 * The whole epoch on a checked input; W, W̄, W̃ and E go into arrays from `alloc` (scratch ones
 * are overwritten by the next epoch). Every other array is fresh.
 */
function compute (x: CheckedInput, alloc: Alloc): Omit<EpochOutput, 'storedBonds'> & { storedBonds?: SparseU16Row[] } {
  const { n, params, ownerUid } = x
  // activity
  const active = x.lastUpdate.map(u => !(u + params.activityCutoff < x.currentBlock))
  // stake, permits (this epoch uses the stored ones; the new ones are for the next)
  const stake = stakeWeights(x)
  const permits = x.validatorPermits.slice()
  const newPermits = isTopkNonzero(stake, params.maxAllowedValidators)
  if (ownerUid !== null) permits[ownerUid] = newPermits[ownerUid] = true
  // A = normalize(S masked by activity and permit)
  const activeStake = maskInPlace(permits.map(p => !p), maskInPlace(active.map(a => !a), stake.slice()))
  normalizeInPlace(activeStake)
  // weights, consensus, clipping, trust, ranks, incentive
  const prerank = new Float64Array(n) // matmul(weights, activeStake), summed in the normalizing pass
  const voters = participants(activeStake, div(params.kappa, U16_MAX))
  const { weights, cols } = weightsAndStats(x, permits, activeStake, voters, prerank, alloc)
  const consensus = consensusFromStats(voters, weights, n, cols, alloc.shared)
  const { clipped: clippedWeights, trust: validatorTrust, ranks } = clipTrustRanks(weights, consensus, activeStake, n, alloc)
  const trust = ranks.map((r, j) => div(r, prerank[j]))
  const incentive = normalizeInPlace(ranks.slice())
  // bonds and dividends
  const weightsForBonds = interpolate(weights, clippedWeights, n, div(params.bondsPenalty, U16_MAX), alloc)
  const bonds = maskRecentlyRegistered(x)
  const b = params.yuma3
    ? yuma3Bonds(weightsForBonds, bonds, activeStake, incentive, consensus, n, params, alloc)
    : yuma2Bonds(weightsForBonds, bonds, activeStake, incentive, n, params, weightsForBonds === clippedWeights ? ranks : undefined, alloc)
  const bondsU16 = storedBonds(x, b.store, permits, newPermits)
  return {
    n,
    active,
    stake: listOf(stake, same),
    validatorPermits: permits,
    newValidatorPermits: newPermits,
    activeStake: listOf(activeStake, same),
    weights,
    prerank: listOf(prerank, same),
    consensus: listOf(consensus, same),
    clippedWeights,
    validatorTrust: listOf(validatorTrust, same),
    ranks: listOf(ranks, same),
    trust: listOf(trust, same),
    incentive: listOf(incentive, same),
    weightsForBonds,
    emaBonds: b.emaBonds,
    dividends: listOf(b.dividends, same),
    ...emission(incentive, b.dividends, stake, activeStake, x.raoEmission),
    u16: {
      consensus: listOf(consensus, toU16),
      incentive: listOf(incentive, toU16),
      dividends: listOf(b.dividends, toU16),
      validatorTrust: listOf(validatorTrust, toU16),
      stakeWeight: listOf(stake, toU16)
    },
    bondsU16,
    storedBonds: undefined // a getter, set by epoch()
  }
}
