/**
 * The per-block coinbase split of a subnet's alpha emission (subtensor's `run_coinbase`), in U96F32 (bigint bits,
 * 32 fractional bits): the owner cut, then half of the rest to miners and the other half to
 * validators, of which `rootProportion` goes to root stakers.
 */
import { EpochValueRangeError } from './errors.ts'

const HALF = 1n << 31n
const U64_MAX = (1n << 64n) - 1n

/** Options of {@link coinbaseSplit}. */
export interface CoinbaseSplitOptions {
  /** `SubnetOwnerCut`, u16 over 65535. @default 11796 (≈ 18 %) */
  ownerCut?: number
  /** Root proportion as U96F32 bits (value·2³²), in [0, 2³²]. @default 0n */
  rootProportion?: bigint
}

/** The parts of one block's alpha emission, as U96F32 bits (value·2³²). */
export interface CoinbaseSplit {
  ownerCut: bigint
  server: bigint
  validator: bigint
  root: bigint
  /** server + validator + root: what the epoch distributes. */
  epochEmission: bigint
}

/**
 * Split `alphaOut` rao: cut = alphaOut·ownerCut/65535; rest = alphaOut − cut; server = rest·½;
 * root = rootProportion·rest·½; validator = rest − server − root.
 */
export function coinbaseSplit (alphaOut: bigint, options: CoinbaseSplitOptions = {}): CoinbaseSplit {
  const ownerCut = options.ownerCut ?? 11796
  const rp = options.rootProportion ?? 0n
  if (typeof alphaOut !== 'bigint' || alphaOut < 0n || alphaOut > U64_MAX) throw new EpochValueRangeError(`alphaOut must be a bigint in [0, 2^64-1], got ${String(alphaOut)}`)
  if (!Number.isInteger(ownerCut) || ownerCut < 0 || ownerCut > 65535) throw new EpochValueRangeError(`ownerCut must be a u16, got ${String(ownerCut)}`)
  if (typeof rp !== 'bigint' || rp < 0n || rp > (1n << 32n)) throw new EpochValueRangeError(`rootProportion must be U96F32 bits in [0, 2^32], got ${String(rp)}`)
  const alpha = alphaOut << 32n
  const cutPercent = (BigInt(ownerCut) << 32n) / 65535n
  const cut = (alpha * cutPercent) >> 32n
  const rest = alpha - cut
  const server = (rest * HALF) >> 32n
  const root = (((rp * rest) >> 32n) * HALF) >> 32n
  const validator = rest - server - root
  return { ownerCut: cut, server, validator, root, epochEmission: server + validator + root }
}
