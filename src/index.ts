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

export { AgoraNode, createNode } from './node.ts'
export type { NodeAddResult, NodeInit, NodeReadOptions } from './node.ts'

export { DEFAULT_PROFILE, IMPORT_PROFILES, defaultConfig, validateConfig } from './config.ts'
export type { AgoraConfig, ConfigOverrides, ImportProfile } from './config.ts'

export { ContentStore, initRepo, openRepo, parseCid, parseCidPath, resolveRepoPath } from './store/index.ts'
export type { AddProgress, AddResult, GcResult, GetResult, LsEntry, ObjectStat, Pin, Repo, RepoStat, StoreAddOptions, VerifyResult, CorruptBlock } from './store/index.ts'

export { createApiServer, createGatewayServer, startDaemon } from './api/index.ts'
export type { ApiServerInit, Daemon, DaemonInfo, GatewayServerInit, HttpServer } from './api/index.ts'

export type { FetchOptions, FetchProgressEvent, FetchResult, PeerSummary, ProviderReport } from './dht/index.ts'

export { InvalidParametersError, NotFoundError, NotStartedError, TimeoutError } from './errors.ts'
export {
  BlockNotFoundError, CorruptBlockError, InvalidCidError, InvalidDagError, NotPinnedError, PathNotFoundError,
  OutputExistsError, RepoLockedError, RepoNotInitializedError, RepoVersionError, UnsafePathError, WrongContentTypeError
} from './store/errors.ts'
export {
  ApiError, FetchLimitExceededError, MethodNotAllowedError, NotHeldLocallyError, RangeNotSatisfiableError, RouteNotFoundError, UnauthorizedError
} from './api/errors.ts'
export {
  BlockVerificationError, FetchStalledError, FetchTooLargeError, IdentityTooLargeError, MalformedBlockError, MalformedMessageError, MessageTooLargeError,
  NoProvidersError, NetworkNotStartedError, StreamStalledError, TooManyLinksError, TruncatedStreamError, UnsupportedCodecError, UnsupportedHashError
} from './dht/errors.ts'
