/** Protocol ids and defaults of the network layer. */

/** Our private Kademlia DHT. Agora peers never join the public IPFS DHT by default. */
export const AGORA_KAD_PROTOCOL = '/agora/kad/1.0.0'

/** The stock IPFS DHT protocol, run only when `NetworkInit.ipfsDht` is true. */
export const IPFS_KAD_PROTOCOL = '/ipfs/kad/1.0.0'

/** Our block streaming protocol (see `wire.ts` for the message layout). */
export const FETCH_PROTOCOL = '/agora/fetch/1.0.0'

export const KiB = 1024
export const MiB = 1024 * KiB

/**
 * Largest block we accept or serve. Bitswap's limit is 2 MiB, and every importer profile we use
 * produces blocks of at most 1 MiB plus a few bytes of dag-pb framing.
 */
export const DEFAULT_MAX_BLOCK_SIZE = 2 * MiB

/** Largest CID we accept in a message (a CIDv1 with a 64-byte digest is about 70 bytes). */
export const MAX_CID_LENGTH = 128

/**
 * Largest identity digest accepted from the network (Kubo's limit too): an identity CID is its
 * block, so a longer one is a block smuggled in a link.
 */
export const MAX_IDENTITY_DIGEST = 128

/**
 * Most links one fetched block may list (config `fetch.maxLinksPerBlock`). A balanced UnixFS
 * file node lists at most 174 (kubo) or 1024 (agora profiles) children, a HAMT shard 256.
 */
export const DEFAULT_MAX_LINKS_PER_BLOCK = 16_384

/**
 * Most blocks one fetch may discover under its root, identity links included (config
 * `fetch.maxBlocks`): 4 Mi, four times the million 1 MiB leaves of a 1 TB model.
 */
export const DEFAULT_MAX_BLOCKS = 4_194_304

/** Most CIDs one WANT message may carry. */
export const MAX_WANT_CIDS = 512

/** Largest WANT message: type byte plus MAX_WANT_CIDS length-prefixed CIDs. */
export const MAX_WANT_MESSAGE = 1 + MAX_WANT_CIDS * (2 + MAX_CID_LENGTH)

/** Blocks requested from one provider and not yet answered. */
export const DEFAULT_WINDOW = 8

/** Blocks in flight (requested or being stored) per fetch, all providers together. */
export const DEFAULT_MAX_IN_FLIGHT = 16

/** Providers fetched from in parallel. */
export const DEFAULT_MAX_PROVIDERS = 4

/** Time without any block arriving before a fetch fails. */
export const DEFAULT_FETCH_TIMEOUT = 30_000

/** Time a provider may take to answer one requested block. */
export const DEFAULT_MESSAGE_TIMEOUT = 10_000

/** Time a served stream may stay idle between requests. */
export const DEFAULT_IDLE_TIMEOUT = 60_000

/** Default time limit of DHT queries (kad-dht's own default is 180 s). */
export const DEFAULT_QUERY_TIMEOUT = 30_000

/** Inbound streams of our fetch protocol allowed per connection. */
export const DEFAULT_MAX_FETCH_STREAMS = 8
