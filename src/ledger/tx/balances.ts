/** Transfers and staking. */
import { InsufficientBalanceError, InsufficientStakeError, InvalidAmountError, NotOwnerError, NotRegisteredError } from '../errors.ts'
import { address, rao, u16 } from './check.ts'
import type { AddStakeTx, ApplyContext, BecomeDelegateTx, RemoveStakeTx, TransferTx, TxKindDef } from './types.ts'

function withdraw (ctx: ApplyContext, amount: bigint): void {
  const a = ctx.r.account(ctx.signer)
  if (a.balance < amount) throw new InsufficientBalanceError(`balance ${a.balance} < ${amount} rao`)
  ctx.r.putAccount(ctx.signer, { ...a, balance: a.balance - amount })
}

function positive (amount: bigint): void {
  if (amount <= 0n) throw new InvalidAmountError('amount must be at least 1 rao')
}

/** `transfer`: free balance from the signer to `to`. */
export const transfer: TxKindDef<TransferTx> = {
  kind: 'transfer',
  decode: raw => ({ kind: 'transfer', to: address(raw.to, 'to'), amount: rao(raw.amount, 'amount') }),
  encode: b => ({ to: b.to, amount: b.amount }),
  apply (ctx, b) {
    positive(b.amount)
    withdraw(ctx, b.amount)
    ctx.r.credit(b.to, b.amount)
  }
}

/** `addStake`: the signer (coldkey) stakes to its own hotkey or to a delegate. */
export const addStake: TxKindDef<AddStakeTx> = {
  kind: 'addStake',
  decode: raw => ({ kind: 'addStake', hotkey: address(raw.hotkey, 'hotkey'), amount: rao(raw.amount, 'amount') }),
  encode: b => ({ hotkey: b.hotkey, amount: b.amount }),
  apply (ctx, b) {
    positive(b.amount)
    const h = ctx.r.hotkey(b.hotkey)
    if (h == null) throw new NotRegisteredError(`hotkey ${b.hotkey} does not exist (register it first)`)
    // Policy: only a coldkey's own hotkey or a delegate can receive stake (HotKeyNotDelegateAndSignerNotOwnHotKey).
    if (h.owner !== ctx.signer && h.take === null) throw new NotOwnerError('hotkey is neither yours nor a delegate')
    withdraw(ctx, b.amount)
    ctx.r.addStake(b.hotkey, ctx.signer, b.amount)
  }
}

/** `removeStake`: back to the signer's free balance. */
export const removeStake: TxKindDef<RemoveStakeTx> = {
  kind: 'removeStake',
  decode: raw => ({ kind: 'removeStake', hotkey: address(raw.hotkey, 'hotkey'), amount: rao(raw.amount, 'amount') }),
  encode: b => ({ hotkey: b.hotkey, amount: b.amount }),
  apply (ctx, b) {
    positive(b.amount)
    const have = ctx.r.stake(b.hotkey, ctx.signer)
    if (have < b.amount) throw new InsufficientStakeError(`stake ${have} < ${b.amount} rao`)
    ctx.r.addStake(b.hotkey, ctx.signer, -b.amount)
    ctx.r.credit(ctx.signer, b.amount)
  }
}

/** `becomeDelegate`: the owner opens its hotkey to nominators with a take (u16, at most `maxTake`). */
export const becomeDelegate: TxKindDef<BecomeDelegateTx> = {
  kind: 'becomeDelegate',
  decode: raw => ({ kind: 'becomeDelegate', hotkey: address(raw.hotkey, 'hotkey'), take: u16(raw.take, 'take') }),
  encode: b => ({ hotkey: b.hotkey, take: b.take }),
  apply (ctx, b) {
    const h = ctx.r.hotkey(b.hotkey)
    if (h == null) throw new NotRegisteredError(`hotkey ${b.hotkey} does not exist`)
    if (h.owner !== ctx.signer) throw new NotOwnerError('only the owning coldkey can make a hotkey a delegate')
    if (h.take !== null) throw new InvalidAmountError('hotkey is already a delegate')
    if (b.take > ctx.chain.maxTake) throw new InvalidAmountError(`take ${b.take} above the maximum ${ctx.chain.maxTake}`)
    ctx.r.putHotkey(b.hotkey, { ...h, take: b.take })
  }
}
