/**
 * The entry check of an epoch: every shape, length and range is verified before any arithmetic,
 * and the stored u16 rows are turned into sparse matrices of plain integers.
 */
import { EpochValueRangeError, InvalidEpochInputError } from './errors.ts'
import { resolveParams } from './params.ts'
import { scratchU16 } from './scratch.ts'
import type { U16Matrix } from './matrix.ts'
import { isU16Row } from './rows.ts'
import type { EpochInput, U16Row, YumaParams } from './types.ts'

/**
 * The most uids an epoch takes: the chain's own limit on a subnet, and the bound under which
 * every intermediate of the number path stays exact (fixed.ts).
 */
export const MAX_UIDS = 4096
const U64_MAX = (1n << 64n) - 1n
const I64_MAX = (1n << 63n) - 1n

/** A checked epoch input, ready for the arithmetic. */
export interface CheckedInput {
  n: number
  params: YumaParams
  stake: bigint[]
  /** Weights as stored (u16, not yet I32F32). */
  weights: U16Matrix
  /** Bonds as stored (u16). */
  bonds: U16Matrix
  validatorPermits: boolean[]
  lastUpdate: number[]
  blockAtRegistration: number[]
  currentBlock: number
  raoEmission: bigint
  lastMechanismStepBlock: number
  ownerUid: number | null
  commitBlocks: Array<number | null> | undefined
}

/** Check an epoch input; throws `InvalidEpochInputError` or `EpochValueRangeError`. */
export function checkEpochInput (input: EpochInput): CheckedInput {
  if (input == null || typeof input !== 'object') throw new InvalidEpochInputError('epoch input must be an object')
  const params = resolveParams(input)
  if (!Array.isArray(input.stake)) throw new InvalidEpochInputError('stake must be an array of bigint rao')
  const n = input.stake.length
  if (n > MAX_UIDS) throw new InvalidEpochInputError(`a subnet has at most ${MAX_UIDS} uids, got ${n}`)
  let total = 0n
  const stake = input.stake.map((s, i) => {
    if (typeof s !== 'bigint' || s < 0n || s > I64_MAX) throw new EpochValueRangeError(`stake[${i}] must be a bigint in [0, 2^63-1], got ${String(s)}`)
    total += s
    return s
  })
  if (total > I64_MAX) throw new EpochValueRangeError('total stake must be below 2^63 (I64F64)')
  const bonds = input.bonds == null ? { rows: n, ptr: new Int32Array(n + 1), col: new Uint16Array(0), val: new Uint16Array(0) } : rowsOf('bonds', input.bonds, n)
  return {
    n,
    params,
    stake,
    weights: rowsOf('weights', input.weights, n),
    bonds,
    validatorPermits: perUid('validatorPermits', input.validatorPermits, n, v => typeof v === 'boolean', 'a boolean'),
    lastUpdate: perUid('lastUpdate', input.lastUpdate, n, isBlock, 'a block number'),
    blockAtRegistration: perUid('blockAtRegistration', input.blockAtRegistration, n, isBlock, 'a block number'),
    currentBlock: block('currentBlock', input.currentBlock),
    raoEmission: rao(input.raoEmission),
    lastMechanismStepBlock: block('lastMechanismStepBlock', input.lastMechanismStepBlock ?? 0),
    ownerUid: owner(input.ownerUid, n),
    commitBlocks: input.commitBlocks == null
      ? undefined
      : perUid('commitBlocks', input.commitBlocks, n, v => v === null || isBlock(v), 'a block number or null')
  }
}

function isBlock (v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0
}

function block (name: string, v: unknown): number {
  if (!isBlock(v)) throw new EpochValueRangeError(`${name} must be a non-negative safe integer, got ${String(v)}`)
  return v
}

function rao (v: unknown): bigint {
  if (typeof v !== 'bigint' || v < 0n || v > U64_MAX) throw new EpochValueRangeError(`raoEmission must be a bigint in [0, 2^64-1], got ${String(v)}`)
  return v
}

function owner (v: unknown, n: number): number | null {
  if (v == null) return null
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= n) {
    throw new EpochValueRangeError(`ownerUid must be a uid in [0, ${n - 1}] or null, got ${String(v)}`)
  }
  return v
}

