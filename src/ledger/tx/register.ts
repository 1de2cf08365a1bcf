/** Neuron registration: burn registration, replacement and root registration. */
import { AlreadyRegisteredError, InsufficientBalanceError, InsufficientStakeError, NotOwnerError, RateLimitedError, RegistrationClosedError, SubnetNotFoundError } from '../errors.ts'
import { newNeuron } from '../records.ts'
import { address, uint } from './check.ts'
import type { Neuron, Records } from '../records.ts'
import type { ApplyContext, BurnedRegisterTx, RootRegisterTx, TxKindDef } from './types.ts'

/** The neuron facts `get_neuron_to_prune` reads. */
export interface PruneCandidate { uid: number, pruningScore: number, registeredAt: number }

/**
 * `get_neuron_to_prune`: the lowest pruning score among non-immune UIDs
 * (`now − registeredAt < immunityPeriod` is immune); ties → earliest registration, then lowest
 * uid. If every UID is immune, the same rule over all of them.
 */
export function neuronToPrune (neurons: readonly PruneCandidate[], block: number, immunityPeriod: number): number | undefined {
  const pick = (list: readonly PruneCandidate[]): number | undefined => {
    let best: PruneCandidate | undefined
    for (const n of list) {
      if (best == null || n.pruningScore < best.pruningScore ||
        (n.pruningScore === best.pruningScore && n.registeredAt < best.registeredAt)) best = n
    }
    return best?.uid
  }
  const open = neurons.filter(n => block - n.registeredAt >= immunityPeriod)
  return open.length > 0 ? pick(open) : pick(neurons)
}

/** The hotkey record for `hotkey`, created for `coldkey` if new; refuses someone else's hotkey. */
function claimHotkey (r: Records, hotkey: string, coldkey: string, take: number | null): void {
  const h = r.hotkey(hotkey)
  if (h == null) r.putHotkey(hotkey, { owner: coldkey, take, stakes: [], total: 0n })
  else if (h.owner !== coldkey) throw new NotOwnerError('hotkey belongs to another coldkey')
}

/** Unstake everything under `hotkey` back to its nominators' free balances. */
function unstakeAll (r: Records, hotkey: string): void {
  const h = r.hotkey(hotkey)
  if (h == null || h.total === 0n) return
  for (const [cold, s] of h.stakes) r.credit(cold, s)
  r.putHotkey(hotkey, { ...h, stakes: [], total: 0n })
}

/** Put `hotkey` into `uid` of `netuid` (append, or replace as `replace_neuron` does). */
export function placeNeuron (r: Records, netuid: number, hotkey: string, block: number): number {
  const s = r.subnet(netuid)
  if (s == null) throw new SubnetNotFoundError(`no subnet ${netuid}`)
  if (s.n < s.params.maxAllowedUids) {
    r.putNeuron(netuid, s.n, newNeuron(hotkey, block))
    r.putUid(netuid, hotkey, s.n)
    r.putSubnet({ ...s, n: s.n + 1 })
    return s.n
  }
  const neurons = r.neurons(netuid)
  const uid = neuronToPrune(neurons.map((n, i) => ({ uid: i, pruningScore: n.pruningScore, registeredAt: n.registeredAt })), block, s.params.immunityPeriod) as number
  const old = neurons[uid]
  r.delUid(netuid, old.hotkey)
  if (r.registrations(old.hotkey).length === 0) unstakeAll(r, old.hotkey)
  // The replaced UID keeps its last-epoch outputs until the next epoch, with pruning score 65535.
  const fresh: Neuron = { ...old, hotkey, registeredAt: block, lastUpdate: block, weights: [], bonds: [], permit: false, pruningScore: 65_535, commits: [] }
  r.putNeuron(netuid, uid, fresh)
  r.putUid(netuid, hotkey, uid)
  // Every weight *to* the uid becomes 0.
  neurons.forEach((n, i) => {
    if (i !== uid && n.weights.some(([j]) => j === uid)) {
      r.putNeuron(netuid, i, { ...n, weights: n.weights.map(([j, w]): [number, number] => [j, j === uid ? 0 : w]) })
    }
  })
  return uid
}

