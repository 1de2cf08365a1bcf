/** Weights: `setWeights`, `commitWeights`, `revealWeights` with the chain's checks. */
import { blake2b } from '@noble/hashes/blake2.js'
import { encodeValue } from '../codec.ts'
import { InsufficientStakeError, InvalidWeightsError, NotRegisteredError, RateLimitedError, SubnetNotFoundError } from '../errors.ts'
import { maxUpscaleU16 } from '../math.ts'
import { bytes, u16List, uint } from './check.ts'
import type { Neuron, Subnet } from '../records.ts'
import type { ApplyContext, CommitWeightsTx, RevealWeightsTx, SetWeightsTx, TxKindDef } from './types.ts'

const MAX_WEIGHTS = 4096

/** The hash a weights commit binds: blake2b-256 of the canonical (hotkey, netuid, uids, values, salt, versionKey). */
export function commitHash (hotkey: string, netuid: number, uids: number[], values: number[], salt: Uint8Array, versionKey: number): Uint8Array {
  return blake2b(encodeValue(['agora-weights-commit', hotkey, netuid, uids, values, salt, versionKey]), { dkLen: 32 })
}

/** Epoch index of a block on a subnet: `floor((b + netuid + 1) / (tempo + 1))`. */
export function epochIndex (block: number, netuid: number, tempo: number): number {
  return Math.floor((block + netuid + 1) / (tempo + 1))
}

interface Caller { s: Subnet, uid: number, n: Neuron }

function caller (ctx: ApplyContext, netuid: number): Caller {
  const s = ctx.r.subnet(netuid)
  if (s == null) throw new SubnetNotFoundError(`no subnet ${netuid}`)
  const uid = ctx.r.uidOf(netuid, ctx.signer)
  if (uid === undefined) throw new NotRegisteredError(`hotkey not registered on subnet ${netuid}`)
  const stake = ctx.r.hotkey(ctx.signer)?.total ?? 0n
  if (stake < ctx.chain.stakeThreshold) throw new InsufficientStakeError(`stake ${stake} below the weights threshold ${ctx.chain.stakeThreshold}`)
  return { s, uid, n: ctx.r.neuron(netuid, uid)! }
}

function rateLimit (ctx: ApplyContext, c: Caller): void {
  const limit = c.s.params.weightsSetRateLimit
  if (c.n.lastUpdate !== 0 && ctx.block - c.n.lastUpdate < limit) {
    throw new RateLimitedError(`weights set at block ${c.n.lastUpdate}; next allowed at ${c.n.lastUpdate + limit}`)
  }
}

/** The content checks of `set_weights` after registration/stake/rate limit; returns the stored row. */
function checkRow (ctx: ApplyContext, c: Caller, netuid: number, uids: number[], values: number[], versionKey: number): Array<[number, number]> {
  const p = c.s.params
  if (uids.length !== values.length) throw new InvalidWeightsError('uids and values differ in length')
  if (netuid === 0) {
    for (const j of uids) if (ctx.r.subnet(j) == null) throw new InvalidWeightsError(`netuid ${j} does not exist`)
  } else {
    if (uids.length > c.s.n) throw new InvalidWeightsError('more weights than UIDs')
    if (p.weightsVersionKey !== 0 && versionKey < p.weightsVersionKey) throw new InvalidWeightsError(`version key ${versionKey} below the subnet's ${p.weightsVersionKey}`)
  }
  const self = uids.length === 1 && uids[0] === c.uid && netuid !== 0
  if (netuid !== 0 && !self && !c.n.permit) throw new InvalidWeightsError('no validator permit')
  if (new Set(uids).size !== uids.length) throw new InvalidWeightsError('duplicate uids')
  if (netuid !== 0) for (const j of uids) if (j >= c.s.n) throw new InvalidWeightsError(`uid ${j} does not exist`)
  if (!self && netuid !== 0 && uids.length < Math.min(p.minAllowedWeights, c.s.n)) throw new InvalidWeightsError(`at least ${Math.min(p.minAllowedWeights, c.s.n)} weights are required`)
  let sum = 0
  let max = 0
  for (const v of values) { sum += v; if (v > max) max = v }
  if (!self && netuid !== 0 && p.maxWeightsLimit !== 65_535 && max * 65_535 > p.maxWeightsLimit * sum) {
    throw new InvalidWeightsError(`a weight exceeds the limit ${p.maxWeightsLimit}/65535 of the total`)
  }
  const up = maxUpscaleU16(values.map(BigInt))
  return uids.map((j, i): [number, number] => [j, up[i]]).sort((a, b) => a[0] - b[0])
}

