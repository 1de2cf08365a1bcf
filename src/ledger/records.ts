/**
 * The typed records of the ledger state and their keys. Every record is a plain value of the
 * canonical codec; it is never mutated in place (read, build a new object, `put`).
 *
 * Keys: `g` globals · `a/<address>` account · `h/<hotkey>` hotkey (owner, take, stakes) ·
 * `n/<netuid>` subnet · `u/<netuid>/<uid>` neuron · `k/<netuid>/<hotkey>` hotkey → uid ·
 * `e/<tx hash>` escrow.
 */
import type { Value } from './codec.ts'
import type { SubnetParams } from './params.ts'
import type { KV } from './state.ts'

/** Chain-wide counters. */
export type Globals = {
  /** TotalIssuance, rao: minted on credit, reduced by burns; locks are not counted. */
  issuance: bigint
  /** Current per-block emission, recomputed at each root epoch. */
  blockEmission: bigint
  /** Existing netuids, ascending, root (0) included. */
  netuids: number[]
  networkLastLockCost: bigint
  networkLastRegistered: number
}

/** A coldkey or hotkey account: free balance and the next nonce. */
export type Account = { balance: bigint, nonce: number }

/** A hotkey: its owning coldkey, its delegate take (null = not a delegate) and its nominators. */
export type Hotkey = {
  owner: string
  take: number | null
  /** (coldkey, stake) sorted by coldkey. */
  stakes: Array<[string, bigint]>
  /** Σ stakes. */
  total: bigint
}

/** A subnet (netuid 0 is the root network). */
export type Subnet = {
  netuid: number
  owner: string | null
  /** Locked registration cost, refunded to the owner when the subnet is removed. */
  lock: bigint
  registeredAt: number
  params: SubnetParams
  /** Number of UIDs (dense 0..n−1). */
  n: number
  burn: bigint
  registrationsThisInterval: number
  burnRegistrationsThisInterval: number
  registrationsThisBlock: number
  lastAdjustmentBlock: number
  raoRecycled: bigint
  /** `EmissionValues[netuid]`: rao per block, set by the root epoch. */
  emissionValue: bigint
  pending: bigint
  blocksSinceLastStep: number
  lastMechanismStepBlock: number
  /** Epoch output waiting to be credited at the start of the next block: (hotkey, server, validator). */
  loaded: Array<[string, bigint, bigint]>
}

/** A neuron (UID) on a subnet. */
export type Neuron = {
  hotkey: string
  registeredAt: number
  lastUpdate: number
  /** Stored weights, sparse (uid, u16), max-upscaled. On root: (netuid, u16). */
  weights: Array<[number, number]>
  /** Stored bonds, sparse (uid, u16). */
  bonds: Array<[number, number]>
  permit: boolean
  pruningScore: number
  active: boolean
  consensus: number
  incentive: number
  dividends: number
  trust: number
  /** Combined emission of the last epoch, rao. */
  emission: bigint
  /** Weight commits: (commit block, hash). */
  commits: Array<[number, Uint8Array]>
}

const v = (x: unknown): Value => x as Value

/** Typed access to the records over any KV (store or overlay). */
export class Records {
  readonly kv: KV
  constructor (kv: KV) { this.kv = kv }

  globals (): Globals { return this.kv.get('g') as unknown as Globals }
  putGlobals (g: Globals): void { this.kv.put('g', v(g)) }

  account (address: string): Account {
    return (this.kv.get(`a/${address}`) as unknown as Account | undefined) ?? { balance: 0n, nonce: 0 }
  }

  putAccount (address: string, a: Account): void {
    // Policy: an account with no balance and no nonce is not stored, so dust cannot bloat state.
    if (a.balance === 0n && a.nonce === 0) this.kv.del(`a/${address}`)
    else this.kv.put(`a/${address}`, v(a))
  }

  hotkey (hotkey: string): Hotkey | undefined { return this.kv.get(`h/${hotkey}`) as unknown as Hotkey | undefined }
  putHotkey (hotkey: string, h: Hotkey): void { this.kv.put(`h/${hotkey}`, v(h)) }

  subnet (netuid: number): Subnet | undefined { return this.kv.get(`n/${netuid}`) as unknown as Subnet | undefined }
  putSubnet (s: Subnet): void { this.kv.put(`n/${s.netuid}`, v(s)) }
  delSubnet (netuid: number): void { this.kv.del(`n/${netuid}`) }

  neuron (netuid: number, uid: number): Neuron | undefined { return this.kv.get(`u/${netuid}/${uid}`) as unknown as Neuron | undefined }
  putNeuron (netuid: number, uid: number, n: Neuron): void { this.kv.put(`u/${netuid}/${uid}`, v(n)) }
  delNeuron (netuid: number, uid: number): void { this.kv.del(`u/${netuid}/${uid}`) }

