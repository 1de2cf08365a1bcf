/** Applying one verified transaction: chain id, nonce, then the kind's own rules. */
import { BadNonceError, WrongChainError } from '../errors.ts'
import { kindOf } from './kinds.ts'
import type { ChainParams } from '../params.ts'
import type { Records } from '../records.ts'
import type { SignedTx } from './types.ts'

/**
 * Apply a decoded, signature-checked transaction to `r` (an overlay: on a throw the caller
 * drops it, so a refused transaction changes nothing, not even the nonce).
 */
export function applyTx (r: Records, stx: SignedTx, block: number, chainId: string, chain: ChainParams): void {
  const { tx } = stx
  if (tx.chainId !== chainId) throw new WrongChainError(`transaction for chain ${tx.chainId}, this is ${chainId}`)
  const acct = r.account(tx.signer)
  if (tx.nonce !== acct.nonce) throw new BadNonceError(`nonce ${tx.nonce}, expected ${acct.nonce}`)
  r.putAccount(tx.signer, { ...acct, nonce: acct.nonce + 1 })
  kindOf(tx.body).apply({ r, block, chain, signer: tx.signer, txHash: stx.hash }, tx.body)
}
