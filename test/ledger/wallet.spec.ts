/** The coldkey keystore, and the offline ledger CLI commands (`wallet create|list`, `chain genesis`). */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { main } from '../../src/cli/main.ts'
import { createWallet, genesisHash, genesisToJson, listWallets, openWallet, parseGenesis, toAddress } from '../../src/ledger/index.ts'
import { memoryIo, testKey } from './helpers.ts'
import { addressOf, coldkey } from '../../src/cli/ledger-client.ts'
import type { CommandContext } from '../../src/cli/command.ts'

let dir = ''
beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'agora-wallet-')) })
afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

describe('keystore', () => {
  it('default: create, list and open a coldkey', async () => {
    const seed = new Uint8Array(32).fill(7)
    const w = await createWallet(dir, 'main', 'correct horse', seed)
    expect(w.address).toBe(toAddress(w.publicKey))
    expect(await listWallets(dir)).toEqual([{ name: 'main', address: w.address, path: w.path }])
    const opened = await openWallet(dir, 'main', 'correct horse')
    expect(opened.secretKey).toEqual(seed)
    // the file holds no plaintext seed
    expect(await readFile(w.path, 'utf8')).not.toContain(Buffer.from(seed).toString('hex'))
  })

  it('behavior: a wrong password, a swapped address and an existing name are KeystoreErrors', async () => {
    const w = await createWallet(dir, 'main', 'pw')
    await expect(openWallet(dir, 'main', 'not pw')).rejects.toHaveProperty('name', 'KeystoreError')
    const f = JSON.parse(await readFile(w.path, 'utf8'))
    f.address = testKey('mallory').address
    await writeFile(w.path, JSON.stringify(f))
    await expect(openWallet(dir, 'main', 'pw')).rejects.toHaveProperty('name', 'KeystoreError')
    await expect(createWallet(dir, 'main', 'pw')).rejects.toHaveProperty('name', 'KeystoreError')
    await expect(openWallet(dir, 'nobody', 'pw')).rejects.toHaveProperty('name', 'KeystoreError')
    await expect(createWallet(dir, '../escape', 'pw')).rejects.toHaveProperty('name', 'InvalidAmountError')
  })
})

