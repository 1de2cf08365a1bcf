/**
 * Coldkey keystore: one JSON file per wallet, the ed25519 seed encrypted with
 * XChaCha20-Poly1305 under a key derived from the password with scrypt. The address is stored
 * in clear (so `wallet list` needs no password) and bound to the ciphertext as associated data,
 * so swapping it in the file makes decryption fail.
 *
 * Policy: scrypt N = 2^15, r = 8, p = 1 (≈ 32 MiB, a fraction of a second); a 32-byte random
 * salt and a 24-byte random nonce per file; files are written 0600, atomically (temp + link),
 * and never overwritten.
 */
import { randomBytes } from 'node:crypto'
import { link, mkdir, readdir, readFile, unlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js'
import { scrypt } from '@noble/hashes/scrypt.js'
import { toAddress } from '../address.ts'
import { InvalidAmountError, KeystoreError, MalformedError } from '../errors.ts'
import { generateKeyPair } from '../keys.ts'
import type { KeyPair } from '../keys.ts'

/** The keystore file format. */
export interface KeystoreFile {
  version: 1
  name: string
  address: string
  crypto: { kdf: 'scrypt', n: number, r: number, p: number, salt: string, cipher: 'xchacha20-poly1305', nonce: string, ciphertext: string }
}

/** A wallet as listed. */
export interface WalletInfo { name: string, address: string, path: string }

const N = 1 << 15
const NAME = /^[A-Za-z0-9_-]{1,64}$/

function derive (password: string, salt: Uint8Array, n: number, r: number, p: number): Uint8Array {
  return scrypt(new TextEncoder().encode(password.normalize('NFKC')), salt, { N: n, r, p, dkLen: 32 })
}

function fileOf (dir: string, name: string): string {
  if (!NAME.test(name)) throw new InvalidAmountError('a wallet name is 1-64 letters, digits, _ or -')
  return join(dir, `${name}.json`)
}

/** Create a new coldkey in `dir` under `name`, encrypted with `password`. */
export async function createWallet (dir: string, name: string, password: string, seed?: Uint8Array): Promise<WalletInfo & KeyPair> {
  if (password.length === 0) throw new KeystoreError('the password must not be empty')
  const path = fileOf(dir, name)
  await mkdir(dir, { recursive: true, mode: 0o700 })
  const kp = generateKeyPair(seed ?? new Uint8Array(randomBytes(32)))
  const address = toAddress(kp.publicKey)
  const salt = new Uint8Array(randomBytes(32))
  const nonce = new Uint8Array(randomBytes(24))
  const key = derive(password, salt, N, 8, 1)
  const ciphertext = xchacha20poly1305(key, nonce, new TextEncoder().encode(address)).encrypt(kp.secretKey)
  const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
  const file: KeystoreFile = { version: 1, name, address, crypto: { kdf: 'scrypt', n: N, r: 8, p: 1, salt: hex(salt), cipher: 'xchacha20-poly1305', nonce: hex(nonce), ciphertext: hex(ciphertext) } }
  const tmp = `${path}.${process.pid}.tmp`
  await writeFile(tmp, JSON.stringify(file, null, 2) + '\n', { mode: 0o600, flag: 'wx' })
  try {
    // link() refuses an existing target atomically: a wallet is never overwritten.
    await link(tmp, path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new KeystoreError(`wallet ${name} already exists: ${path}`)
    throw err
  } finally {
    await unlink(tmp)
  }
  return { name, address, path, ...kp }
}

async function readKeystore (path: string): Promise<KeystoreFile> {
  let f: KeystoreFile
  try {
    f = JSON.parse(await readFile(path, 'utf8'))
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new KeystoreError(`no wallet at ${path}`)
    throw new MalformedError(`unreadable keystore ${path}`, { cause: err })
  }
  const c = f?.crypto
  if (f?.version !== 1 || typeof f.address !== 'string' || c?.kdf !== 'scrypt' || c.cipher !== 'xchacha20-poly1305' ||
    !Number.isSafeInteger(c.n) || c.n > (1 << 20) || c.r !== 8 || c.p !== 1) throw new MalformedError(`unsupported keystore ${path}`)
  return f
}

/** Decrypt the coldkey `name` in `dir`. A wrong password or a tampered file is a `KeystoreError`. */
export async function openWallet (dir: string, name: string, password: string): Promise<WalletInfo & KeyPair> {
  const path = fileOf(dir, name)
  const f = await readKeystore(path)
  const c = f.crypto
  const bytes = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h, 'hex'))
  let secretKey: Uint8Array
  try {
    secretKey = xchacha20poly1305(derive(password, bytes(c.salt), c.n, c.r, c.p), bytes(c.nonce), new TextEncoder().encode(f.address)).decrypt(bytes(c.ciphertext))
  } catch (err) {
    throw new KeystoreError(`cannot open wallet ${name}: wrong password or tampered file`, { cause: err })
  }
  const kp = generateKeyPair(secretKey)
  if (toAddress(kp.publicKey) !== f.address) throw new KeystoreError(`wallet ${name}: the key does not match its address`)
  return { name, address: f.address, path, ...kp }
}

/** The wallets in `dir` (name and address; no password needed). */
export async function listWallets (dir: string): Promise<WalletInfo[]> {
  let names: string[]
  try {
    names = (await readdir(dir)).filter(n => n.endsWith('.json')).sort()
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw err
  }
  const out: WalletInfo[] = []
  for (const n of names) {
    const path = join(dir, n)
    try {
      const f = await readKeystore(path)
      out.push({ name: n.slice(0, -5), address: f.address, path })
    } catch {
      // not a keystore: skip it
    }
  }
  return out
}
