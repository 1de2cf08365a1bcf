/**
 * Which addresses a peer dials and announces (`NetworkInit.network`, config `swarm.network`).
 *
 * In `'public'`, an address in a private, loopback, link-local, CGNAT (100.64/10), unique-local
 * (fc00::/7) or unspecified range (what `@libp2p/utils`' `isPrivate` matches, plus `localhost`
 * names) is neither dialled nor announced, unless the user gave it: bootstrap addresses, the
 * `announce` list, `connect()` targets and the provider addresses of a fetch are kept in an
 * allow-list that the connection gater, the DHT's address mapper and the announce filter
 * consult. In `'lan'` every address is dialled and announced.
 */
import { isPrivate } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import type { PeerInfo } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

/** The address scopes of `NetworkInit.network` (the same as config `swarm.network`). */
export type AddressScopeName = 'public' | 'lan'

/** The address without its trailing `/p2p/<id>`: the key of the allow-list. */
function withoutPeer (addr: Multiaddr): string {
  const components = addr.getComponents()
  while (components.at(-1)?.name === 'p2p') components.pop()
  return multiaddr(components).toString()
}

/** True for an address that is not on the public internet (private, loopback, link-local, CGNAT, ULA, unspecified, `localhost`). */
export function isNonPublicAddress (addr: Multiaddr): boolean {
  if (isPrivate(addr)) return true
  const first = addr.getComponents()[0]
  if (first == null) return false
  // Policy: `*.localhost` names resolve to loopback (RFC 6761); `isPrivate` knows only `localhost`
  const isDns = first.name === 'dns' || first.name === 'dns4' || first.name === 'dns6' || first.name === 'dnsaddr'
  return isDns && first.value != null && /(^|\.)localhost\.?$/i.test(first.value)
}

/**
 * The address policy of one network: the scope and the allow-list of addresses the user gave.
 * The allow-list only grows (the user's choices of this run); it holds addresses, never peer
 * ids, so a hostile peer cannot name an allowed peer at a private address of its choosing.
 */
export class AddressScope {
  readonly scope: AddressScopeName
  private readonly allowed = new Set<string>()
  private readonly announced = new Set<string>()

  /** `dial`: addresses the user gave to dial (bootstrap); `announce`: our addresses the user gave to announce. */
  constructor (scope: AddressScopeName, explicit: { dial?: Iterable<Multiaddr | string>, announce?: Iterable<Multiaddr | string> } = {}) {
    this.scope = scope
    for (const a of explicit.dial ?? []) this.allow(a)
    for (const a of explicit.announce ?? []) this.announced.add(withoutPeer(typeof a === 'string' ? multiaddr(a) : a))
  }

  /** Adds an address the user gave (a bootstrap, an announce address, a `connect` target, a provider). */
  allow (addr: Multiaddr | string): void {
    this.allowed.add(withoutPeer(typeof addr === 'string' ? multiaddr(addr) : addr))
  }

  /** Whether the user gave this address (with or without `/p2p/<id>`). */
  isAllowed (addr: Multiaddr): boolean {
    return this.allowed.has(withoutPeer(addr))
  }

  /**
   * Policy: in `'public'` a non-public address is usable only when the user gave it; addresses
   * learnt from the network (DHT records, identify, gossip) in those ranges are not, so a
   * hostile peer cannot make us connect to our LAN or to services on this machine.
   */
  permits (addr: Multiaddr): boolean {
    return this.scope === 'lan' || !isNonPublicAddress(addr) || this.isAllowed(addr)
  }

  /** The connection gater's check (`true` denies the dial). */
  readonly denyDialMultiaddr = (addr: Multiaddr): boolean => !this.permits(addr)

  /**
   * libp2p's `addresses.announceFilter`: our own addresses that peers may learn.
   * Policy: in `'public'` our non-public addresses stay unannounced, except those the user
   * listed in `announce`, which are announced as given.
   */
  readonly announceFilter = (addrs: Multiaddr[]): Multiaddr[] => this.scope === 'lan'
    ? addrs
    : addrs.filter(a => !isNonPublicAddress(a) || this.announced.has(withoutPeer(a)))

  /** kad-dht's `peerInfoMapper`: the addresses of a peer the DHT keeps, uses and tells others. */
  readonly peerInfoMapper = (info: PeerInfo): PeerInfo => this.scope === 'lan'
    ? info
    : { ...info, multiaddrs: info.multiaddrs.filter(a => this.permits(a)) }
}