function perUid<T> (name: string, arr: unknown, n: number, ok: (v: unknown) => boolean, what: string): T[] {
  if (!Array.isArray(arr)) throw new InvalidEpochInputError(`${name} must be an array of length ${n}`)
  if (arr.length !== n) throw new InvalidEpochInputError(`${name} has length ${arr.length}, expected ${n} (one per uid)`)
  arr.forEach((v, i) => {
    if (!ok(v)) throw new EpochValueRangeError(`${name}[${i}] must be ${what}, got ${String(v)}`)
  })
  return arr.slice() as T[]
}

function rowsOf (name: string, rows: unknown, n: number): U16Matrix {
  if (!Array.isArray(rows)) throw new InvalidEpochInputError(`${name} must be an array of sparse rows`)
  if (rows.length !== n) throw new InvalidEpochInputError(`${name} has ${rows.length} rows, expected ${n} (one per uid)`)
  let nnz = 0
  for (const row of rows as unknown[]) nnz += isU16Row(row) ? row.uids.length : (Array.isArray(row) ? row.length : 0)
  const seen = new Int32Array(n)
  // private copies (the epoch copies out whatever it returns): scratch arrays
  const m = { rows: n, ptr: new Int32Array(n + 1), col: scratchU16(`${name}.col`, nnz), val: scratchU16(`${name}.val`, nnz), same: new Uint8Array(n) }
  let o = 0
  let previous: Uint16Array | null = null
  for (let i = 0; i < n; i++) {
    const row: unknown = rows[i]
    if (isU16Row(row)) {
      // a row viewing the same uids as the row before (one list shared by every validator's row,
      // or rows packed by an earlier epoch's output) was checked with it
      const u = row.uids
      if (previous !== null && u.length > 0 && u.length === previous.length && u.buffer === previous.buffer && u.byteOffset === previous.byteOffset && row.values.length === u.length) {
        m.same[i] = 1
        m.col.set(u, o)
        m.val.set(row.values, o)
        o += u.length
      } else {
        o = typedRow(name, row, i, n, seen, m, o)
      }
      previous = u
    } else if (Array.isArray(row)) {
      o = pairRow(name, row, i, n, seen, m, o)
      previous = null
    } else throw new InvalidEpochInputError(`${name}[${i}] must be an array of [uid, u16] pairs or {uids, values} Uint16Arrays`)
    m.ptr[i + 1] = o
  }
  return m
}

/** Check row i given as pairs and append it at slot o; returns the next free slot. */
function pairRow (name: string, row: unknown[], i: number, n: number, seen: Int32Array, m: U16Matrix, o: number): number {
  for (let k = 0; k < row.length; k++) {
    const e: unknown = row[k]
    if (!Array.isArray(e) || e.length !== 2) throw new InvalidEpochInputError(`${name}[${i}][${k}] must be a [uid, u16] pair`)
    const j: unknown = e[0]
    const v: unknown = e[1]
    if (typeof j !== 'number' || (j >>> 0) !== j || j >= n) {
      throw new EpochValueRangeError(`${name}[${i}][${k}]: uid must be in [0, ${n - 1}], got ${String(j)}`)
    }
    if (typeof v !== 'number' || (v & 0xffff) !== v) {
      throw new EpochValueRangeError(`${name}[${i}][${k}]: value must be a u16, got ${String(v)}`)
    }
    if (seen[j] === i + 1) throw new InvalidEpochInputError(`${name}[${i}] lists uid ${j} twice`)
    seen[j] = i + 1
    m.col[o] = j
    m.val[o++] = v
  }
  return o
}

/** Check a typed row i and append it at slot o; returns the next free slot. */
function typedRow (name: string, row: U16Row, i: number, n: number, seen: Int32Array, m: U16Matrix, o: number): number {
  const len = row.uids.length
  if (row.values.length !== len) throw new InvalidEpochInputError(`${name}[${i}]: uids and values differ in length`)
  const u = row.uids
  let ascending = true
  for (let k = 1; k < len; k++) if (u[k] <= u[k - 1]) { ascending = false; break }
  if (ascending && (len === 0 || u[len - 1] < n)) {
    // strictly ascending uids below n: no duplicates, all in range; copy in bulk
    m.col.set(u, o)
    m.val.set(row.values, o)
    return o + len
  }
  for (let k = 0; k < len; k++) {
    const j = u[k]
    if (j >= n) throw new EpochValueRangeError(`${name}[${i}][${k}]: uid must be in [0, ${n - 1}], got ${j}`)
    if (seen[j] === i + 1) throw new InvalidEpochInputError(`${name}[${i}] lists uid ${j} twice`)
    seen[j] = i + 1
    m.col[o] = j
    m.val[o++] = row.values[k]
  }
  return o
}
