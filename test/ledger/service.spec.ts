/** The ledger service in an in-process daemon: genesis in the repo, submit/wait, hotkey, API routes. */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { privateKeyFromProtobuf } from '@libp2p/crypto/keys'
import { afterEach, describe, expect, it } from 'vitest'
import { startDaemon } from '../../src/api/index.ts'
import { initRepo } from '../../src/store/index.ts'
import { chainForRepo, createLedger, devAccount, devGenesis, hotkeyAddress, LEDGER, ledgerService, makeGenesis, parseGenesis, signTx } from '../../src/ledger/index.ts'
import { MemoryDatastore } from 'datastore-core'
import { TxTracker } from '../../src/ledger/tx-tracker.ts'
import { testGenesis, testKey, testLedger, TAO } from './helpers.ts'
import type { Daemon } from '../../src/api/index.ts'

const cleanup: Array<() => Promise<void>> = []
afterEach(async () => { for (const f of cleanup.splice(0).reverse()) await f() })

async function tempRepo (): Promise<{ dir: string, repo: string, hotkey: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'agora-ledger-svc-'))
  cleanup.push(async () => rm(dir, { recursive: true, force: true }))
  const repo = join(dir, 'repo')
  await initRepo(repo)
  const hotkey = hotkeyAddress(privateKeyFromProtobuf(await readFile(join(repo, 'identity.key'))))
  return { dir, repo, hotkey }
}

async function daemon (repo: string, factories: ReturnType<typeof ledgerService>[]): Promise<Daemon> {
  const d = await startDaemon({ repo, services: factories, config: { addresses: { listen: ['/ip4/127.0.0.1/tcp/0'], api: '127.0.0.1:0', gateway: '127.0.0.1:0' }, swarm: { network: 'lan' } } })
  cleanup.push(async () => d.stop())
  return d
}

async function call (d: Daemon, method: string, path: string, body?: Uint8Array | string): Promise<{ status: number, json: any }> {
  const res = await fetch(new URL(path, d.info.api), { method, body, headers: { authorization: `Bearer ${d.node.repo.apiToken}` } })
  return { status: res.status, json: await res.json() }
}

describe('ledger service: the chain a repo runs', () => {
  it('default: no genesis and no --dev means no chain; --dev writes a dev genesis once and reuses it', async () => {
    const { repo, hotkey } = await tempRepo()
    expect(await chainForRepo({ repo, hotkey })).toBeUndefined()
    const first = await chainForRepo({ repo, hotkey, dev: true, devBlockTimeMs: 200, devTempo: 5 })
    expect(first).toMatchObject({ authority: true, created: true })
    expect(first?.genesis.authority).toBe(hotkey)
    expect(first?.genesis.params.blockTimeMs).toBe(200)
    expect(first?.genesis.params.newSubnet.tempo).toBe(5)
    // the dev account holds the 1 M TAO of a dev chain
    expect(first?.genesis.balances).toEqual([[devAccount().address, 1_000_000n * TAO]])
    const again = await chainForRepo({ repo, hotkey, dev: true, devBlockTimeMs: 999 })
    expect(again).toMatchObject({ created: false })
    expect(again?.genesis).toEqual(first?.genesis) // the stored one, not a new one
    // without flags, the repo's own chain
    expect((await chainForRepo({ repo, hotkey }))?.genesis).toEqual(first?.genesis)
  })

  it('behavior: --genesis joins as follower unless it names this hotkey; a repo refuses another chain', async () => {
    const { dir, repo, hotkey } = await tempRepo()
    const other = join(dir, 'g1.json')
    await writeFile(other, JSON.stringify(makeGenesis({ chainId: 'c1', authority: testKey('authority').address })))
    expect(await chainForRepo({ repo, hotkey, genesisFile: other })).toMatchObject({ authority: false, created: true })
    const mine = join(dir, 'g2.json')
    await writeFile(mine, JSON.stringify(makeGenesis({ chainId: 'c2', authority: hotkey })))
    await expect(chainForRepo({ repo, hotkey, genesisFile: mine })).rejects.toHaveProperty('name', 'GenesisMismatchError')
    const { repo: fresh, hotkey: h2 } = await tempRepo()
    await writeFile(mine, JSON.stringify(makeGenesis({ chainId: 'c2', authority: h2 })))
    expect(await chainForRepo({ repo: fresh, hotkey: h2, genesisFile: mine })).toMatchObject({ authority: true })
    await writeFile(other, '{"chainId": 5}')
    const { repo: third, hotkey: h3 } = await tempRepo()
    await expect(chainForRepo({ repo: third, hotkey: h3, genesisFile: other })).rejects.toHaveProperty('name', 'MalformedError')
    await expect(chainForRepo({ repo: third, hotkey: h3, genesisFile: join(dir, 'missing.json') })).rejects.toHaveProperty('name', 'MalformedError')
  })
})