describe('ledger cli', () => {
  it('default: wallet create and list with the password from the environment', async () => {
    const io = memoryIo({ AGORA_REPO: dir, AGORA_WALLET_PASSWORD: 'pw' })
    expect(await main(['wallet', 'create', '--name', 'alice', '--json'], io)).toBe(0)
    const created = JSON.parse(io.stdoutText())
    expect(created.name).toBe('alice')
    const io2 = memoryIo({ AGORA_REPO: dir })
    expect(await main(['wallet', 'list', '--json'], io2)).toBe(0)
    expect(JSON.parse(io2.stdoutText())).toEqual([{ name: 'alice', address: created.address, path: join(dir, 'wallets', 'alice.json') }])
    expect((await openWallet(join(dir, 'wallets'), 'alice', 'pw')).address).toBe(created.address)
  })

  it('behavior: one wallet convention: --name, else "default", else the only wallet; none or an unknown name is WalletNotFoundError, several without a default a usage error naming them', async () => {
    const wallets = join(dir, 'wallets')
    const io = memoryIo({ AGORA_REPO: dir })
    const ctx = (name?: string): CommandContext => ({ args: name == null ? {} : { name }, positionals: [], io, path: ['wallet', 'balance'] })
    await expect(addressOf(ctx())).rejects.toMatchObject({ name: 'WalletNotFoundError', message: expect.stringContaining('agora wallet create') })
    // `wallet create --dev` names it dev: as the only wallet it is the one every command uses
    const dev = await createWallet(wallets, 'dev', 'pw')
    expect(await addressOf(ctx())).toBe(dev.address)
    await expect(addressOf(ctx('alice'))).rejects.toMatchObject({ name: 'WalletNotFoundError', message: expect.stringContaining('there: dev') })
    const alice = await createWallet(wallets, 'alice', 'pw')
    await expect(addressOf(ctx())).rejects.toMatchObject({ name: 'UsageError', message: expect.stringContaining('alice, dev') })
    expect(await addressOf(ctx('alice'))).toBe(alice.address)
    const def = await createWallet(wallets, 'default', 'pw')
    expect(await addressOf(ctx())).toBe(def.address)
    // the same rule where the key is opened, with the password from the environment
    const withPw = memoryIo({ AGORA_REPO: dir, AGORA_WALLET_PASSWORD: 'pw' })
    expect((await coldkey({ args: {}, positionals: [], io: withPw, path: ['buy'] })).address).toBe(def.address)
  })

  it('behavior: wallet transfer names a malformed --dest as malformed, not as missing', async () => {
    const bad = memoryIo({ AGORA_REPO: dir })
    expect(await main(['wallet', 'transfer', '--dest', '5bogus', '--amount', '1'], bad)).toBe(2)
    expect(bad.stderrText()).toContain('--dest 5bogus is not an SS58 address')
    const missing = memoryIo({ AGORA_REPO: dir })
    expect(await main(['wallet', 'transfer', '--amount', '1'], missing)).toBe(2)
    expect(missing.stderrText()).toContain('--dest <address> is required')
  })

  it('behavior: without a password and without a terminal, create is a usage error', async () => {
    const io = memoryIo({ AGORA_REPO: dir })
    expect(await main(['wallet', 'create'], io)).toBe(2)
    expect(io.stderrText()).toContain('AGORA_WALLET_PASSWORD')
  })

  it('behavior: chain genesis writes a genesis the ledger accepts', async () => {
    const a = testKey('authority').address
    const io = memoryIo({})
    expect(await main(['chain', 'genesis', '--authority', a, '--chain-id', 'net', '--fund', `${a}=12.5`, '--tempo', '20'], io)).toBe(0)
    const g = parseGenesis(JSON.parse(io.stdoutText()))
    expect(g.chainId).toBe('net')
    expect(g.balances).toEqual([[a, 12_500_000_000n]])
    expect(g.params.newSubnet.tempo).toBe(20)
    expect(genesisHash(parseGenesis(genesisToJson(g)))).toBe(genesisHash(g))
    const bad = memoryIo({})
    expect(await main(['chain', 'genesis', '--authority', 'nope'], bad)).toBe(2)
  })

  it('behavior: chain genesis takes a peer id for an address, pays subnets without root validators, and does not overwrite its -o file without --force', async () => {
    const key = await generateKeyPair('Ed25519')
    const peerId = peerIdFromPrivateKey(key).toString()
    // the peer's hotkey is its ed25519 key: the address of its 32 public bytes
    const address = toAddress(key.publicKey.raw)
    const file = join(dir, 'genesis.json')
    const io = memoryIo({}, dir)
    expect(await main(['chain', 'genesis', '--authority', peerId, '--fund', `${peerId}=3`, '-o', 'genesis.json'], io)).toBe(0)
    const g = parseGenesis(JSON.parse(await readFile(file, 'utf8')))
    expect(g.authority).toBe(address)
    expect(g.balances).toEqual([[address, 3_000_000_000n]])
    expect(g.params.emissionSplit).toBe('even')
    const again = memoryIo({}, dir)
    expect(await main(['chain', 'genesis', '--authority', address, '--param', 'emissionSplit=root', '-o', 'genesis.json'], again)).toBe(1)
    expect(again.stderrText()).toContain('use --force')
    expect(again.stderrText()).toContain('(OutputExistsError)')
    expect(parseGenesis(JSON.parse(await readFile(file, 'utf8'))).authority).toBe(address)
    expect(await main(['chain', 'genesis', '--authority', address, '--param', 'emissionSplit=root', '-o', 'genesis.json', '--force'], memoryIo({}, dir))).toBe(0)
    expect(parseGenesis(JSON.parse(await readFile(file, 'utf8'))).params.emissionSplit).toBe('root')
  })
})
