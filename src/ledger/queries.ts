/** Read-only queries over the committed state (what the CLI and the API show). */
import { toAddress } from './address.ts'
import { Records } from './records.ts'
import { currentLockCost } from './tx/subnets.ts'
import type { ChainParams } from './params.ts'
import type { Escrow, Globals, Hotkey, Neuron, Subnet } from './records.ts'
import type { KV, StateStore } from './state.ts'

/** One row of a subnet's metagraph. */
export interface MetagraphRow {
  uid: number
  hotkey: string
  coldkey: string | null
  stake: bigint
  permit: boolean
  active: boolean
  consensus: number
  incentive: number
  dividends: number
  trust: number
  emission: bigint
  pruningScore: number
  registeredAt: number
  lastUpdate: number
}

const readOnly = (store: StateStore): KV => ({
  get: k => store.get(k),
  put: () => { throw new Error('read-only') },
  del: () => { throw new Error('read-only') }
})

/** Queries shared by the `Ledger`. */
export class LedgerQueries {
  protected readonly store: StateStore
  protected readonly r: Records

  constructor (store: StateStore) {
    this.store = store
    this.r = new Records(readOnly(store))
  }

  /** Hex state root of the committed state. */
  stateRoot (): string { return Buffer.from(this.store.root()).toString('hex') }
  /** Chain-wide counters (issuance, block emission, netuids, lock state). */
  globals (): Globals { return this.r.globals() }
  /** Free balance, rao. */
  balance (address: string): bigint { return this.r.account(address).balance }
  /** The next nonce of an account. */
  nonce (address: string): number { return this.r.account(address).nonce }
  /** Stake of (hotkey, coldkey), rao. */
  stake (hotkey: string, coldkey: string): bigint { return this.r.stake(hotkey, coldkey) }
  /** A hotkey's owner, take and nominators. */
  hotkey (hotkey: string): Hotkey | undefined { return this.r.hotkey(hotkey) }

  /** Whether the chain knows the hotkey of a 32-byte public key (registered somewhere, or staked). */
  knowsHotkey (publicKey: Uint8Array): boolean { return this.r.hotkey(toAddress(publicKey)) != null }
  /** Every (hotkey, stake) a coldkey holds. */
  stakesOf (coldkey: string): Array<{ hotkey: string, stake: bigint }> {
    const out: Array<{ hotkey: string, stake: bigint }> = []
    for (const [k, v] of this.store.entries()) {
      if (!k.startsWith('h/')) continue
      const s = (v as unknown as Hotkey).stakes.find(([c]) => c === coldkey)
      if (s != null) out.push({ hotkey: k.slice(2), stake: s[1] })
    }
    return out
  }

  /** A subnet, or undefined. */
  subnet (netuid: number): Subnet | undefined { return this.r.subnet(netuid) }
  /** Every subnet, root included. */
  subnets (): Subnet[] { return this.r.globals().netuids.map(n => this.r.subnet(n) as Subnet) }
  /** A neuron. */
  neuron (netuid: number, uid: number): Neuron | undefined { return this.r.neuron(netuid, uid) }
  /** The uid of a hotkey on a subnet. */
  uidOf (netuid: number, hotkey: string): number | undefined { return this.r.uidOf(netuid, hotkey) }
  /** The metagraph of a subnet. */
  metagraph (netuid: number): MetagraphRow[] {
    return this.r.neurons(netuid).map((n, uid) => {
      const h = this.r.hotkey(n.hotkey)
      return {
        uid,
        hotkey: n.hotkey,
        coldkey: h?.owner ?? null,
        stake: h?.total ?? 0n,
        permit: n.permit,
        active: n.active,
        consensus: n.consensus,
        incentive: n.incentive,
        dividends: n.dividends,
        trust: n.trust,
        emission: n.emission,
        pruningScore: n.pruningScore,
        registeredAt: n.registeredAt,
        lastUpdate: n.lastUpdate
      }
    })
  }

  /** An escrow by id (the hash of the transaction that opened it). */
  escrow (id: string): Escrow | undefined { return this.r.escrow(id) }

  /**
   * Escrows addressed to `seller` (the market's seller daemon polls this, or watches `block`
   * events), open ones only unless `state` says otherwise; oldest first.
   */
  escrowsFor (seller: string, state: Escrow['state'] | 'any' = 'open'): Array<Escrow & { id: string }> {
    return this.#escrows(e => e.seller === seller, state)
  }

  /** Escrows whose agent is `agent` (a buyer's daemon lists its purchases), in any state unless `state` says; oldest first. */
  escrowsByAgent (agent: string, state: Escrow['state'] | 'any' = 'any'): Array<Escrow & { id: string }> {
    return this.#escrows(e => e.agent === agent, state)
  }

  #escrows (match: (e: Escrow) => boolean, state: Escrow['state'] | 'any'): Array<Escrow & { id: string }> {
    const out: Array<Escrow & { id: string }> = []
    for (const [k, v] of this.store.entries()) {
      if (!k.startsWith('e/')) continue
      const e = v as unknown as Escrow
      if (match(e) && (state === 'any' || e.state === state)) out.push({ ...e, id: k.slice(2) })
    }
    return out.sort((a, b) => a.openedAt - b.openedAt || (a.id < b.id ? -1 : 1))
  }

  /** The lock cost of a subnet registered at `block`. */
  lockCostAt (chain: ChainParams, block: number): bigint { return currentLockCost(this.r, chain, block) }
}
