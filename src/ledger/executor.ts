/**
 * Executing blocks on the state: an open block (hooks already run) that transactions are
 * applied to one by one, each on its own overlay, and the commit of a finished block with the
 * issuance invariant checked and an undo if the caller rejects the result.
 */
import { InvalidAmountError, InvariantError, RateLimitedError } from './errors.ts'
import { onInitialize } from './hooks.ts'
import { moneyIn, Records } from './records.ts'
import { Overlay } from './state.ts'
import { applyTx } from './tx/apply.ts'
import type { Value } from './codec.ts'
import type { EpochRunner } from './epoch-types.ts'
import type { ChainParams } from './params.ts'
import type { Globals } from './records.ts'
import type { Change, StateStore } from './state.ts'
import type { SignedTx } from './tx/types.ts'

/** A block under construction (or under re-execution). */
export class OpenBlock {
  readonly height: number
  readonly overlay: Overlay
  readonly txs: SignedTx[] = []
  private readonly perSigner = new Map<string, number>()
  private readonly chainId: string
  private readonly chain: ChainParams

  constructor (store: StateStore, height: number, chainId: string, chain: ChainParams, runEpoch: EpochRunner) {
    this.height = height
    this.chainId = chainId
    this.chain = chain
    this.overlay = new Overlay(store)
    onInitialize(new Records(this.overlay), height, chain, runEpoch)
  }

  /** Apply one verified transaction; on any error nothing changes and the error is rethrown. */
  apply (stx: SignedTx): void {
    if (this.txs.length >= this.chain.maxTxsPerBlock) throw new RateLimitedError('block is full')
    const count = this.perSigner.get(stx.tx.signer) ?? 0
    // Policy: anti-flood, a signer gets at most maxTxsPerSignerPerBlock transactions per block.
    if (count >= this.chain.maxTxsPerSignerPerBlock) throw new RateLimitedError(`signer already has ${count} transactions in this block`)
    const tx = new Overlay(this.overlay)
    applyTx(new Records(tx), stx, this.height, this.chainId, this.chain)
    tx.mergeInto(this.overlay)
    this.perSigner.set(stx.tx.signer, count + 1)
    this.txs.push(stx)
  }
}

/** The result of committing a block to the store. */
export interface Committed {
  changes: Change[]
  /** Restores the store to before the commit. */
  undo: () => void
}

/**
 * Commit an open block to the store. Tracks the money held in state incrementally (from the
 * stored values themselves, not from the transaction logic) and throws `InvariantError`
 * (after undoing) unless TotalIssuance = balances + stake + locks.
 */
export function commitBlock (store: StateStore, block: OpenBlock, money: { total: bigint }): Committed {
  const writes = block.overlay.entries()
  const before: Array<[string, Value | undefined]> = writes.map(([k]) => [k, store.get(k)])
  let delta = 0n
  for (const [k, v] of writes) delta += moneyIn(k, v)
  for (const [k, v] of before) delta -= moneyIn(k, v)
  const changes = store.commit(writes)
  const undo = (): void => { store.commit(before); money.total -= delta }
  money.total += delta
  const g = store.get('g') as unknown as Globals
  if (g.issuance !== money.total) {
    undo()
    throw new InvariantError(`total issuance ${g.issuance} != balances + stake + locks ${money.total}`)
  }
  if (g.issuance < 0n) throw new InvalidAmountError('negative issuance')
  return { changes, undo }
}

/** Sum of the money held in a whole state (the from-scratch side of the invariant). */
export function moneyOf (entries: Iterable<[string, Value]>): bigint {
  let total = 0n
  for (const [k, v] of entries) total += moneyIn(k, v)
  return total
}
