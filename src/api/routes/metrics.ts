/**
 * `GET /debug/metrics/prometheus` (Kubo's path): the node's Prometheus registry in the text
 * exposition format, behind the API token like every route. The registry holds libp2p's metrics
 * (`libp2p_…`: connections, streams and bytes by protocol, DHT queries), the process's
 * (`agora_process_…`, `agora_nodejs_…`) and the gauges below, read from the node and its
 * services when scraped, so nothing on a hot path pays for them.
 *
 * Policy: labels have bounded values only (an escrow state, a catalogue pull outcome); never
 * a peer, a CID or a listing.
 */
import { Counter, Gauge } from 'prom-client'
import { INCENTIVES } from '../../incentives/index.ts'
import { LEDGER } from '../../ledger/index.ts'
import { MARKET } from '../../market/index.ts'
import type { Route } from '../server.ts'
import type { AgoraNode } from '../../node.ts'
import type { Registry } from 'prom-client'

/** What the metrics route needs: the node (its registry and services). */
export interface MetricsRouteDeps { node: AgoraNode }

const ESCROW_STATES = ['open', 'delivered', 'accepted', 'paid', 'refunded', 'failed'] as const

/** Registers the Agora gauges in the node's registry (once per node). */
function register (node: AgoraNode, registry: Registry): void {
  const gauge = (name: string, help: string, read: () => number | undefined, labelNames: string[] = []): Gauge => new Gauge({
    name,
    help,
    labelNames,
    registers: [registry],
    collect () { const v = read(); if (v != null) this.set(v) }
  })
  gauge('agora_peers_connected', 'peers with an open connection', () => node.isStarted() ? node.peers().length : undefined)

  const chain = node.services.get(LEDGER)
  if (chain != null) {
    gauge('agora_chain_height', 'height of the last block this peer holds', () => chain.ledger.status().height)
    gauge('agora_chain_tx_pool', 'transactions accepted into the open block, not yet in a block', () => chain.ledger.status().pending)
    gauge('agora_chain_authority', '1 when this peer produces the blocks', () => chain.ledger.isAuthority ? 1 : 0)
  }

  const market = node.services.get(MARKET)
  if (market != null) {
    gauge('agora_market_listings', 'listings shown by search (active, unexpired)', () => market.index.isStarted() ? market.index.size : undefined)
    gauge('agora_market_listings_stored', 'listing versions held, revocations and expired heads included', () => market.index.isStarted() ? market.index.usage.total.listings : undefined)
    gauge('agora_market_listing_bytes', 'bytes of listing envelopes held', () => market.index.isStarted() ? market.index.usage.total.bytes : undefined)
    gauge('agora_market_fraud_reports', 'verified fraud reports held', () => market.fraud.size)
    // the pull figures only grow: a counter that catches up with them at each scrape
    const seen = { accepted: 0, refused: 0, failed: 0 }
    new Counter({ // eslint-disable-line no-new
      name: 'agora_market_catalogue_listings_total',
      help: 'listings from catalogue pulls, by outcome (failed: pulls that failed)',
      labelNames: ['outcome'],
      registers: [registry],
      collect () {
        for (const k of ['accepted', 'refused', 'failed'] as const) {
          const now = market.pulls[k]
          if (now > seen[k]) { this.inc({ outcome: k }, now - seen[k]); seen[k] = now }
        }
      }
    })
    if (chain != null) {
      new Gauge({ // eslint-disable-line no-new
        name: 'agora_market_purchases',
        help: 'purchases made through this daemon, by escrow state',
        labelNames: ['state'],
        registers: [registry],
        async collect () {
          const all = await market.trade.purchases().catch(() => undefined)
          if (all == null) return
          for (const s of ESCROW_STATES) this.set({ state: s }, all.filter(p => p.state === s).length)
        }
      })
    }
  }

  const incentives = node.services.get(INCENTIVES)
  if (incentives != null) {
    const status = (): ReturnType<typeof incentives.status> => incentives.status()
    gauge('agora_incentives_registered', '1 when this peer holds a uid on its subnet', () => status().uid != null ? 1 : 0)
    gauge('agora_incentives_incentive', 'incentive of the last epoch (0..1)', () => status().incentive)
    gauge('agora_incentives_dividends', 'dividends of the last epoch (0..1)', () => status().dividends)
    gauge('agora_incentives_last_emission_rao', 'rao the last epoch paid this uid', () => Number(status().lastEmission))
    gauge('agora_incentives_validator_rounds', 'probe rounds run by this validator since start', () => status().validator?.rounds)
  }
}

const registered = new WeakSet<Registry>()

/** The metrics route. */
export function metricsRoutes ({ node }: MetricsRouteDeps): Route[] {
  const registry = node.metrics
  if (!registered.has(registry)) {
    register(node, registry)
    registered.add(registry)
  }
  return [{
    method: 'GET',
    path: '/debug/metrics/prometheus',
    handler: async (ctx) => {
      const body = await registry.metrics()
      ctx.res.writeHead(200, { 'content-type': registry.contentType, 'content-length': Buffer.byteLength(body) })
      ctx.res.end(body)
    }
  }]
}
