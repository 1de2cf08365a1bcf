/**
 * Which services the daemon runs, decided from its flags. Each area contributes one builder
 * (its own line below); the daemon passes every factory they return to the node, in order:
 * ledger first, then the market (which needs the ledger for purchases), then incentives.
 */
import type { CliIo } from './command.ts'
import type { NodeServiceFactory } from '../service.ts'

/** The daemon flags the services read. */
export interface DaemonFlags {
  /** Repo directory. */
  repo: string
  /** `--dev`: a single-peer development chain with this peer as authority. */
  dev: boolean
  /** `--genesis <file>`: join the chain this genesis file describes. */
  genesis?: string
  /** `--role miner|validator` (repeatable). */
  roles: string[]
  /** `--netuid <n>`: the subnet the roles act on. */
  netuid?: number
  io: CliIo
}

/** Returns the factories an area wants for these flags (none when it is not enabled). */
export type DaemonServiceBuilder = (flags: DaemonFlags) => Promise<NodeServiceFactory[]>

/** Every area's builder, in start order. */
export const daemonServiceBuilders: DaemonServiceBuilder[] = [
  async (flags) => (await import('./ledger-daemon.ts')).ledgerDaemonServices(flags),
  async () => [(await import('../market/service.ts')).marketService()],
  async (flags) => (await import('../incentives/service.ts')).incentivesDaemonServices(flags) // incentives
]

/** All factories for these flags. */
export async function daemonServices (flags: DaemonFlags): Promise<NodeServiceFactory[]> {
  const out: NodeServiceFactory[] = []
  for (const build of daemonServiceBuilders) out.push(...await build(flags))
  return out
}
