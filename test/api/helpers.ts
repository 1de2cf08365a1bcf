import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startDaemon } from '../../src/api/index.ts'
import type { Daemon } from '../../src/api/index.ts'

/** An in-process daemon on a temp repo, loopback only, random ports. */
export async function testDaemon (): Promise<Daemon & { dir: string, close: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'agora-api-'))
  const d = await startDaemon({
    repo: join(dir, 'repo'),
    config: { addresses: { listen: ['/ip4/127.0.0.1/tcp/0'], api: '127.0.0.1:0', gateway: '127.0.0.1:0' }, swarm: { network: 'lan' } }
  })
  return {
    ...d,
    dir,
    close: async () => {
      await d.stop()
      await rm(dir, { recursive: true, force: true })
    }
  }
}