function decodeRow (raw: Record<string, unknown>): { netuid: number, uids: number[], values: number[], versionKey: number } {
  return {
    netuid: uint(raw.netuid, 'netuid', 65_535),
    uids: u16List(raw.uids, 'uids', MAX_WEIGHTS),
    values: u16List(raw.values, 'values', MAX_WEIGHTS),
    versionKey: uint(raw.versionKey, 'versionKey')
  }
}

/** `setWeights`. */
export const setWeights: TxKindDef<SetWeightsTx> = {
  kind: 'setWeights',
  decode: raw => ({ kind: 'setWeights', ...decodeRow(raw) }),
  encode: b => ({ netuid: b.netuid, uids: b.uids, values: b.values, versionKey: b.versionKey }),
  apply (ctx, b) {
    const c = caller(ctx, b.netuid)
    if (c.s.params.commitReveal) throw new InvalidWeightsError('commit-reveal is on for this subnet: commit, then reveal')
    rateLimit(ctx, c)
    const weights = checkRow(ctx, c, b.netuid, b.uids, b.values, b.versionKey)
    ctx.r.putNeuron(b.netuid, c.uid, { ...c.n, weights, lastUpdate: ctx.block })
  }
}

/** `commitWeights`: stores (block, hash); the commit block counts as the weights' last update. */
export const commitWeights: TxKindDef<CommitWeightsTx> = {
  kind: 'commitWeights',
  decode: raw => ({ kind: 'commitWeights', netuid: uint(raw.netuid, 'netuid', 65_535), hash: bytes(raw.hash, 'hash', 32, 32) }),
  encode: b => ({ netuid: b.netuid, hash: b.hash }),
  apply (ctx, b) {
    const c = caller(ctx, b.netuid)
    if (!c.s.params.commitReveal || b.netuid === 0) throw new InvalidWeightsError('commit-reveal is off for this subnet')
    rateLimit(ctx, c)
    const live = liveCommits(ctx, c)
    // Policy: one live commit per hotkey, subnet and epoch. With several, a validator could
    // commit different rows and, when they come due, reveal whichever fits best after seeing
    // the other validators' reveals, which is what commit-reveal exists to prevent. It also
    // bounds the live commits at revealPeriodEpochs + 1 (one per epoch in the reveal pipeline).
    const epoch = epochIndex(ctx.block, c.s.netuid, c.s.params.tempo)
    if (live.some(([blk]) => epochIndex(blk, c.s.netuid, c.s.params.tempo) === epoch)) {
      throw new RateLimitedError(`a commit of epoch ${epoch} is already live for this hotkey: one commit per epoch`)
    }
    ctx.r.putNeuron(b.netuid, c.uid, { ...c.n, commits: [...live, [ctx.block, b.hash]], lastUpdate: ctx.block })
  }
}

function liveCommits (ctx: ApplyContext, c: Caller): Array<[number, Uint8Array]> {
  const { tempo, revealPeriodEpochs } = c.s.params
  const now = epochIndex(ctx.block, c.s.netuid, tempo)
  return c.n.commits.filter(([blk]) => now <= epochIndex(blk, c.s.netuid, tempo) + revealPeriodEpochs)
}

/** `revealWeights`: the commit must be from exactly `revealPeriodEpochs` epochs ago. */
export const revealWeights: TxKindDef<RevealWeightsTx> = {
  kind: 'revealWeights',
  decode: raw => ({ kind: 'revealWeights', ...decodeRow(raw), salt: bytes(raw.salt, 'salt', 1, 64) }),
  encode: b => ({ netuid: b.netuid, uids: b.uids, values: b.values, salt: b.salt, versionKey: b.versionKey }),
  apply (ctx, b) {
    const c = caller(ctx, b.netuid)
    if (!c.s.params.commitReveal || b.netuid === 0) throw new InvalidWeightsError('commit-reveal is off for this subnet')
    const h = commitHash(ctx.signer, b.netuid, b.uids, b.values, b.salt, b.versionKey)
    const hex = Buffer.from(h).toString('hex')
    const found = c.n.commits.find(([, x]) => Buffer.from(x).toString('hex') === hex)
    if (found == null) throw new InvalidWeightsError('no commit matches this reveal')
    const { tempo, revealPeriodEpochs } = c.s.params
    const due = epochIndex(found[0], b.netuid, tempo) + revealPeriodEpochs
    const now = epochIndex(ctx.block, b.netuid, tempo)
    if (now < due) throw new InvalidWeightsError(`too early: reveal in epoch ${due}, now ${now}`)
    if (now > due) throw new InvalidWeightsError('the commit has expired')
    const weights = checkRow(ctx, c, b.netuid, b.uids, b.values, b.versionKey)
    const commits = liveCommits(ctx, c).filter(x => x !== found)
    ctx.r.putNeuron(b.netuid, c.uid, { ...c.n, weights, commits })
  }
}
