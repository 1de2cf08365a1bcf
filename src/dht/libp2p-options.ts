/**
 * The libp2p configuration of an agora peer, with workarounds for js-libp2p's pitfalls applied
 * (each noted where it is set).
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { gossipsub } from '@libp2p/gossipsub'
import { identify } from '@libp2p/identify'
import { kadDHT } from '@libp2p/kad-dht'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { AGORA_KAD_PROTOCOL, IPFS_KAD_PROTOCOL, MiB } from './constants.ts'
import type { AddressScope } from './address-scope.ts'
import type { NetworkInit } from './types.ts'
import type { Libp2pOptions } from 'libp2p'

/**
 * Policy: gossipsub's IP colocation penalty (-5 × (n − 10)² for n peers sharing one address)
 * does not apply to loopback peers. They are on this machine by definition, so the penalty
 * defends against nothing there, and with more than 10 local peers (a devnet, a test network)
 * every peer's score went negative: no mesh formed, gossip and then flood publishing skipped
 * them, and listings and blocks stopped spreading. Peers on any other address keep it.
 */
const LOOPBACK_HOSTS = new Set(['127.0.0.1', '::1'])

/**
 * Builds the options handed to `createLibp2p` (directly, or through Helia's libp2p mixin).
 * `scope` decides which addresses are dialled, kept by the DHT and announced (see address-scope.ts).
 */
export function libp2pOptions (init: NetworkInit, scope: AddressScope): Libp2pOptions<any> {
  const dht = (protocol: string, prefix: string): ReturnType<typeof kadDHT> => kadDHT({
    protocol,
    // explicit server mode: kad-dht's automatic mode stays a client on loopback and LANs
    clientMode: false,
    // Policy: in 'public' the DHT keeps, uses and passes on only public addresses and those the
    // user gave (kad-dht's removePrivateAddressesMapper plus the allow-list); in 'lan' every
    // address, as our peers on loopback and LANs need
    peerInfoMapper: scope.peerInfoMapper,
    validators: init.dhtValidators ?? {},
    selectors: init.dhtSelectors ?? {},
    initialQuerySelfInterval: init.initialQuerySelfInterval ?? 1000,
    // a query with an empty routing table ends at once instead of waiting for the timeout;
    // callers retry: the fetcher re-asks every second, the reprovider every interval
    allowQueryWithZeroPeers: true,
    ...(prefix === '' ? {} : { datastorePrefix: `/dht-${prefix}`, logPrefix: `libp2p:dht-${prefix}`, metricsPrefix: `libp2p_dht_${prefix}` })
  })
  const services: Record<string, any> = {
    identify: identify(),
    // two DHTs ping each new contact at once; the default limit of 1 leaves routing tables empty
    ping: ping({ maxOutboundStreams: 8, maxInboundStreams: 8 }),
    dht: dht(AGORA_KAD_PROTOCOL, ''),
    pubsub: gossipsub({ allowPublishToZeroTopicPeers: true, emitSelf: false, scoreParams: { IPColocationFactorWhitelist: LOOPBACK_HOSTS } })
  }
  if (init.ipfsDht === true) services.ipfsDht = dht(IPFS_KAD_PROTOCOL, 'ipfs')
  return {
    privateKey: init.privateKey,
    datastore: init.datastore,
    addresses: { listen: init.listen ?? ['/ip4/127.0.0.1/tcp/0'], announce: init.announce ?? [], announceFilter: scope.announceFilter },
    // Policy: in 'public', no dial to a non-public address learnt from the network (a provider
    // record or a routing answer naming 127.0.0.1 or 10.0.0.1); the user's own are dialled
    connectionGater: { denyDialMultiaddr: scope.denyDialMultiaddr },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    // a 4 MiB read buffer overflows under Bitswap's 2 MiB messages on a busy loop
    streamMuxers: [yamux({ streamOptions: { maxReadBufferLength: 64 * MiB } })],
    // Policy: no discovery of any kind; we dial only the bootstrap peers we are given
    peerDiscovery: [],
    connectionManager: {
      ...(init.inboundConnectionThreshold == null ? {} : { inboundConnectionThreshold: init.inboundConnectionThreshold }),
      ...(init.maxConnections == null ? {} : { maxConnections: init.maxConnections })
    },
    services,
    ...(init.metrics != null ? { metrics: init.metrics } : {}),
    start: false
  }
}

/**
 * Options of a probe peer (see `Network.createProbePeer`): a fresh key, the same transports,
 * encryption, muxer and address policy as the node, identify and ping, no listener, no DHT, no
 * gossip. To a miner it is one more peer that dials in and asks for blocks, as a buyer's
 * command-line peer or a DHT client behind NAT does.
 */
export function probePeerOptions (privateKey: Libp2pOptions['privateKey'], scope: AddressScope): Libp2pOptions<any> {
  return {
    privateKey,
    addresses: { listen: [] },
    connectionGater: { denyDialMultiaddr: scope.denyDialMultiaddr },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux({ streamOptions: { maxReadBufferLength: 64 * MiB } })],
    peerDiscovery: [],
    services: { identify: identify(), ping: ping() },
    start: false
  }
}