  uidOf (netuid: number, hotkey: string): number | undefined { return this.kv.get(`k/${netuid}/${hotkey}`) as number | undefined }
  putUid (netuid: number, hotkey: string, uid: number): void { this.kv.put(`k/${netuid}/${hotkey}`, uid) }
  delUid (netuid: number, hotkey: string): void { this.kv.del(`k/${netuid}/${hotkey}`) }

  escrow (id: string): Escrow | undefined { return this.kv.get(`e/${id}`) as unknown as Escrow | undefined }
  putEscrow (id: string, e: Escrow): void { this.kv.put(`e/${id}`, v(e)) }

  /** All neurons of a subnet, by uid. */
  neurons (netuid: number): Neuron[] {
    const s = this.subnet(netuid)
    const out: Neuron[] = []
    for (let uid = 0; uid < (s?.n ?? 0); uid++) out.push(this.neuron(netuid, uid) as Neuron)
    return out
  }

  /** Stake of (hotkey, coldkey). */
  stake (hotkey: string, coldkey: string): bigint {
    const h = this.hotkey(hotkey)
    return h?.stakes.find(([c]) => c === coldkey)?.[1] ?? 0n
  }

  /** Add (or, with a negative delta, remove) stake under (hotkey, coldkey); the hotkey must exist. */
  addStake (hotkey: string, coldkey: string, delta: bigint): void {
    const h = this.hotkey(hotkey) as Hotkey
    const stakes = h.stakes.map(([c, s]): [string, bigint] => [c, s])
    const i = stakes.findIndex(([c]) => c === coldkey)
    if (i >= 0) stakes[i][1] += delta
    else stakes.push([coldkey, delta])
    const kept = stakes.filter(([, s]) => s !== 0n).sort((a, b) => a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)
    this.putHotkey(hotkey, { ...h, stakes: kept, total: h.total + delta })
  }

  /** Credit a free balance (no issuance change). */
  credit (address: string, amount: bigint): void {
    const a = this.account(address)
    this.putAccount(address, { ...a, balance: a.balance + amount })
  }

  /** Mint: credit a balance and raise the total issuance. */
  mint (address: string, amount: bigint): void {
    this.credit(address, amount)
    const g = this.globals()
    this.putGlobals({ ...g, issuance: g.issuance + amount })
  }

  /** The netuids where `hotkey` holds a UID. */
  registrations (hotkey: string): number[] {
    return this.globals().netuids.filter(n => this.uidOf(n, hotkey) !== undefined)
  }
}

/**
 * An escrow (market purchase), keyed by the hash of the transaction that opened it.
 *
 * States: `open` → `delivered` (the money is held for the dispute window) → `accepted` (the
 * buyer's word, seller paid), `paid` (window over, seller paid) or `failed` (a dispute showed
 * the delivered key does not open or does not match, buyer refunded); `open` → `refunded`
 * (not delivered by the deadline).
 */
export type Escrow = {
  buyer: string
  seller: string
  /** May accept or dispute for the buyer (the buyer itself may too). */
  agent: string
  /** The one-time ed25519 public key of this purchase, to which the key is sealed. */
  recipient: Uint8Array
  /** The listing's key commitment the delivered key must match. */
  commitment: Uint8Array
  amount: bigint
  /** The listing bought (its id, a CID string). */
  listing: string
  openedAt: number
  /** Last block at which the seller may deliver; after it the buyer may refund. */
  deadline: number
  state: EscrowState
  /** The sealed content key, empty until delivered. */
  key: Uint8Array
  /** The seller's receipt (opaque to the chain), empty until delivered. */
  receipt: Uint8Array
  /** Block of the delivery (0 before); the dispute window runs from it. */
  deliveredAt: number
  closedAt: number
}

/** Where an escrow stands (see {@link Escrow}). */
export type EscrowState = 'open' | 'delivered' | 'accepted' | 'paid' | 'refunded' | 'failed'

/** Whether an escrow in `state` still holds its money (counted by the issuance invariant). */
export const escrowHolds = (state: EscrowState): boolean => state === 'open' || state === 'delivered'

/** A new, empty neuron record. */
export function newNeuron (hotkey: string, block: number): Neuron {
  return {
    hotkey,
    registeredAt: block,
    lastUpdate: block,
    weights: [],
    bonds: [],
    permit: false,
    pruningScore: 0,
    active: true,
    consensus: 0,
    incentive: 0,
    dividends: 0,
    trust: 0,
    emission: 0n,
    commits: []
  }
}

/** The money a state record holds, for the issuance invariant (balances + stake + locks). */
export function moneyIn (key: string, value: Value | undefined): bigint {
  if (value === undefined) return 0n
  switch (key[0]) {
    case 'a': return (value as unknown as Account).balance
    case 'h': return (value as unknown as Hotkey).stakes.reduce((s, [, x]) => s + x, 0n)
    case 'n': return key[1] === '/' ? (value as unknown as Subnet).lock : 0n
    case 'e': return escrowHolds((value as unknown as Escrow).state) ? (value as unknown as Escrow).amount : 0n
    default: return 0n
  }
}
