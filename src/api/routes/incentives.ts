/**
 * Routes of the incentives service, under `/api/v0/incentives/`: the peer's standing on the
 * subnet (`status`) and the validator's per-miner figures and published report batches (`report`).
 * Built by the API when the node runs the incentives service.
 */
import { sendJson } from '../server.ts'
import type { IncentivesService } from '../../incentives/index.ts'
import type { Route } from '../server.ts'

/** The incentives routes of a running service. */
export function incentivesRoutes (svc: IncentivesService): Route[] {
  return [
    { method: 'GET', path: '/api/v0/incentives/status', handler: async (ctx) => { sendJson(ctx.res, svc.status()) } },
    {
      method: 'GET',
      path: '/api/v0/incentives/report',
      handler: async (ctx) => { sendJson(ctx.res, { netuid: svc.status().netuid, miners: svc.report(), batches: await svc.archive.list({ signal: ctx.signal }) }) }
    }
  ]
}
