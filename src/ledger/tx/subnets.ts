/** Subnet registration, pruning and owner parameters. */
import { InsufficientBalanceError, InvalidAmountError, MalformedError, NotOwnerError, RateLimitedError, RegistrationClosedError, SubnetNotFoundError } from '../errors.ts'
import { lockCost } from '../math.ts'
import { uint } from './check.ts'
import type { ChainParams, SubnetParams } from '../params.ts'
import type { Records, Subnet } from '../records.ts'
import type { RegisterNetworkTx, SetSubnetParamsTx, TxKindDef } from './types.ts'

/** A fresh subnet record (`init_new_network`). */
export function newSubnet (netuid: number, owner: string | null, lock: bigint, block: number, params: SubnetParams, burn: bigint): Subnet {
  return {
    netuid,
    owner,
    lock,
    registeredAt: block,
    params,
    n: 0,
    burn,
    registrationsThisInterval: 0,
    burnRegistrationsThisInterval: 0,
    registrationsThisBlock: 0,
    lastAdjustmentBlock: block,
    raoRecycled: 0n,
    emissionValue: 0n,
    pending: 0n,
    blocksSinceLastStep: 0,
    lastMechanismStepBlock: 0,
    loaded: []
  }
}

/** The current lock cost of a new subnet at `block`. */
export function currentLockCost (r: Records, chain: ChainParams, block: number): bigint {
  const g = r.globals()
  return lockCost(g.networkLastLockCost, g.networkLastRegistered, block, chain.networkMinLockCost, chain.networkLockReductionInterval)
}

/**
 * `get_subnet_to_prune`: among subnets past immunity (`now − registeredAt ≥ period`),
 * the lowest `EmissionValues`; ties → oldest; full ties → highest netuid. Undefined if none.
 */
export function subnetToPrune (subnets: readonly Subnet[], block: number, immunityPeriod: number): number | undefined {
  let best: Subnet | undefined
  for (const s of subnets) {
    if (s.netuid === 0 || block - s.registeredAt < immunityPeriod) continue
    if (best == null || s.emissionValue < best.emissionValue ||
      (s.emissionValue === best.emissionValue && (s.registeredAt < best.registeredAt ||
        (s.registeredAt === best.registeredAt && s.netuid > best.netuid)))) best = s
  }
  return best?.netuid
}

/** `remove_network`: wipe neurons, zero the root column, refund the lock to the owner. */
export function removeNetwork (r: Records, netuid: number): void {
  const s = r.subnet(netuid) as Subnet
  for (let uid = 0; uid < s.n; uid++) {
    const n = r.neuron(netuid, uid)
    if (n != null) r.delUid(netuid, n.hotkey)
    r.delNeuron(netuid, uid)
  }
  const root = r.subnet(0)
  for (let uid = 0; uid < (root?.n ?? 0); uid++) {
    const n = r.neuron(0, uid)
    if (n?.weights.some(([j]) => j === netuid) === true) {
      r.putNeuron(0, uid, { ...n, weights: n.weights.map(([j, w]): [number, number] => [j, j === netuid ? 0 : w]) })
    }
  }
  // Policy: the lock is returned to the owner (pre-dTAO); it never counted in TotalIssuance.
  if (s.owner != null && s.lock > 0n) r.credit(s.owner, s.lock)
  r.delSubnet(netuid)
  const g = r.globals()
  r.putGlobals({ ...g, netuids: g.netuids.filter(x => x !== netuid) })
}

