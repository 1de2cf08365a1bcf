/**
 * The seams between the validator and the rest of the node. The network (`src/dht`), the
 * market (`src/market`) and the ledger (`src/ledger`) each implement one of these; the
 * validator only sees these interfaces, so it is tested with small fakes and wired to the real
 * parts by the daemon.
 */
import type { ProbeResult } from './probe-result.ts'
import type { EligibleEntry, ProbeTask } from './tasks.ts'
import type { AbortOptions } from '@libp2p/interface'

/** A subnet's parameters that weight setting depends on (the chain's checks: src/ledger/tx/weights.ts). */
export interface SubnetWeightParams {
  tempo: number
  /** `SubnetworkN`. */
  n: number
  weightsSetRateLimit: number
  commitReveal: boolean
  revealPeriodEpochs: number
  minAllowedWeights: number
  maxWeightsLimit: number
  weightsVersionKey: number
}

/** One registered neuron as the validator needs it. */
export interface NeuronView {
  uid: number
  /** The neuron's hotkey (32-byte ed25519 public key). */
  hotkey: Uint8Array
  /** Whether it holds a validator permit. */
  permit: boolean
  /** The block of its last weights (or commit), its registration block if none. */
  lastUpdate: number
}

/** Read access to the ledger. */
export interface ChainView {
  /** The current head block number. */
  head: (options?: AbortOptions) => Promise<number>
  /** The hash of block `block` (the round seed). */
  blockHash: (block: number, options?: AbortOptions) => Promise<Uint8Array>
  subnet: (netuid: number, options?: AbortOptions) => Promise<SubnetWeightParams>
  metagraph: (netuid: number, options?: AbortOptions) => Promise<NeuronView[]>
}

/** Sends weight transactions signed by the validator's hotkey; each resolves once included. */
export interface WeightSubmitter {
  setWeights: (tx: { netuid: number, uids: number[], values: number[], versionKey: number }, options?: AbortOptions) => Promise<void>
  /** Resolves with the block that included the commit (its epoch decides when to reveal). */
  commitWeights: (tx: { netuid: number, hash: Uint8Array }, options?: AbortOptions) => Promise<{ block: number }>
  revealWeights: (tx: { netuid: number, uids: number[], values: number[], salt: Uint8Array, versionKey: number }, options?: AbortOptions) => Promise<void>
}

/**
 * The eligible set: listed files × registered miners whose hotkey is
 * bound to a peer id and that advertise the file in the DHT.
 */
export interface EligibleSource {
  /** The eligible set of a round; `seed` (the round's block hash) draws which listings take part. */
  eligible: (netuid: number, options: AbortOptions & { seed: Uint8Array }) => Promise<EligibleEntry[]>
}

/**
 * Runs one retrieval probe over the buyers' protocol. Contract: it does not throw for anything
 * the miner does, nor for the validator's own faults: those are result codes (its own faults
 * are VALIDATOR_SIDE_ERROR). It throws only when `options.signal` aborts.
 */
export interface Prober {
  probe: (task: ProbeTask, ctx: { round: number, validatorHotkey: Uint8Array }, options?: AbortOptions) => Promise<ProbeResult>
  /** Lets go of what the prober holds (its probe peer). */
  stop?: () => Promise<void>
}