describe('ledger service in a daemon', () => {
  it('default: submit, waitForTx, the hotkey signs; the API shows the result', async () => {
    const { repo, hotkey } = await tempRepo()
    const genesis = parseGenesis(devGenesis(hotkey, devAccount().address, 100))
    const d = await daemon(repo, [ledgerService({ genesis, authority: true })])
    const chain = d.node.services.get(LEDGER)
    expect(chain?.hotkey.address).toBe(hotkey)
    expect(chain?.ledger.isAuthority).toBe(true)
    const dev = devAccount()
    const to = testKey('friend').address
    const stx = signTx({ chainId: 'agora-dev', signer: dev.address, nonce: 0, body: { kind: 'transfer', to, amount: 7n } }, dev.secretKey)
    // raw bytes over the API, then wait for inclusion
    const sub = await call(d, 'POST', '/api/v0/chain/submit', stx.bytes)
    expect(sub).toEqual({ status: 200, json: { hash: stx.hash } })
    const waited = await call(d, 'POST', `/api/v0/chain/wait?hash=${stx.hash}`)
    expect(waited.status).toBe(200)
    expect((await call(d, 'GET', `/api/v0/chain/block/${waited.json.block as number}`)).json.txs[0]).toMatchObject({ hash: stx.hash, body: { kind: 'transfer', to, amount: '7' } })
    expect((await call(d, 'GET', `/api/v0/chain/account?address=${to}`)).json).toMatchObject({ balance: '7', nonce: 0 })
    // base64 and the library call agree; the second transfer has the next nonce
    const stx2 = signTx({ chainId: 'agora-dev', signer: dev.address, nonce: 1, body: { kind: 'transfer', to, amount: 3n } }, dev.secretKey)
    const sub2 = await call(d, 'POST', '/api/v0/chain/submit?encoding=base64&wait=true', Buffer.from(stx2.bytes).toString('base64'))
    expect(sub2.json.hash).toBe(stx2.hash)
    expect(await chain?.waitForTx(stx2.hash)).toEqual({ block: sub2.json.block })
    expect(chain?.ledger.balance(to)).toBe(10n)
    // the daemon's hotkey signs its own transactions (here: a transfer of nothing it has is refused)
    const own = chain!.hotkey.sign({ chainId: 'agora-dev', signer: hotkey, nonce: 0, body: { kind: 'transfer', to, amount: 1n } })
    await expect(chain!.submit(own)).rejects.toHaveProperty('name', 'InsufficientBalanceError')
  })

  it('behavior: bad input gets named errors and statuses; waiting on an unknown hash times out', async () => {
    const { repo, hotkey } = await tempRepo()
    const genesis = parseGenesis(devGenesis(hotkey, devAccount().address, 100))
    const d = await daemon(repo, [ledgerService({ genesis, authority: true })])
    expect(await call(d, 'POST', '/api/v0/chain/submit', new Uint8Array(64 * 1024 + 1))).toMatchObject({ status: 413, json: { error: { name: 'BodyTooLargeError' } } })
    expect(await call(d, 'POST', '/api/v0/chain/submit', Uint8Array.of(1, 2, 3))).toMatchObject({ status: 400, json: { error: { name: 'MalformedError' } } })
    const dev = devAccount()
    const stx = signTx({ chainId: 'agora-dev', signer: dev.address, nonce: 5, body: { kind: 'transfer', to: hotkey, amount: 1n } }, dev.secretKey)
    expect(await call(d, 'POST', '/api/v0/chain/submit', stx.bytes)).toMatchObject({ status: 400, json: { error: { name: 'BadNonceError' } } })
    const tampered = stx.bytes.slice()
    tampered[tampered.length - 1] ^= 1 // the last byte is in the signed body t (dag-cbor puts g before t): the signature no longer matches
    expect(await call(d, 'POST', '/api/v0/chain/submit', tampered)).toMatchObject({ status: 400, json: { error: { name: 'BadSignatureError' } } })
    expect(await call(d, 'GET', '/api/v0/chain/account?address=nope')).toMatchObject({ status: 400, json: { error: { name: 'InvalidParametersError' } } })
    expect(await call(d, 'POST', `/api/v0/chain/wait?hash=${'ab'.repeat(32)}&timeout=300`)).toMatchObject({ status: 504, json: { error: { name: 'TxTimeoutError' } } })
    expect(await call(d, 'POST', '/api/v0/chain/weights', '{"action":"set","netuid":1,"uids":[0],"values":[1]}')).toMatchObject({ status: 400, json: { error: { name: 'SubnetNotFoundError' } } })
    expect(await call(d, 'POST', '/api/v0/chain/weights', 'not json')).toMatchObject({ status: 400, json: { error: { name: 'InvalidParametersError' } } })
  })

  it('behavior: a daemon without a chain has no chain routes', async () => {
    const { repo } = await tempRepo()
    const d = await daemon(repo, [])
    expect(d.node.services.get(LEDGER)).toBeUndefined()
    expect((await call(d, 'GET', '/api/v0/chain/status')).status).toBe(404)
  })
})

describe('waiting for transactions', () => {
  it('behavior: a transaction whose nonce another one took is dropped, with a named error', async () => {
    const genesis = testGenesis({ alice: 10n * TAO })
    const authority = await testLedger(genesis)
    const follower = await createLedger({ datastore: new MemoryDatastore(), genesis })
    cleanup.push(async () => { await authority.stop(); await follower.stop() })
    const tracker = new TxTracker(follower, 60_000)
    tracker.start()
    cleanup.push(async () => { tracker.stop() })
    const alice = testKey('alice')
    const mine = signTx({ chainId: genesis.chainId, signer: alice.address, nonce: 0, body: { kind: 'transfer', to: testKey('bob').address, amount: 1n } }, alice.secretKey)
    const theirs = signTx({ chainId: genesis.chainId, signer: alice.address, nonce: 0, body: { kind: 'transfer', to: testKey('carol').address, amount: 2n } }, alice.secretKey)
    await follower.submit(mine.bytes)
    tracker.noteSubmitted(mine.hash, alice.address, 0)
    const dropped = tracker.wait(mine.hash)
    const included = tracker.wait(theirs.hash)
    await authority.submit(theirs.bytes) // the authority saw the other one first
    await follower.applyBlock((await authority.produceBlock()).bytes)
    await expect(dropped).rejects.toHaveProperty('name', 'TxDroppedError')
    expect(await included).toEqual({ block: 1 })
    // asked again later, an included transaction is found in the recent blocks
    expect(await new TxTracker(follower, 100).wait(theirs.hash)).toEqual({ block: 1 })
  })
})
