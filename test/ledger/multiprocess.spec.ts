/**
 * Three ledger peers in separate processes on 127.0.0.1 (A the authority, B bootstrapped from A,
 * C only from B): transactions submitted at non-authority peers land in blocks (a transfer and
 * a weights transaction), the epoch pays miner and validator what the rules give, all three
 * reach the same state root, a peer stopped for 20 blocks catches up after its restart, and a
 * block with a bad signature or a wrong state root is refused.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { genesisToJson, signTx } from '../../src/ledger/index.ts'
import { spawnLedgerPeer } from './spawn.ts'
import { TAO, testGenesis, testKey } from './helpers.ts'
import type { LedgerPeer } from './spawn.ts'
import type { MetagraphRow, TxBody } from '../../src/ledger/index.ts'
import type { TestKey } from './helpers.ts'

const [alice, bob, val, miner, vh, mh] = ['alice', 'bob', 'val', 'miner', 'val-hot', 'miner-hot'].map(testKey)
const genesis = testGenesis({ alice: 5000n * TAO, val: 100n * TAO, miner: 100n * TAO }, {
  blockTimeMs: 250,
  emissionSplit: 'even',
  rootTempo: 4,
  networkMinLockCost: '100000000000',
  newSubnet: { tempo: 9, weightsSetRateLimit: 0, targetRegistrationsPerInterval: 3, maxRegistrationsPerBlock: 3 }
})
const peers: LedgerPeer[] = []
const dirs: string[] = []

afterAll(async () => {
  for (const p of peers) await p.stop()
  for (const d of dirs) await rm(d, { recursive: true, force: true })
})

const nonces = new Map<string, number>()
function tx (who: TestKey, body: TxBody): Uint8Array {
  const n = nonces.get(who.address) ?? 0
  nonces.set(who.address, n + 1)
  return signTx({ chainId: genesis.chainId, signer: who.address, nonce: n, body }, who.secretKey).bytes
}

async function dir (): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'agora-ledger-mp-'))
  dirs.push(d)
  return d
}

describe('ledger across processes', { timeout: 170_000 }, () => {
  it('default: three peers agree; txs at followers land; epochs pay; catch-up; bad blocks refused', async () => {
    const gfile = join(await dir(), 'genesis.json')
    await writeFile(gfile, JSON.stringify(genesisToJson(genesis)))
    const seed = Buffer.from(testKey('authority').secretKey).toString('hex')
    const [da, db, dc] = [await dir(), await dir(), await dir()]
    const a = await spawnLedgerPeer(da, ['--genesis', gfile, '--authority-seed', seed])
    peers.push(a)
    const b = await spawnLedgerPeer(db, ['--genesis', gfile, '--bootstrap', a.addrs[0]])
    peers.push(b)
    let c = await spawnLedgerPeer(dc, ['--genesis', gfile, '--bootstrap', b.addrs[0]])
    peers.push(c)
    const wait = { timeout: 60_000, interval: 100 }

    // subnet 1 with a validator and a miner, all submitted at B (not the authority)
    await b.call('submit', { tx: tx(alice, { kind: 'registerNetwork' }) })
    await b.call('submit', { tx: tx(val, { kind: 'burnedRegister', netuid: 1, hotkey: vh.address }) })
    await b.call('submit', { tx: tx(miner, { kind: 'burnedRegister', netuid: 1, hotkey: mh.address }) })
    await b.call('submit', { tx: tx(val, { kind: 'addStake', hotkey: vh.address, amount: 10n * TAO }) })
    await vi.waitFor(async () => {
      const mg: MetagraphRow[] = await a.call('metagraph', { netuid: 1 })
      expect(mg.map(r => r.hotkey)).toEqual([vh.address, mh.address])
      expect(mg[0].stake).toBe(10n * TAO)
    }, wait)
    // after an epoch the validator holds a permit; it sets weights through B, a transfer goes through C
    await vi.waitFor(async () => expect((await b.call<MetagraphRow[]>('metagraph', { netuid: 1 }))[0].permit).toBe(true), wait)
    await b.call('submit', { tx: tx(vh, { kind: 'setWeights', netuid: 1, uids: [1], values: [1], versionKey: 0 }) })
    // C checks what is submitted to it against its own state: wait until it has seen alice's first transaction
    await vi.waitFor(async () => expect((await c.call<MetagraphRow[]>('metagraph', { netuid: 1 })).length).toBe(2), wait)
    await c.call('submit', { tx: tx(alice, { kind: 'transfer', to: bob.address, amount: 7n }) })
    await vi.waitFor(async () => {
      expect(await a.call('balance', { address: bob.address })).toBe(7n)
      expect(await a.call('stake', { hotkey: mh.address, coldkey: miner.address })).toBeGreaterThan(0n)
    }, wait)

    // C goes away for 20 blocks and catches up after its restart
    const before = (await c.call('status')).height
    await c.stop()
    await vi.waitFor(async () => expect((await a.call('status')).height).toBeGreaterThanOrEqual(before + 20), wait)
    c = await spawnLedgerPeer(dc, ['--genesis', gfile, '--bootstrap', b.addrs[0]])
    peers.push(c)
    const target = (await a.call('status')).height
    await vi.waitFor(async () => expect((await c.call('status')).height).toBeGreaterThanOrEqual(target), wait)

    // stop production; everyone settles on the same head and state root
    await a.call('pause')
    const head = await a.call('status')
    await vi.waitFor(async () => {
      for (const p of [b, c]) expect((await p.call('status')).height).toBe(head.height)
    }, wait)
    for (const p of [a, b, c]) {
      const s = await p.call('status')
      expect(s.stateRoot).toBe(head.stateRoot)
      expect(s.audit).toBe(true)
    }

    // the payout of an epoch with weights (P = 10 blocks × 1 TAO, the only subnet's even share):
    // owner cut = floor(P · 773074452 / 2^32) (I96F32 of 11796/65535), R = P − cut,
    // incentive 1 for the miner and dividends 1 for the validator → each floor(R / 2), as in the
    // owner-cut examples of test/ledger/tokenomics-examples.spec.ts
    const P = 10n * TAO
    const R = P - ((P * 773_074_452n) >> 32n)
    const half = R / 2n
    const mg: MetagraphRow[] = await c.call('metagraph', { netuid: 1 })
    expect(mg[0].emission).toBe(half)
    expect(mg[1].emission).toBe(half)
    const minerStake: bigint = await c.call('stake', { hotkey: mh.address, coldkey: miner.address })
    expect(minerStake % half).toBe(0n)
    expect(minerStake / half).toBeGreaterThanOrEqual(1n)

    // a block signed by someone else, and an authority-signed block with a wrong state root
    await b.call('forge', { seed: testKey('mallory').secretKey, stateRoot: new Uint8Array(32) })
    await vi.waitFor(async () => expect((await c.call('refused')).map((r: { error: string }) => r.error)).toContain('InvalidBlockError'), wait)
    await a.call('forge', { seed: testKey('authority').secretKey, stateRoot: new Uint8Array(32) })
    await vi.waitFor(async () => {
      for (const p of [b, c]) expect((await p.call('refused')).map((r: { error: string }) => r.error)).toContain('StateRootMismatchError')
    }, wait)
    for (const p of [b, c]) {
      const s = await p.call('status')
      expect(s.height).toBe(head.height)
      expect(s.stateRoot).toBe(head.stateRoot)
    }
  })
})
