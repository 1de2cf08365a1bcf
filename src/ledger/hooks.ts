/**
 * Block hooks (`on_initialize`), run at the start of every block
 * before its transactions:
 *
 * 1. credit the epoch output loaded in the previous block (subtensor v1.1.3's "credit next block"),
 *    minting it (TotalIssuance += credited);
 * 2. burn adjustment of every subnet whose interval is due; reset `RegistrationsThisBlock`;
 * 3. root epoch on `(b + 1) % (rootTempo + 1) == 0`: block emission from issuance, EmissionValues;
 * 4. `PendingEmission += EmissionValues` for user subnets with registration allowed;
 * 5. subnets whose epoch is due (`(b + netuid + 1) % (tempo + 1) == 0`): owner cut minted to
 *    the owner's free balance, the rest through the Yuma epoch into `loaded`.
 */
import { blockEmission, maxUpscaleU16, rootEmissionValues, shareI64F64, u16ProportionI64F64, u16ProportionI96F32, upgradedBurn } from './math.ts'
import type { EpochRunner } from './epoch-types.ts'
import type { ChainParams } from './params.ts'
import type { Records, Subnet } from './records.ts'

/** True when a subnet's epoch runs at block `b`. */
export function epochDue (b: number, netuid: number, tempo: number): boolean {
  return tempo !== 0 && (b + netuid + 1) % (tempo + 1) === 0
}

/**
 * Credit one hotkey's epoch emission as stake: miners' part `m` to the owner; a
 * delegate's validator part `v` minus the take shared pro rata to nominators (stakes taken
 * before any increment), the take and rounding dust to the owner. Returns the amount minted.
 */
export function emitThroughHotkey (r: Records, hotkey: string, m: bigint, v: bigint): bigint {
  const h = r.hotkey(hotkey)
  if (h == null || m + v === 0n) return 0n
  if (h.take === null) {
    r.addStake(hotkey, h.owner, m + v)
    return m + v
  }
  const take = u16ProportionI64F64(v, h.take)
  const rest = v - take
  let shared = 0n
  const shares: Array<[string, bigint]> = []
  for (const [cold, s] of h.stakes) {
    const share = shareI64F64(s, h.total, rest)
    shares.push([cold, share])
    shared += share
  }
  for (const [cold, share] of shares) if (share > 0n) r.addStake(hotkey, cold, share)
  const ownerPart = take + (rest - shared) + m
  if (ownerPart > 0n) r.addStake(hotkey, h.owner, ownerPart)
  return m + v
}

function drainLoaded (r: Records, s: Subnet): void {
  if (s.loaded.length === 0) return
  let minted = 0n
  for (const [hotkey, m, v] of s.loaded) minted += emitThroughHotkey(r, hotkey, m, v)
  const g = r.globals()
  r.putGlobals({ ...g, issuance: g.issuance + minted })
  r.putSubnet({ ...r.subnet(s.netuid)!, loaded: [] })
}

function adjustRegistration (r: Records, s: Subnet, b: number): Subnet {
  let next: Subnet = s.registrationsThisBlock === 0 ? s : { ...s, registrationsThisBlock: 0 }
  const p = s.params
  if (s.netuid !== 0 && b - s.lastAdjustmentBlock >= p.adjustmentInterval) {
    const reg = s.registrationsThisInterval
    const target = p.targetRegistrationsPerInterval
    // Burn-only chain (PoW off): the burn moves when r > T (up) or when nobody registered (down).
    const burn = reg > target || s.burnRegistrationsThisInterval === 0
      ? upgradedBurn(s.burn, reg, target, p.adjustmentAlpha, p.minBurn, p.maxBurn)
      : s.burn
    next = { ...next, burn, lastAdjustmentBlock: b, registrationsThisInterval: 0, burnRegistrationsThisInterval: 0 }
  }
  if (next !== s) r.putSubnet(next)
  return next
}

