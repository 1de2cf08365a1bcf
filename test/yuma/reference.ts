/**
 * A slow, dense, obvious implementation of subtensor's Yuma epoch, used only as a test oracle for
 * `epoch()`.
 *
 * It is written from the chain's rules, not from src/yuma: n×n bigint matrices with a presence flag
 * per entry (the chain's sparse semantics: which entries exist matters), the consensus from the
 * closed form of the stake-weighted κ-median ({@link kappaMedian}) instead of the chain's partition
 * search (`weighted_median`), and its own bigint I32F32 arithmetic (floor on multiply, truncating
 * division, division by zero → 0). Rows are assumed sorted by uid (the chain's liquid-alpha lookup
 * differs on unsorted rows; src/yuma emulates that).
 */
import type { EpochInput } from '../../src/yuma/index.ts'

const ONE = 1n << 32n
const mul = (a: bigint, b: bigint): bigint => (a * b) >> 32n
const div = (a: bigint, b: bigint): bigint => (b === 0n ? 0n : (a << 32n) / b)
const toU16 = (x: bigint): number => { const v = (x * 65535n) >> 32n; return v < 0n ? 0 : (v > 65535n ? 65535 : Number(v)) }
const sumOf = (xs: bigint[]): bigint => xs.reduce((a, b) => a + b, 0n)
const normalize = (xs: bigint[]): bigint[] => { const s = sumOf(xs); return s === 0n ? xs.slice() : xs.map(x => div(x, s)) }

/** A dense matrix: value and presence per (row, column). */
interface Dense { v: bigint[][], p: boolean[][] }
const dense = (n: number): Dense => ({ v: Array.from({ length: n }, () => Array<bigint>(n).fill(0n)), p: Array.from({ length: n }, () => Array<boolean>(n).fill(false)) })

function fromRows (rows: ReadonlyArray<ReadonlyArray<readonly [number, number]>>, n: number, keep: (i: number, j: number) => boolean): Dense {
  const m = dense(n)
  rows.forEach((row, i) => { for (const [j, w] of row) if (keep(i, j)) { m.v[i][j] = BigInt(w); m.p[i][j] = true } })
  return m
}

function colNormalize (m: Dense): Dense {
  const n = m.v.length
  const out = dense(n)
  for (let j = 0; j < n; j++) {
    let s = 0n
    for (let i = 0; i < n; i++) if (m.p[i][j]) s += m.v[i][j]
    for (let i = 0; i < n; i++) if (m.p[i][j]) { out.p[i][j] = true; out.v[i][j] = s === 0n ? m.v[i][j] : div(m.v[i][j], s) }
  }
  return out
}

/** substrate-fixed exp over I32F32 (Taylor terms 2..31 with floor), clamped like exp_safe. */
function expSafe (x0: bigint): bigint {
  const lim = 20n * ONE
  const x = x0 < -lim ? -lim : (x0 > lim ? lim : x0)
  if (x === 0n) return ONE
  if (x === ONE) return 22802600n << 9n // e truncated to 23 fractional bits
  const a = x < 0n ? -x : x
  let term = a
  let result = a + ONE
  for (let i = 2n; i < 32n; i++) { term = mul(term, a) / i; result += term }
  return x < 0n ? div(ONE, result) : result
}

function liquidAlpha (c: bigint, w: bigint, b: bigint, low: bigint, high: bigint, steep: number): bigint {
  const clamp = (v: bigint, lo: bigint, hi: bigint): bigint => { const y = v < hi ? v : hi; return y > lo ? y : lo }
  const d = w >= b ? clamp(w - c, 0n, ONE) : clamp(b - w, 0n, ONE)
  const slope = (BigInt(steep) << 32n) / -100n
  const sigmoid = div(ONE, ONE + expSafe(mul(slope, d - ONE / 2n)))
  return clamp(low + mul(sigmoid, high - low), low, high)
}