/** `burnedRegister`, checks in the chain's order. */
export const burnedRegister: TxKindDef<BurnedRegisterTx> = {
  kind: 'burnedRegister',
  decode: raw => ({ kind: 'burnedRegister', netuid: uint(raw.netuid, 'netuid', 65_535), hotkey: address(raw.hotkey, 'hotkey') }),
  encode: b => ({ netuid: b.netuid, hotkey: b.hotkey }),
  apply (ctx: ApplyContext, b) {
    const { r } = ctx
    const s = r.subnet(b.netuid)
    if (s == null || b.netuid === 0) throw new SubnetNotFoundError(`no subnet ${b.netuid}`)
    if (!s.params.registrationAllowed) throw new RegistrationClosedError('registration is disabled on this subnet')
    if (s.registrationsThisBlock >= s.params.maxRegistrationsPerBlock) throw new RateLimitedError('too many registrations in this block')
    if (s.registrationsThisInterval >= 3 * s.params.targetRegistrationsPerInterval) throw new RateLimitedError('too many registrations in this interval')
    if (r.uidOf(b.netuid, b.hotkey) !== undefined) throw new AlreadyRegisteredError('hotkey already registered on this subnet')
    const a = r.account(ctx.signer)
    if (a.balance < s.burn) throw new InsufficientBalanceError(`the burn is ${s.burn} rao`)
    if (s.params.maxAllowedUids === 0) throw new RegistrationClosedError('subnet has no slots')
    claimHotkey(r, b.hotkey, ctx.signer, null)
    // Policy: the burn is destroyed ("recycled"): it leaves the payer and TotalIssuance.
    r.putAccount(ctx.signer, { ...a, balance: a.balance - s.burn })
    const g = r.globals()
    r.putGlobals({ ...g, issuance: g.issuance - s.burn })
    placeNeuron(r, b.netuid, b.hotkey, ctx.block)
    const s2 = r.subnet(b.netuid)!
    r.putSubnet({
      ...s2,
      registrationsThisBlock: s2.registrationsThisBlock + 1,
      registrationsThisInterval: s2.registrationsThisInterval + 1,
      burnRegistrationsThisInterval: s2.burnRegistrationsThisInterval + 1,
      raoRecycled: s2.raoRecycled + s.burn
    })
  }
}

/** `rootRegister`: join root; when full, replace the lowest-stake member if strictly larger. */
export const rootRegister: TxKindDef<RootRegisterTx> = {
  kind: 'rootRegister',
  decode: raw => ({ kind: 'rootRegister', hotkey: address(raw.hotkey, 'hotkey') }),
  encode: b => ({ hotkey: b.hotkey }),
  apply (ctx, b) {
    const { r } = ctx
    const root = r.subnet(0)!
    if (r.uidOf(0, b.hotkey) !== undefined) throw new AlreadyRegisteredError('hotkey already on root')
    // Policy: root members are forced to be delegates at the default take.
    claimHotkey(r, b.hotkey, ctx.signer, ctx.chain.defaultTake)
    const h = r.hotkey(b.hotkey)!
    if (h.take === null) r.putHotkey(b.hotkey, { ...h, take: ctx.chain.defaultTake })
    if (root.n < root.params.maxAllowedUids) {
      placeNeuron(r, 0, b.hotkey, ctx.block)
      return
    }
    const members = r.neurons(0)
    let low = 0
    const stakeOf = (k: string): bigint => r.hotkey(k)?.total ?? 0n
    members.forEach((n, i) => { if (stakeOf(n.hotkey) < stakeOf(members[low].hotkey)) low = i })
    if (stakeOf(b.hotkey) <= stakeOf(members[low].hotkey)) throw new InsufficientStakeError('stake not above the lowest root member')
    r.delUid(0, members[low].hotkey)
    r.putNeuron(0, low, { ...members[low], ...{ hotkey: b.hotkey, registeredAt: ctx.block, lastUpdate: ctx.block, weights: [], bonds: [], commits: [] } })
    r.putUid(0, b.hotkey, low)
  }
}