function rootEpoch (r: Records, chain: ChainParams): void {
  const g = r.globals()
  const emission = blockEmission(g.issuance)
  r.putGlobals({ ...g, blockEmission: emission })
  let values: bigint[] | undefined
  if (chain.emissionSplit === 'even') {
    const paid = g.netuids.filter(n => n !== 0 && r.subnet(n)!.params.registrationAllowed)
    values = g.netuids.map(n => paid.includes(n) ? emission / BigInt(paid.length) : 0n)
  } else {
    const members = r.neurons(0)
    values = rootEmissionValues({
      stakes: members.map(n => r.hotkey(n.hotkey)?.total ?? 0n),
      weights: members.map(n => g.netuids.map(j => n.weights.find(([x]) => x === j)?.[1] ?? 0)),
      rho: chain.rootRho,
      kappa: chain.rootKappa,
      blockEmission: emission
    })
  }
  if (values === undefined) return
  g.netuids.forEach((n, i) => {
    const s = r.subnet(n)!
    if (s.emissionValue !== values[i]) r.putSubnet({ ...s, emissionValue: values[i] })
  })
}

/** Run every block hook for block `b`. */
export function onInitialize (r: Records, b: number, chain: ChainParams, runEpoch: EpochRunner): void {
  for (const n of r.globals().netuids) drainLoaded(r, r.subnet(n)!)
  for (const n of r.globals().netuids) adjustRegistration(r, r.subnet(n)!, b)
  if (epochDue(b, 0, chain.rootTempo)) rootEpoch(r, chain)
  for (const n of r.globals().netuids) {
    const s = r.subnet(n)!
    const accrue = n !== 0 && s.params.registrationAllowed ? s.emissionValue : 0n
    if (!epochDue(b, n, s.params.tempo)) {
      r.putSubnet({ ...s, pending: s.pending + accrue, blocksSinceLastStep: s.blocksSinceLastStep + 1 })
      continue
    }
    const pending = s.pending + accrue
    r.putSubnet({ ...s, pending: 0n, blocksSinceLastStep: 0, lastMechanismStepBlock: b })
    if (n === 0 || !s.params.registrationAllowed) continue
    // Policy: 11796/65535 (I96F32) of the epoch's emission goes to the owner, minted as free balance.
    const cut = s.owner != null ? u16ProportionI96F32(pending, chain.subnetOwnerCut) : 0n
    if (cut > 0n) r.mint(s.owner as string, cut)
    runSubnetEpoch(r, s, b, pending - cut, chain, runEpoch)
  }
}

/**
 * Run the Yuma epoch of one subnet and store its outputs; the payout waits in `loaded`. `s` is
 * the record as it was before this block (its `lastMechanismStepBlock` is the previous epoch's).
 */
function runSubnetEpoch (r: Records, s: Subnet, b: number, rao: bigint, chain: ChainParams, runEpoch: EpochRunner): void {
  const neurons = r.neurons(s.netuid)
  if (neurons.length === 0) return
  const p = s.params
  const out = runEpoch({
    netuid: s.netuid,
    stake: neurons.map(n => r.hotkey(n.hotkey)?.total ?? 0n),
    weights: neurons.map(n => n.weights),
    bonds: neurons.map(n => n.bonds),
    validatorPermits: neurons.map(n => n.permit),
    lastUpdate: neurons.map(n => n.lastUpdate),
    blockAtRegistration: neurons.map(n => n.registeredAt),
    currentBlock: b,
    tempo: p.tempo,
    lastMechanismStepBlock: s.lastMechanismStepBlock,
    activityCutoff: p.activityCutoff,
    kappa: p.kappa,
    bondsMovingAverage: p.bondsMovingAverage,
    yuma3: p.yuma3,
    liquidAlpha: p.liquidAlpha,
    maxAllowedValidators: p.maxAllowedValidators,
    stakeThreshold: chain.stakeThreshold,
    commitBlocks: p.commitReveal ? neurons.map(n => n.commits.length === 0 ? null : Math.min(...n.commits.map(([c]) => c))) : undefined,
    raoEmission: rao
  })
  const combined = neurons.map((_, i) => out.serverEmission[i] + out.validatorEmission[i])
  const pruning = maxUpscaleU16(combined)
  const loaded: Array<[string, bigint, bigint]> = []
  neurons.forEach((n, i) => {
    r.putNeuron(s.netuid, i, {
      ...n,
      permit: out.newValidatorPermits[i],
      bonds: out.newValidatorPermits[i] ? out.bonds[i] : [],
      active: out.active[i],
      consensus: out.consensus[i],
      incentive: out.incentive[i],
      dividends: out.dividends[i],
      trust: out.validatorTrust[i],
      emission: combined[i],
      pruningScore: pruning[i]
    })
    if (combined[i] > 0n) loaded.push([n.hotkey, out.serverEmission[i], out.validatorEmission[i]])
  })
  r.putSubnet({ ...r.subnet(s.netuid)!, loaded })
}
