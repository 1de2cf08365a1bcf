/**
 * The ledger across three real daemons on 127.0.0.1: A is the authority named by a genesis file
 * written with `agora chain genesis`; B and C follow. Everything a user does goes through the
 * CLI against B (a non-authority peer).
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { privateKeyFromProtobuf } from '@libp2p/crypto/keys'
import { MemoryBlockstore } from 'blockstore-core'
import { MemoryDatastore } from 'datastore-core'
import { generateKeyPair as libp2pKey } from '@libp2p/crypto/keys'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { createNetwork } from '../../src/dht/index.ts'
import { sealBlock, txRoot } from '../../src/ledger/block.ts'
import { generateKeyPair, hotkeyAddress, hotkeySeed } from '../../src/ledger/index.ts'
import { runCli, spawnDaemon, stopAll, tempDir } from '../utils/daemon.ts'
import type { Network } from '../../src/dht/index.ts'
import type { CliResult, TestDaemon } from '../utils/daemon.ts'

const PASSWORD = { AGORA_WALLET_PASSWORD: 'correct horse battery staple' }
const TAO = 1_000_000_000n
const TEMPO = 9
const BLOCK_MS = 500
let injector: Network | undefined

afterAll(async () => {
  await injector?.stop()
  await stopAll()
})

function json<T = Record<string, any>> (r: CliResult): T {
  if (r.code !== 0) throw new Error(`agora failed (${r.code}): ${r.stderr}`)
  return JSON.parse(r.stdout) as T
}

async function api<T = Record<string, any>> (d: TestDaemon, path: string): Promise<T> {
  const token = (await readFile(join(d.repo, 'api.token'), 'utf8')).trim()
  const res = await fetch(new URL(path, d.info.api), { headers: { authorization: `Bearer ${token}` } })
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`)
  return await res.json() as T
}

async function height (d: TestDaemon): Promise<number> {
  return (await api<{ height: number }>(d, '/api/v0/chain/status')).height
}

async function identityKey (repo: string): Promise<ReturnType<typeof privateKeyFromProtobuf>> {
  return privateKeyFromProtobuf(await readFile(join(repo, 'identity.key')))
}

describe('e2e: ledger across three daemons', () => {
  it('default: transfer and weights at a follower land in blocks, the epoch pays by the rules, every peer has the same state root, a stopped peer catches up, forged blocks are refused', async () => {
    const dir = await tempDir('agora-ledger-e2e-')
    const repos = { a: join(dir, 'a'), b: join(dir, 'b'), c: join(dir, 'c') }
    for (const r of Object.values(repos)) expect((await runCli(['init'], { repo: r })).code).toBe(0)
    const authority = hotkeyAddress(await identityKey(repos.a))
    const owner = json(await runCli(['wallet', 'create', '--name', 'owner', '--json'], { repo: repos.b, env: PASSWORD })).address as string
    const friend = json(await runCli(['wallet', 'create', '--name', 'friend', '--json'], { repo: repos.b, env: PASSWORD })).address as string

    // The chain: blocks every 500 ms, subnets with tempo 9 (an epoch every 10 blocks), the root
    // epoch every 5 blocks, cheap subnets, emission split evenly over subnets, no weights rate limit.
    const genesisFile = join(dir, 'genesis.json')
    json(await runCli(['chain', 'genesis', '--json', '--chain-id', 'agora-e2e', '--authority', authority, '--fund', `${owner}=10000`,
      '--block-time', String(BLOCK_MS), '--tempo', String(TEMPO), '--param', 'rootTempo=4', '--param', 'emissionSplit=even',
      '--param', 'networkMinLockCost=1000000000', '--param', 'networkRateLimit=0', '--param', 'newSubnet.weightsSetRateLimit=0',
      '-o', genesisFile]))

    const a = await spawnDaemon({ repo: repos.a, args: ['--genesis', genesisFile] })
    expect(a.stderr()).toContain('authority (produces blocks)')
    const boot = ['--genesis', genesisFile, '--bootstrap', a.info.addresses[0]]
    const [b, c] = await Promise.all([
      spawnDaemon({ repo: repos.b, args: boot, env: { DEBUG: 'agora:ledger:replication' } }),
      spawnDaemon({ repo: repos.c, args: boot })
    ])
    expect(b.stderr()).toContain('follower')
    const hotB = (await api(b, '/api/v0/chain/status')).hotkey as string
    const hotC = (await api(c, '/api/v0/chain/status')).hotkey as string
    const cli = async (args: string[]): Promise<Record<string, any>> => json(await b.cli([...args, '--json'], { env: PASSWORD }))

    // 1. A transfer submitted at B (signed by the CLI with the keystore coldkey) lands in a block,
    //    and the authority's copy of that block holds it.
    const t = await cli(['wallet', 'transfer', '--name', 'owner', '--dest', friend, '--amount', '1.5'])
    expect(t.block).toBeGreaterThan(0)
    const blockAtA = json(await a.cli(['chain', 'block', String(t.block), '--json']))
    expect(blockAtA.txs).toContainEqual(expect.objectContaining({ hash: t.hash, signer: owner, body: expect.objectContaining({ kind: 'transfer', to: friend, amount: '1500000000' }) }))
    await vi.waitFor(async () => expect((await api(a, `/api/v0/chain/account?address=${friend}`)).balance).toBe('1500000000'), { timeout: 10_000 })

    // 2. A subnet, B's hotkey (validator) and C's hotkey (miner) registered, stake on B.
    const netuid = (await cli(['subnet', 'create', '--name', 'owner'])).netuid as number
    expect(netuid).toBe(1)
    expect((await cli(['subnet', 'register', '--name', 'owner', '--netuid', '1'])).uid).toBe(0)
    expect((await cli(['subnet', 'register', '--name', 'owner', '--netuid', '1', '--hotkey', hotC])).uid).toBe(1)
    await cli(['stake', 'add', '--name', 'owner', '--amount', '100'])
    await vi.waitFor(async () => expect((await api(b, '/api/v0/chain/subnet?netuid=1')).metagraph[0].permit).toBe(true), { timeout: 30_000, interval: 250 })

    // 3. A weights transaction at B, signed by B's daemon with its hotkey: all weight on the miner.
    const w = await cli(['weights', 'set', '--netuid', '1', '--uids', '1', '--values', '65535'])
    expect(w.hotkey).toBe(hotB)
    expect(json(await a.cli(['chain', 'block', String(w.block), '--json'])).txs).toContainEqual(expect.objectContaining({ hash: w.hash, signer: hotB, body: expect.objectContaining({ kind: 'setWeights', netuid: 1, uids: [1] }) }))

    // 4. The epoch pays by the rules. Expected amounts, per epoch of subnet 1 after the weights:
    //  - issuance is about 10,000 TAO, far below the first halving at 10.5 M TAO, so the block
    //    emission is 1 TAO; with the even split and one paying subnet, subnet 1 gets all of it;
    //  - an epoch collects the emission of tempo + 1 = 10 blocks: P = 10 TAO;
    //  - the owner cut is 11796/65535 of P in I96F32: floor(P · floor(11796·2³²/65535) / 2³²),
    //    minted to the owner's free balance;
    //  - the rest R = P − cut goes through Yuma: one validator (B, all the stake) puts all its
    //    weight on the miner, so incentive = [0, 1] and dividends = [1, 0]; miners get half of R
    //    and validators the other half, each floor(2³¹ · R / 2³²) = floor(R / 2); both hotkeys
    //    belong to the owner coldkey, so each share is added to that hotkey's stake.
    const status = await api(b, '/api/v0/chain/status')
    expect(status.globals.blockEmission).toBe(String(TAO))
    const P = BigInt(TEMPO + 1) * TAO
    const cut = (P * ((11796n << 32n) / 65535n)) >> 32n
    const half = (P - cut) / 2n
    // An epoch of subnet 1 runs at block E when (E + 1 + 1) % (TEMPO + 1) == 0 (epochDue in src/ledger/hooks.ts);
    // the cut is minted at E, the stake credited at E + 1. Only epochs after the weights' block count.
    const epochs = (from: number, to: number): number => { let k = 0; for (let e = from + 1; e <= to; e++) if ((e + 2) % (TEMPO + 1) === 0 && e > w.block) k++; return k }
    const credits = (from: number, to: number): number => epochs(from - 1, to - 1)
    let first: { height: number, metagraph: Array<{ stake: string }> }
    do { first = await api(b, '/api/v0/chain/subnet?netuid=1') } while (first.height < w.block + 1)
    let second = first
    await vi.waitFor(async () => {
      second = await api(b, '/api/v0/chain/subnet?netuid=1')
      expect(credits(first.height, second.height)).toBeGreaterThanOrEqual(2)
    }, { timeout: 30_000, interval: 200 })
    const k = BigInt(credits(first.height, second.height))
    expect(BigInt(second.metagraph[1].stake) - BigInt(first.metagraph[1].stake)).toBe(k * half) // miner (C)
    expect(BigInt(second.metagraph[0].stake) - BigInt(first.metagraph[0].stake)).toBe(k * half) // validator (B)
    const shown = json(await b.cli(['subnet', 'show', '--netuid', '1', '--json']))
    expect(shown.metagraph.map((m: any) => [m.uid, m.hotkey, m.incentive, m.dividends])).toEqual([[0, hotB, 0, 65535], [1, hotC, 65535, 0]])
    // The owner cut: owner's free balance grows by `cut` per epoch (the owner sends nothing now).
    const o1 = await api(b, `/api/v0/chain/account?address=${owner}`)
    let o2 = o1
    await vi.waitFor(async () => {
      o2 = await api(b, `/api/v0/chain/account?address=${owner}`)
      expect(epochs(o1.height, o2.height)).toBeGreaterThanOrEqual(1)
    }, { timeout: 30_000, interval: 200 })
    expect(BigInt(o2.balance) - BigInt(o1.balance)).toBe(BigInt(epochs(o1.height, o2.height)) * cut)

    // 5. All three peers hold the same block, hence the same state root, at one height.
    const h = await height(a)
    await vi.waitFor(async () => { for (const d of [b, c]) expect(await height(d)).toBeGreaterThanOrEqual(h) }, { timeout: 15_000 })
    const roots = await Promise.all([a, b, c].map(async d => (await api(d, `/api/v0/chain/block/${h}`)).header.stateRoot))
    expect(new Set(roots).size).toBe(1)
    const heads = await Promise.all([a, b, c].map(async d => (await api(d, `/api/v0/chain/block/${h}`)).hash))
    expect(new Set(heads).size).toBe(1)

    // 6. C stopped for 20 blocks catches up after a restart.
    await c.stop({ keepRepo: true })
    const stoppedAt = await height(a)
    await vi.waitFor(async () => expect(await height(a)).toBeGreaterThanOrEqual(stoppedAt + 20), { timeout: 30_000, interval: 250 })
    const c2 = await spawnDaemon({ repo: repos.c, args: boot })
    const target = await height(a)
    await vi.waitFor(async () => expect(await height(c2)).toBeGreaterThanOrEqual(target), { timeout: 30_000, interval: 250 })
    const [atA, atC] = await Promise.all([a, c2].map(async d => api(d, `/api/v0/chain/block/${target}`)))
    expect(atC.hash).toBe(atA.hash)
    expect(atC.header.stateRoot).toBe(atA.header.stateRoot)

    // 7. Forged blocks published on the block topic to B by a test libp2p node are refused:
    //    one signed by another key, one signed by the authority but with a wrong state root.
    injector = await createNetwork({ privateKey: await libp2pKey('Ed25519'), blockstore: new MemoryBlockstore(), datastore: new MemoryDatastore(), bitswap: false, network: 'lan', bootstrap: [b.info.addresses[0]] })
    const topic = '/agora/ledger/agora-e2e/blocks/1'
    await vi.waitFor(() => expect(injector?.libp2p.services.pubsub.getSubscribers(topic).map(String)).toContain(b.info.peerId), { timeout: 15_000 })
    const mallory = generateKeyPair().secretKey
    const authorityKey = hotkeySeed(await identityKey(repos.a))
    const forge = async (key: Uint8Array, stateRoot?: Uint8Array): Promise<number> => {
      const s = await api(b, '/api/v0/chain/status')
      const block = sealBlock({
        chainId: 'agora-e2e',
        height: s.height + 1,
        parent: Uint8Array.from(Buffer.from(s.hash, 'hex')),
        stateRoot: stateRoot ?? Uint8Array.from(Buffer.from(s.stateRoot, 'hex')),
        txRoot: txRoot([]),
        timestamp: Date.now(),
        txCount: 0
      }, [], key)
      await injector?.libp2p.services.pubsub.publish(topic, block.bytes)
      return s.height + 1
    }
    const refusedAt = async (key: Uint8Array, pattern: RegExp, stateRoot?: Uint8Array): Promise<number> => {
      let at = 0
      // retried: a real block may take the height first, and then the forged one is merely stale
      await vi.waitFor(async () => {
        const before = b.stderr().length
        const n = await forge(key, stateRoot)
        await new Promise(resolve => setTimeout(resolve, 300))
        expect(b.stderr().slice(before)).toMatch(new RegExp(`refused block ${n}: ${pattern.source}`))
        at = n
      }, { timeout: 30_000, interval: 10 })
      return at
    }
    const badSig = await refusedAt(mallory, /InvalidBlockError block \d+ is not signed by the authority/)
    const badRoot = await refusedAt(authorityKey, /StateRootMismatchError/, new Uint8Array(32).fill(7))
    // B went on with the authority's real blocks at those heights.
    const last = Math.max(badSig, badRoot)
    await vi.waitFor(async () => expect(await height(b)).toBeGreaterThanOrEqual(last), { timeout: 15_000 })
    for (const n of [badSig, badRoot]) {
      expect((await api(b, `/api/v0/chain/block/${n}`)).hash).toBe((await api(a, `/api/v0/chain/block/${n}`)).hash)
    }
  }, 300_000)
})
