/**
 * The validator's seams (validator-types.ts) over the real parts of a node: the ledger
 * service (chain view, weight transactions), the market's listing index and the DHT (the
 * eligible set).
 *
 * Hotkey ↔ peer id binding: a daemon's hotkey IS its libp2p Ed25519 key, so a hotkey's peer
 * id follows from it with no on-chain record: `peerId = identity-multihash(protobuf(Ed25519
 * public key))` (libp2p's `peerIdFromPublicKey`), i.e. the `12D3KooW…` string of the same 32
 * bytes whose SS58 address (prefix 42) is registered on the subnet. A miner can therefore only
 * be probed at the peer id that holds its hotkey's secret key, and the Noise handshake of every
 * probe proves it.
 */
import { publicKeyFromRaw } from '@libp2p/crypto/keys'
import { logger } from '@libp2p/logger'
import { peerIdFromPublicKey } from '@libp2p/peer-id'
import { fromAddress } from '../ledger/index.ts'
import { encryptedSize } from '../market/index.ts'
// trusted decoding of our own index's listings: not part of the market's public surface
import { decodeListingUnsafe } from '../market/index.ts'
import { drawEligible } from './draw.ts'
import type { DrawLimits, DrawListing } from './draw.ts'
import type { EligibleEntry } from './tasks.ts'
import type { ChainView, EligibleSource, NeuronView, SubnetWeightParams, WeightSubmitter } from './validator-types.ts'
import type { Ledger, LedgerService, TxBody, UnsignedTx } from '../ledger/index.ts'
import type { Listing, ListingIndex } from '../market/index.ts'
import type { AbortOptions, PeerInfo } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'

const log = logger('agora:incentives:adapters')

/** The libp2p peer id (string) of a 32-byte Ed25519 hotkey. */
export function peerIdOfHotkey (hotkey: Uint8Array): string {
  return peerIdFromPublicKey(publicKeyFromRaw(hotkey)).toString()
}

/** The {@link ChainView} of a ledger. */
export function ledgerChainView (ledger: Ledger): ChainView {
  return {
    head: async () => ledger.status().height,
    blockHash: async (block, options) => {
      const b = await ledger.getBlock(block, options)
      if (b == null) throw new RangeError(`no block ${block} (head ${ledger.status().height})`)
      return Uint8Array.from(Buffer.from(b.hash, 'hex'))
    },
    subnet: async (netuid) => {
      const s = ledger.subnet(netuid)
      if (s == null) throw new RangeError(`subnet ${netuid} does not exist`)
      const p = s.params
      const out: SubnetWeightParams = {
        tempo: p.tempo,
        n: s.n,
        weightsSetRateLimit: p.weightsSetRateLimit,
        commitReveal: p.commitReveal,
        revealPeriodEpochs: p.revealPeriodEpochs,
        minAllowedWeights: p.minAllowedWeights,
        maxWeightsLimit: p.maxWeightsLimit,
        weightsVersionKey: p.weightsVersionKey
      }
      return out
    },
    metagraph: async (netuid) => ledger.metagraph(netuid).map((r): NeuronView => ({
      uid: r.uid, hotkey: fromAddress(r.hotkey), permit: r.permit, lastUpdate: r.lastUpdate
    }))
  }
}

/**
 * Signs transactions with the node's hotkey and waits for their inclusion, one at a time, so
 * that each takes the nonce after the previous one (a follower's `nextNonce` only knows
 * included transactions).
 */
export class HotkeyTxQueue {
  readonly #chain: LedgerService
  #tail: Promise<unknown> = Promise.resolve()

  constructor (chain: LedgerService) {
    this.#chain = chain
  }

  /** Signs `body`, submits it, and resolves with the including block. */
  async send (body: TxBody, options?: AbortOptions): Promise<{ block: number, hash: string }> {
    const run = async (): Promise<{ block: number, hash: string }> => {
      options?.signal?.throwIfAborted()
      const l = this.#chain.ledger
      const signer = this.#chain.hotkey.address
      const tx: UnsignedTx = { chainId: l.genesis.chainId, signer, nonce: l.nextNonce(signer), body }
      const { hash } = await this.#chain.submit(this.#chain.hotkey.sign(tx), options)
      const { block } = await this.#chain.waitForTx(hash, options)
      return { block, hash }
    }
    const p = this.#tail.then(run, run)
    this.#tail = p.catch(() => {})
    return p
  }
}

