/**
 * The daemon's HTTP surfaces: the token-guarded API and the public, read-only gateway.
 */
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { metricsListen, parseHostPort } from '../config.ts'
import { createNode } from '../node.ts'
import { writeFileAtomic } from '../store/index.ts'
import { REPO_FILES } from '../store/index.ts'
import { INCENTIVES } from '../incentives/index.ts'
import { LEDGER } from '../ledger/index.ts'
import { MARKET } from '../market/index.ts'
import { contentRoutes } from './routes/content.ts'
import { gatewayRoutes } from './routes/gateway.ts'
import { incentivesRoutes } from './routes/incentives.ts'
import { ledgerRoutes } from './routes/ledger.ts'
import { marketRoutes } from './routes/market.ts'
import { metricsRoutes } from './routes/metrics.ts'
import { networkRoutes } from './routes/network.ts'
import { repoRoutes } from './routes/repo.ts'
import { createHttpServer } from './server.ts'
import type { HttpServer, Route } from './server.ts'
import type { AgoraConfig } from '../config.ts'
import type { AgoraNode, NodeInit } from '../node.ts'

export { ApiError, FetchLimitExceededError, MethodNotAllowedError, NotHeldLocallyError, RangeNotSatisfiableError, RouteNotFoundError, statusOf, UnauthorizedError } from './errors.ts'
export type { HttpServer } from './server.ts'
export type * from './wire.ts'

/** How to build the API server. */
export interface ApiServerInit {
  node: AgoraNode
  /** @default '127.0.0.1' */
  host?: string
  /** @default 5001 */
  port?: number
  /** Bearer token every request must carry. */
  token: string
}

/** The routes of the services the node runs: the chain, the market, the incentives. */
function serviceRoutes (node: AgoraNode): Route[] {
  const chain = node.services.get(LEDGER)
  const market = node.services.get(MARKET)
  const incentives = node.services.get(INCENTIVES)
  return [
    ...(chain != null ? ledgerRoutes({ chain }) : []),
    ...(market != null ? marketRoutes({ market, node }) : []),
    ...(incentives != null ? incentivesRoutes(incentives) : [])
  ]
}

/** The API: content, repo and network routes, and those of the node's services, behind the token. */
export function createApiServer (init: ApiServerInit): HttpServer {
  const deps = { node: init.node }
  return createHttpServer({
    host: init.host ?? '127.0.0.1',
    port: init.port ?? 5001,
    token: init.token,
    routes: [...contentRoutes(deps), ...repoRoutes(deps), ...networkRoutes(deps), ...serviceRoutes(init.node), ...metricsRoutes(deps)]
  })
}

/** How to build the gateway server. */
export interface GatewayServerInit {
  node: AgoraNode
  /** @default '127.0.0.1' */
  host?: string
  /** @default 8080 */
  port?: number
  /** Local-only switch and per-request fetch cap. @default init.node.config.gateway */
  gateway?: Partial<AgoraConfig['gateway']>
}

/**
 * The trustless gateway, on its own port. Policy: no token, because it serves only public,
 * content-addressed data and performs no writes; it still binds to loopback by default. Its
 * own origin is the loopback names plus the host it binds to (unless a wildcard address).
 */
export function createGatewayServer (init: GatewayServerInit): HttpServer {
  const host = init.host ?? '127.0.0.1'
  const hosts = ['0.0.0.0', '::'].includes(host) ? [] : [host.includes(':') ? `[${host}]` : host.toLowerCase()]
  const config = { ...init.node.config.gateway, ...init.gateway }
  return createHttpServer({ host, port: init.port ?? 8080, routes: gatewayRoutes({ node: init.node, config, hosts }) })
}

/** What a running daemon writes to `<repo>/api.json` (and what `agora` reads to find it). */
export interface DaemonInfo {
  peerId: string
  api: string
  gateway: string
  /** The tokenless metrics listener, when configured. */
  metrics?: string
  addresses: string[]
  pid: number
}

/** A running daemon. */
export interface Daemon {
  node: AgoraNode
  info: DaemonInfo
  /** Stop once: API and gateway first, then the node. Later calls wait for the first. */
  stop: () => Promise<void>
}

/** Start a node with its API and gateway (addresses from the config, after `init.config` overrides). */
export async function startDaemon (init: NodeInit): Promise<Daemon> {
  const node = await createNode(init)
  const apiAddr = parseHostPort(node.config.addresses.api)
  const gwAddr = parseHostPort(node.config.addresses.gateway)
  const api = createApiServer({ node, ...apiAddr, token: node.repo.apiToken })
  const gateway = createGatewayServer({ node, ...gwAddr })
  // the tokenless metrics listener (config metrics.listen, loopback only): that one route, nothing else
  let metricsAt: ReturnType<typeof metricsListen>
  try {
    metricsAt = metricsListen(node.config)
  } catch (err) {
    await node.stop()
    throw err
  }
  const metrics = metricsAt == null ? undefined : createHttpServer({ ...metricsAt, routes: metricsRoutes({ node }) })
  try {
    await api.start()
    await gateway.start()
    await metrics?.start()
  } catch (err) {
    await Promise.allSettled([api.stop(), gateway.stop()])
    await node.stop()
    throw err
  }
  const info: DaemonInfo = { peerId: node.peerId, api: api.url(), gateway: gateway.url(), ...(metrics != null ? { metrics: metrics.url() } : {}), addresses: node.id().addresses, pid: process.pid }
  const infoFile = join(node.repo.path, REPO_FILES.api)
  await writeFileAtomic(infoFile, JSON.stringify(info, null, 2) + '\n')
  let stopping: Promise<void> | undefined
  const stop = async (): Promise<void> => {
    stopping ??= (async () => {
      await rm(infoFile, { force: true })
      await Promise.allSettled([api.stop(), gateway.stop(), metrics?.stop()])
      await node.stop()
    })()
    await stopping
  }
  return { node, info, stop }
}
