/**
 * A miner that cannot register yet says why, once, in its status and as an operator warning:
 * first the subnet does not exist, then its hotkey holds less than the burn. Once funded it
 * registers. A real daemon with a dev chain (100 ms blocks) in this process.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { startDaemon } from '../../src/api/index.ts'
import { INCENTIVES, incentivesService } from '../../src/incentives/index.ts'
import { devAccount, devGenesis, LEDGER, ledgerService, parseGenesis, signTx } from '../../src/ledger/index.ts'
import type { Daemon } from '../../src/api/index.ts'

const cleanup: Array<() => Promise<void>> = []
afterEach(async () => { for (const c of cleanup.splice(0).reverse()) await c() })

describe('incentives: a miner waiting to register', () => {
  it('behavior: "no subnet", then "waiting for funds" naming the burn and the hotkey, each warned once; funded, it registers', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'agora-incentives-wait-'))
    cleanup.push(async () => rm(dir, { recursive: true, force: true }))
    const { initRepo } = await import('../../src/store/index.ts')
    const repo = join(dir, 'repo')
    await initRepo(repo)
    const { privateKeyFromProtobuf } = await import('@libp2p/crypto/keys')
    const { readFile } = await import('node:fs/promises')
    const { hotkeyAddress } = await import('../../src/ledger/index.ts')
    const hotkey = hotkeyAddress(privateKeyFromProtobuf(await readFile(join(repo, 'identity.key'))))
    const genesis = parseGenesis(devGenesis(hotkey, devAccount().address, 100))
    const warnings: string[] = []
    const d: Daemon = await startDaemon({
      repo,
      services: [ledgerService({ genesis, authority: true }), incentivesService({ roles: ['miner'], netuid: 1 })],
      config: { addresses: { listen: ['/ip4/127.0.0.1/tcp/0'], api: '127.0.0.1:0', gateway: '127.0.0.1:0' }, swarm: { network: 'lan' } },
      // what the daemon prints for the operator (from the first block on)
      onWarning: m => { warnings.push(m) }
    })
    cleanup.push(async () => d.stop())
    const miner = d.node.services.require(INCENTIVES)
    const chain = d.node.services.require(LEDGER)
    await vi.waitFor(() => { expect(miner.status().registration).toBe('no subnet') }, { timeout: 10_000, interval: 50 })

    // the dev account creates subnet 1; the miner's hotkey has no TAO for the burn
    const dev = devAccount()
    const send = async (body: Parameters<typeof signTx>[0]['body']): Promise<void> => {
      const stx = signTx({ chainId: genesis.chainId, signer: dev.address, nonce: chain.ledger.nextNonce(dev.address), body }, dev.secretKey)
      await chain.waitForTx((await chain.submit(stx.bytes)).hash)
    }
    await send({ kind: 'registerNetwork' })
    await vi.waitFor(() => { expect(miner.status().registration).toBe('waiting for funds') }, { timeout: 10_000, interval: 50 })
    const funds = warnings.filter(w => w.includes('waiting for funds'))
    expect(funds).toHaveLength(1)
    expect(funds[0]).toContain(hotkey)
    expect(funds[0]).toContain('agora wallet transfer --dest')
    expect(warnings.filter(w => w.includes('does not exist on this chain yet'))).toHaveLength(1)
    // several blocks later, still one warning of each
    const h = chain.ledger.status().height
    await vi.waitFor(() => { expect(chain.ledger.status().height).toBeGreaterThan(h + 5) }, { timeout: 10_000, interval: 50 })
    expect(warnings.filter(w => w.includes('waiting for funds'))).toHaveLength(1)

    await send({ kind: 'transfer', to: hotkey, amount: 10_000_000_000n })
    await vi.waitFor(() => { expect(miner.status().registration).toBe('registered') }, { timeout: 15_000, interval: 50 })
  })
})