/** The {@link WeightSubmitter} over the node's hotkey. */
export function ledgerWeightSubmitter (txs: HotkeyTxQueue): WeightSubmitter {
  return {
    setWeights: async (tx, options) => {
      await txs.send({ kind: 'setWeights', netuid: tx.netuid, uids: tx.uids, values: tx.values, versionKey: tx.versionKey }, options)
    },
    commitWeights: async (tx, options) => {
      const { block } = await txs.send({ kind: 'commitWeights', netuid: tx.netuid, hash: tx.hash }, options)
      return { block }
    },
    revealWeights: async (tx, options) => {
      await txs.send({ kind: 'revealWeights', netuid: tx.netuid, uids: tx.uids, values: tx.values, salt: tx.salt, versionKey: tx.versionKey }, options)
    }
  }
}

/** What the eligible set is built from. */
export interface MarketEligibleComponents {
  chain: ChainView
  /** The market's listing index (undefined: no market service, nothing is eligible). */
  index: () => ListingIndex | undefined
  findProviders: (cid: CID, options?: AbortOptions) => AsyncIterable<PeerInfo>
  /** Our own hotkey: never a miner of our own rounds. */
  selfHotkey: Uint8Array
  /** Whether the chain knows a publisher's hotkey (registered or staked): its listings are drawn first. */
  isKnown?: (publisher: Uint8Array) => boolean
  /** Whether a verified fraud report names the listing (the market's `fraud`): it is never drawn. */
  isReported?: (listing: Listing) => boolean
}

/** Bounds of the eligible set lookup. */
export interface MarketEligibleInit extends DrawLimits {
  /** Time limit of one provider lookup, ms. @default 5000 */
  lookupTimeoutMs?: number
}

/** The size of what miners store for a listed file: the plaintext, or its chunked ciphertext. */
function storedSize (encryption: { chunkSize: number } | null, plaintextSize: number): number {
  return encryption == null ? plaintextSize : encryptedSize(plaintextSize, encryption.chunkSize)
}

/**
 * The eligible set: files of active listings × registered miners (bound by hotkey = peer key)
 * that advertise the file in the DHT.
 *
 * Policy: paid listings are probed like open ones. Their file CIDs name the ciphertext miners
 * store and buyers fetch, so validators check it without holding the key (data-ignorance); its
 * size follows from the plaintext size and the listing's chunk size (`encryptedSize`). A listing
 * with a verified fraud report (its committed key does not open it) is not drawn: serving it earns
 * nothing.
 */
export function marketEligibleSource (c: MarketEligibleComponents, init: MarketEligibleInit = {}): EligibleSource {
  const providersOf = async (root: CID, options?: AbortOptions): Promise<string[]> => {
    const signal = AbortSignal.any([AbortSignal.timeout(init.lookupTimeoutMs ?? 5000), ...(options?.signal != null ? [options.signal] : [])])
    const ids: string[] = []
    try {
      for await (const p of c.findProviders(root, { signal })) ids.push(p.id.toString())
    } catch (err) {
      options?.signal?.throwIfAborted()
      log('provider lookup of %c ended - %e', root, err)
    }
    return ids
  }
  return {
    eligible: async (netuid, options) => {
      const index = c.index()
      if (index?.isStarted() !== true) return []
      const miners = new Map<string, Uint8Array>()
      const self = peerIdOfHotkey(c.selfHotkey)
      for (const n of await c.chain.metagraph(netuid, options)) {
        const id = peerIdOfHotkey(n.hotkey)
        if (id !== self) miners.set(id, n.hotkey)
      }
      if (miners.size === 0) return []
      const listings: Array<DrawListing<{ cid: string, size: number }> & { listing: Listing }> = []
      for await (const bytes of index.current(options)) {
        try {
          const l = decodeListingUnsafe(bytes, { trusted: true })
          if (l.record.state !== 'active' || c.isReported?.(l) === true) continue
          const files = l.record.files.filter(f => f.size > 0).map(f => ({ cid: f.cid.toString(), size: f.size }))
          listings.push({ id: l.id.toString(), publisher: l.record.publisher, known: c.isKnown?.(l.record.publisher) === true, files, listing: l })
        } catch (err) {
          log('skipping an undecodable listing - %e', err)
        }
      }
      const drawn = drawEligible(listings, options.seed, init)
      const out: EligibleEntry[] = []
      // Only DAG roots are announced: the listing root's providers hold its files. The drawn
      // listings' lookups run together (at most maxFiles of them).
      const providers = new Map<string, Promise<string[]>>()
      for (const { listing: d } of drawn) if (!providers.has(d.id)) providers.set(d.id, providersOf(d.listing.record.root, options))
      for (const { listing: d, file } of drawn) {
        for (const miner of await providers.get(d.id) as string[]) {
          const hotkey = miners.get(miner)
          if (hotkey == null) continue
          out.push({ listingCid: d.id, fileCid: file.cid, fileSize: storedSize(d.listing.record.encryption, file.size), minerPeerId: miner, minerHotkey: hotkey })
        }
      }
      return out
    }
  }
}