/** `registerNetwork` (`user_add_network`). */
export const registerNetwork: TxKindDef<RegisterNetworkTx> = {
  kind: 'registerNetwork',
  decode: () => ({ kind: 'registerNetwork' }),
  encode: () => ({}),
  apply (ctx) {
    const { r, block, chain } = ctx
    const g = r.globals()
    if (g.networkLastRegistered !== 0 && block - g.networkLastRegistered < chain.networkRateLimit) {
      throw new RateLimitedError(`a subnet was registered at block ${g.networkLastRegistered}; next allowed at ${g.networkLastRegistered + chain.networkRateLimit}`)
    }
    const cost = currentLockCost(r, chain, block)
    if (r.account(ctx.signer).balance < cost) throw new InsufficientBalanceError(`the lock cost is ${cost} rao`)
    let netuid: number
    if (g.netuids.length - 1 < chain.subnetLimit) {
      netuid = 1
      while (g.netuids.includes(netuid)) netuid++
    } else {
      const subnets = g.netuids.map(n => r.subnet(n) as Subnet)
      const prune = subnetToPrune(subnets, block, chain.networkImmunityPeriod)
      if (prune === undefined) throw new RegistrationClosedError('every subnet is still immune (AllNetworksInImmunity)')
      removeNetwork(r, prune)
      netuid = prune
    }
    const a = r.account(ctx.signer)
    r.putAccount(ctx.signer, { ...a, balance: a.balance - cost })
    r.putSubnet(newSubnet(netuid, ctx.signer, cost, block, chain.newSubnet, chain.initialBurn))
    const g2 = r.globals()
    r.putGlobals({ ...g2, netuids: [...g2.netuids, netuid].sort((x, y) => x - y), networkLastLockCost: cost, networkLastRegistered: block })
  }
}

/** Parameters an owner may set, with their allowed range. */
const SETTABLE: Record<string, [number, number] | 'bool'> = {
  tempo: [1, 10_000],
  maxAllowedUids: [1, 4096],
  maxAllowedValidators: [1, 4096],
  minAllowedWeights: [0, 4096],
  maxWeightsLimit: [1, 65_535],
  weightsSetRateLimit: [0, 100_000],
  weightsVersionKey: [0, Number.MAX_SAFE_INTEGER],
  activityCutoff: [1, 100_000],
  immunityPeriod: [0, 100_000],
  maxRegistrationsPerBlock: [0, 4096],
  targetRegistrationsPerInterval: [1, 4096],
  adjustmentInterval: [1, 100_000],
  kappa: [0, 65_535],
  revealPeriodEpochs: [1, 100],
  registrationAllowed: 'bool',
  commitReveal: 'bool',
  yuma3: 'bool',
  liquidAlpha: 'bool'
}

/** `setSubnetParams`: the subnet owner changes hyperparameters (range-checked). */
export const setSubnetParams: TxKindDef<SetSubnetParamsTx> = {
  kind: 'setSubnetParams',
  decode (raw) {
    const p = raw.params
    if (p == null || typeof p !== 'object' || Array.isArray(p) || p instanceof Uint8Array) throw new MalformedError('params must be a map')
    const params: Record<string, number | boolean> = {}
    for (const [k, x] of Object.entries(p)) {
      const rule = SETTABLE[k]
      if (rule === undefined) throw new MalformedError(`unknown or read-only parameter ${k}`)
      if (rule === 'bool') {
        if (typeof x !== 'boolean') throw new MalformedError(`${k} must be a boolean`)
        params[k] = x
      } else {
        params[k] = uint(x, k, rule[1])
        if (params[k] < rule[0]) throw new MalformedError(`${k} must be at least ${rule[0]}`)
      }
    }
    return { kind: 'setSubnetParams', netuid: uint(raw.netuid, 'netuid', 65_535), params }
  },
  encode: b => ({ netuid: b.netuid, params: b.params }),
  apply (ctx, b) {
    const s = ctx.r.subnet(b.netuid)
    if (s == null || b.netuid === 0) throw new SubnetNotFoundError(`no subnet ${b.netuid}`)
    if (s.owner !== ctx.signer) throw new NotOwnerError('only the subnet owner can set its parameters')
    const params = { ...s.params, ...b.params }
    if (params.maxAllowedUids < s.n) throw new InvalidAmountError(`maxAllowedUids below the ${s.n} registered UIDs`)
    ctx.r.putSubnet({ ...s, params })
  }
}