/** The κ-median in closed form: the smallest score v with stake(score ≤ v) > minority; else the largest. */
function kappaMedian (scores: bigint[], stakes: bigint[], minority: bigint): bigint {
  if (scores.length === 0) return 0n
  const values = [...new Set(scores)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
  for (const v of values) {
    const below = sumOf(scores.map((s, k) => (s <= v ? stakes[k] : 0n)))
    if (below > minority) return v
  }
  return values[values.length - 1]
}

/** What the oracle computes (proportions as bigint bits). */
export interface ReferenceOutput {
  active: boolean[]
  newValidatorPermits: boolean[]
  stake: bigint[]
  activeStake: bigint[]
  consensus: bigint[]
  prerank: bigint[]
  validatorTrust: bigint[]
  incentive: bigint[]
  dividends: bigint[]
  serverEmission: bigint[]
  validatorEmission: bigint[]
  combinedEmission: bigint[]
  /** Stored bonds as sorted `[uid, u16]` rows. */
  bonds: Array<Array<[number, number]>>
}

/** The oracle. Hyperparameters must be given in full (no defaults here). */
export function referenceEpoch (x: Required<Omit<EpochInput, 'bonds' | 'commitBlocks' | 'ownerUid' | 'weights'>> & { weights: Array<Array<[number, number]>>, bonds: Array<Array<[number, number]>>, ownerUid: number | null, commitBlocks?: Array<number | null> }): ReferenceOutput {
  const n = x.stake.length
  const owner = x.ownerUid
  const active = x.lastUpdate.map(u => !(u + x.activityCutoff < x.currentBlock))
  const filtered = x.stake.map((s, i) => (i !== owner && s < x.stakeThreshold ? 0n : s))
  const total = sumOf(filtered)
  const S = filtered.map(s => (total === 0n ? 0n : (s << 32n) / total))
  const permit = x.validatorPermits.map((p, i) => p || i === owner)
  // new permits: the k largest S (ties: the higher uid ranks higher), never zero stake
  const order = S.map((_s, i) => i).sort((a, b) => (S[a] === S[b] ? a - b : (S[a] < S[b] ? -1 : 1)))
  const top = new Set(n < x.maxAllowedValidators ? order : order.slice(n - x.maxAllowedValidators))
  const newPermits = S.map((s, i) => i === owner || (top.has(i) && s !== 0n))
  const A = normalize(S.map((s, i) => (active[i] && permit[i] ? s : 0n)))
  // weights: permit rows only, no diagonal (owner excepted), not outdated, not commit-masked; row-normalized
  const W = fromRows(x.weights, n, (i, j) => permit[i] && (i !== j || i === owner) && !(x.lastUpdate[i] <= x.blockAtRegistration[j]) &&
    !(x.commitBlocks?.[i] != null && (x.commitBlocks[i] as number) < x.blockAtRegistration[j]))
  for (let i = 0; i < n; i++) {
    const s = sumOf(W.v[i].filter((_, j) => W.p[i][j]))
    if (s > 0n) for (let j = 0; j < n; j++) if (W.p[i][j]) W.v[i][j] = div(W.v[i][j], s)
  }
  // pre-ranks: R⁰_j = Σ_i A_i·W_ij over present entries (before clipping)
  const prerank = Array.from({ length: n }, (_, j) => sumOf(A.map((a, i) => (W.p[i][j] ? mul(a, W.v[i][j]) : 0n))))
  // consensus over participants (A > 0), stakes renormalized
  const part = A.map((_a, i) => i).filter(i => A[i] > 0n)
  const sumA = sumOf(part.map(i => A[i]))
  const s = part.map(i => div(A[i], sumA))
  const minority = sumOf(s) - div(BigInt(x.kappa), 65535n)
  const C = Array.from({ length: n }, (_, j) => kappaMedian(part.map(i => (W.p[i][j] ? W.v[i][j] : 0n)), s, minority))
  // clipping: min(W, C); entries above a zero consensus disappear
  const Wc = dense(n)
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (!W.p[i][j]) continue
      if (W.v[i][j] > C[j] && C[j] <= 0n) continue
      Wc.p[i][j] = true
      Wc.v[i][j] = W.v[i][j] < C[j] ? W.v[i][j] : C[j]
    }
  }
  const vtrust = Wc.v.map((row, i) => sumOf(row.filter((_, j) => Wc.p[i][j])))
  const R = Array.from({ length: n }, (_, j) => sumOf(A.map((a, i) => (Wc.p[i][j] ? mul(a, Wc.v[i][j]) : 0n))))
  const I = normalize(R)
  // weights for bonds
  const beta = div(BigInt(x.bondsPenalty), 65535n)
  let Wb = Wc
  if (beta === 0n) Wb = W
  else if (beta !== ONE) {
    Wb = dense(n)
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        const v = W.v[i][j] + mul(beta, Wc.v[i][j] - W.v[i][j])
        if (v > 0n) { Wb.p[i][j] = true; Wb.v[i][j] = v }
      }
    }
  }
  const lastTempo = x.lastMechanismStepBlock === 0 ? Math.max(0, x.currentBlock - x.tempo) : x.lastMechanismStepBlock + 1
  const B = fromRows(x.bonds, n, (_i, j) => !(lastTempo <= x.blockAtRegistration[j]))
  const alpha = ONE - (((BigInt(x.bondsMovingAverage) << 64n) / 1_000_000n) >> 32n)
  const ema = (next: Dense, old: Dense): Dense => {
    const E = dense(n)
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        const v = (next.p[i][j] ? mul(alpha, next.v[i][j]) : 0n) + (old.p[i][j] ? mul(ONE - alpha, old.v[i][j]) : 0n)
        if (v > 0n) { E.p[i][j] = true; E.v[i][j] = v }
      }
    }
    return E
  }
  let D: bigint[]
  let store: Dense
  if (!x.yuma3) {
    const dB = dense(n)
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (Wb.p[i][j]) { dB.p[i][j] = true; dB.v[i][j] = mul(Wb.v[i][j], A[i]) }
    const E = colNormalize(ema(colNormalize(dB), colNormalize(B)))
    D = normalize(E.v.map((row, i) => sumOf(row.map((e, j) => (E.p[i][j] ? mul(I[j], e) : 0n)))))
    store = dense(n)
    for (let j = 0; j < n; j++) {
      let mx = 0n
      for (let i = 0; i < n; i++) if (E.p[i][j] && E.v[i][j] > mx) mx = E.v[i][j]
      for (let i = 0; i < n; i++) if (E.p[i][j]) { store.p[i][j] = true; store.v[i][j] = BigInt(toU16(mx === 0n ? E.v[i][j] : div(E.v[i][j], mx))) }
    }
  } else {
    const Bp = dense(n)
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (B.p[i][j]) { Bp.p[i][j] = true; Bp.v[i][j] = div(B.v[i][j], 65535n) }
    let E: Dense
    if (x.liquidAlpha && C.some(c => c !== 0n)) {
      E = dense(n)
      const lo = div(BigInt(x.alphaLow), 65535n)
      const hi = div(BigInt(x.alphaHigh), 65535n)
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          if (!Wb.p[i][j]) continue // bonds on columns absent from the new row are dropped
          const a = liquidAlpha(C[j], Wb.v[i][j], Bp.v[i][j], lo, hi, x.alphaSigmoidSteepness)
          const inc = mul(a, Wb.v[i][j])
          const v0 = (Bp.p[i][j] ? mul(ONE - a, Bp.v[i][j]) : 0n) + (inc > 0n ? inc : 0n)
          const v = v0 < ONE ? v0 : ONE
          if (v > 0n) { E.p[i][j] = true; E.v[i][j] = v }
        }
      }
    } else {
      E = ema(Wb, Bp)
    }
    const En = colNormalize(E)
    D = normalize(En.v.map((row, i) => mul(sumOf(row.map((e, j) => (En.p[i][j] ? mul(e, I[j]) : 0n))), A[i])))
    store = dense(n)
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (E.p[i][j]) { store.p[i][j] = true; store.v[i][j] = BigInt(toU16(E.v[i][j])) }
  }
  // emission
  const combined = I.map((v, i) => v + D[i])
  const sumE = sumOf(combined)
  let server = sumE === 0n ? I.slice() : I.map(v => div(v, sumE))
  let validator = sumE === 0n ? D.slice() : D.map(v => div(v, sumE))
  let comb = normalize(combined)
  if (sumE === 0n) {
    const fb = sumOf(A) === 0n ? S : A
    validator = fb.slice()
    comb = fb.slice()
    server = I.slice()
  }
  const rao = (xs: bigint[]): bigint[] => xs.map(v => (v * x.raoEmission) >> 32n)
  const bonds = Array.from({ length: n }, (_, i): Array<[number, number]> => {
    if (newPermits[i]) return store.v[i].flatMap((v, j): Array<[number, number]> => (store.p[i][j] ? [[j, Number(v)]] : []))
    if (permit[i]) return []
    return [...x.bonds[i]].sort((a, b) => a[0] - b[0])
  })
  return { active, newValidatorPermits: newPermits, stake: S, activeStake: A, consensus: C, prerank, validatorTrust: vtrust, incentive: I, dividends: D, serverEmission: rao(server), validatorEmission: rao(validator), combinedEmission: rao(comb), bonds }
}
