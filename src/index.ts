/**
 * @packageDocumentation
 *
 * Agora: a peer of a decentralised market for AI models and datasets. This entry point is for
 * programs that embed a peer: open (or create) a repo, start the node, add and fetch content by
 * CID over a private Kademlia DHT, and optionally serve the HTTP API and the trustless gateway.
 *
 * @example Add a file and read it back
 * ```ts
 * import { createNode } from 'agora'
 *
 * const node = await createNode({ repo: '/tmp/my-agora', config: { addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] } } })
 * const { cid } = await node.add('./model.safetensors')          // pinned, announced on the DHT
 * for await (const chunk of node.store.cat(cid)) process.stdout.write(chunk)
 * await node.stop()
 * ```
 *
 * @example Fetch from peers
 * ```ts
 * const node = await createNode({ repo, config: { bootstrap: ['/ip4/127.0.0.1/tcp/4001/p2p/12D3Koo…'] } })
 * await node.fetch(cid, { onProgress: e => { if (e.type === 'agora:fetch:block') console.log(e.bytes) } })
 * await node.store.get(cid, '', './out')
 * ```
 *
 * @example Run a daemon (API + gateway) in-process
 * ```ts
 * const daemon = await startDaemon({ repo })
 * console.log(daemon.info.api, daemon.info.gateway)
 * await daemon.stop()
 * ```
 */

// The node: create one from a repo and a config, then add, fetch and read content through it.
export { AgoraNode, createNode } from './node.ts'
export type { NodeAddResult, NodeInit, NodeReadOptions } from './node.ts'

// Configuration: the defaults, the import (chunking) profiles, and the check of a config file.
export { DEFAULT_PROFILE, IMPORT_PROFILES, defaultConfig, validateConfig } from './config.ts'
export type { AgoraConfig, ConfigOverrides, ImportProfile } from './config.ts'

// The repo and its content store, and parsing the CIDs and CID paths a caller passes in.
export { ContentStore, initRepo, openRepo, parseCid, parseCidPath, resolveRepoPath } from './store/index.ts'
export type { AddProgress, AddResult, GcResult, GetResult, LsEntry, ObjectStat, Pin, Repo, InitRepoOptions, RepoStat, StoreAddOptions, VerifyResult, CorruptBlock } from './store/index.ts'

// The HTTP API, the trustless gateway, and both in one daemon.
export { createApiServer, createGatewayServer, startDaemon } from './api/index.ts'
export type { ApiServerInit, Daemon, DaemonInfo, GatewayServerInit, HttpServer } from './api/index.ts'

// The types of fetching from peers (options, progress events, results).
export type { FetchOptions, FetchProgressEvent, FetchResult, PeerSummary, ProviderReport } from './dht/index.ts'

// The errors, told apart by `err.name`: shared, store, API, and network ones.
export { InvalidParametersError, NotFoundError, NotStartedError, TimeoutError } from './errors.ts'
export {
  BlockNotFoundError, CorruptBlockError, InvalidCidError, InvalidDagError, NotPinnedError, PathNotFoundError,
  OutputExistsError, RepoLockedError, RepoNotInitializedError, RepoVersionError, UnsafePathError, WrongContentTypeError
} from './store/index.ts'
export {
  ApiError, FetchLimitExceededError, MethodNotAllowedError, NotHeldLocallyError, RangeNotSatisfiableError, RouteNotFoundError, UnauthorizedError
} from './api/index.ts'
export {
  BlockVerificationError, FetchStalledError, FetchTooLargeError, IdentityTooLargeError, MalformedBlockError, MalformedMessageError, MessageTooLargeError,
  NoProvidersError, NetworkNotStartedError, StreamStalledError, TooManyLinksError, TruncatedStreamError, UnsupportedCodecError, UnsupportedHashError
} from './dht/index.ts'
