/**
 * Named errors of the ledger. Callers tell them apart by `err.name`. Every transaction the
 * ledger refuses is refused with one of these and leaves the state exactly as it was.
 */

/** Base of every error a transaction can be refused with (checked by `err.name` below). */
export class InvalidTransactionError extends Error {
  static override name = 'InvalidTransactionError'
  override name = 'InvalidTransactionError'
}

/** The bytes of a transaction, block or state value could not be decoded, or are too large. */
export class MalformedError extends Error {
  static override name = 'MalformedError'
  override name = 'MalformedError'
}

/** A signature does not verify against its signer. */
export class BadSignatureError extends Error {
  static override name = 'BadSignatureError'
  override name = 'BadSignatureError'
}

/** The transaction's chain id is not this chain's. */
export class WrongChainError extends Error {
  static override name = 'WrongChainError'
  override name = 'WrongChainError'
}

/** The transaction's nonce is not the signer's next nonce. */
export class BadNonceError extends Error {
  static override name = 'BadNonceError'
  override name = 'BadNonceError'
}

/** The signer's account cannot pay the amount. */
export class InsufficientBalanceError extends Error {
  static override name = 'InsufficientBalanceError'
  override name = 'InsufficientBalanceError'
}

/** Not enough stake under (hotkey, coldkey) to remove, or below the stake threshold. */
export class InsufficientStakeError extends Error {
  static override name = 'InsufficientStakeError'
  override name = 'InsufficientStakeError'
}

/** A rate limit (per signer per block, network registration, weights, registrations) was hit. */
export class RateLimitedError extends Error {
  static override name = 'RateLimitedError'
  override name = 'RateLimitedError'
}

/** An amount or parameter is out of range (zero amount, u16 overflow, bad take, …). */
export class InvalidAmountError extends Error {
  static override name = 'InvalidAmountError'
  override name = 'InvalidAmountError'
}

/** The signer may not act on this hotkey, subnet or neuron. */
export class NotOwnerError extends Error {
  static override name = 'NotOwnerError'
  override name = 'NotOwnerError'
}

/** The subnet does not exist (or is the root network where a user subnet is needed). */
export class SubnetNotFoundError extends Error {
  static override name = 'SubnetNotFoundError'
  override name = 'SubnetNotFoundError'
}

/** The escrow a transaction names does not exist. */
export class EscrowNotFoundError extends Error {
  static override name = 'EscrowNotFoundError'
  override name = 'EscrowNotFoundError'
}

/** The escrow is not in a state that allows this transaction (e.g. delivered twice). */
export class EscrowStateError extends Error {
  static override name = 'EscrowStateError'
  override name = 'EscrowStateError'
}

/** A dispute of a delivery whose key opens and matches the commitment: the seller keeps the payment. */
export class DisputeRefusedError extends Error {
  static override name = 'DisputeRefusedError'
  override name = 'DisputeRefusedError'
}

/** The hotkey is not registered (on the subnet, or anywhere). */
export class NotRegisteredError extends Error {
  static override name = 'NotRegisteredError'
  override name = 'NotRegisteredError'
}

/** The hotkey is already registered on the subnet. */
export class AlreadyRegisteredError extends Error {
  static override name = 'AlreadyRegisteredError'
  override name = 'AlreadyRegisteredError'
}

/** Registration is closed: disabled, or every slot/network is immune. */
export class RegistrationClosedError extends Error {
  static override name = 'RegistrationClosedError'
  override name = 'RegistrationClosedError'
}

/** A weights / commit / reveal call breaks one of the chain's weight rules. */
export class InvalidWeightsError extends Error {
  static override name = 'InvalidWeightsError'
  override name = 'InvalidWeightsError'
}

/** A block does not follow from our head: wrong height or parent hash. */
export class WrongParentError extends Error {
  static override name = 'WrongParentError'
  override name = 'WrongParentError'
}

/** A block's re-execution reached a different state root than the block claims. */
export class StateRootMismatchError extends Error {
  static override name = 'StateRootMismatchError'
  override name = 'StateRootMismatchError'
}

/** A block is not signed by the genesis authority, or contains a transaction that fails. */
export class InvalidBlockError extends Error {
  static override name = 'InvalidBlockError'
  override name = 'InvalidBlockError'
}

/** The stored chain does not match the genesis given, or its state does not hash to its root. */
export class CorruptLedgerError extends Error {
  static override name = 'CorruptLedgerError'
  override name = 'CorruptLedgerError'
}

/** An invariant (total issuance = balances + stake + locks + pending payouts) is broken. */
export class InvariantError extends Error {
  static override name = 'InvariantError'
  override name = 'InvariantError'
}

/** Only the authority named in genesis may produce blocks. */
export class NotAuthorityError extends Error {
  static override name = 'NotAuthorityError'
  override name = 'NotAuthorityError'
}

/** The keystore could not be opened: wrong password, or a tampered file. */
export class KeystoreError extends Error {
  static override name = 'KeystoreError'
  override name = 'KeystoreError'
}

/** A transaction was not included in a block within the time waited. */
export class TxTimeoutError extends Error {
  static override name = 'TxTimeoutError'
  override name = 'TxTimeoutError'
}

/** A transaction accepted here can no longer be included (another one took its nonce). */
export class TxDroppedError extends Error {
  static override name = 'TxDroppedError'
  override name = 'TxDroppedError'
}

/** The authority refused a transaction this peer forwarded; the message names its error. */
export class TxRefusedError extends Error {
  static override name = 'TxRefusedError'
  override name = 'TxRefusedError'
  /** The authority's error name, e.g. `InsufficientBalanceError`. */
  readonly reason: string
  constructor (message: string, reason: string) {
    super(message)
    this.reason = reason
  }
}

/** This peer runs no chain, or the chain is not started. */
export class LedgerNotRunningError extends Error {
  static override name = 'LedgerNotRunningError'
  override name = 'LedgerNotRunningError'
}

/** The genesis in the repo and the one given differ (a repo belongs to one chain). */
export class GenesisMismatchError extends Error {
  static override name = 'GenesisMismatchError'
  override name = 'GenesisMismatchError'
}

/** Names of the errors that mean "this transaction is invalid" (as opposed to an internal fault). */
export const TX_ERROR_NAMES: ReadonlySet<string> = new Set([
  'InvalidTransactionError', 'MalformedError', 'BadSignatureError', 'WrongChainError', 'BadNonceError',
  'InsufficientBalanceError', 'InsufficientStakeError', 'RateLimitedError', 'InvalidAmountError',
  'NotOwnerError', 'SubnetNotFoundError', 'NotRegisteredError', 'AlreadyRegisteredError',
  'RegistrationClosedError', 'InvalidWeightsError', 'EscrowNotFoundError', 'EscrowStateError',
  'DisputeRefusedError'
])
