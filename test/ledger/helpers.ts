/** Shared set-up for ledger tests: deterministic keys, a genesis, a started in-memory ledger. */
import { MemoryDatastore } from 'datastore-core'
import { createLedger, generateKeyPair, parseGenesis, signTx, toAddress } from '../../src/ledger/index.ts'
import type { Genesis, KeyPair, Ledger, TxBody } from '../../src/ledger/index.ts'

/** A named test key: deterministic seed from the name. */
export interface TestKey extends KeyPair { address: string }

/** The key for a name (seed = name bytes, zero-padded to 32). */
export function testKey (name: string): TestKey {
  const seed = new Uint8Array(32)
  seed.set(new TextEncoder().encode(name).subarray(0, 32))
  const kp = generateKeyPair(seed)
  return { ...kp, address: toAddress(kp.publicKey) }
}

export const TAO = 1_000_000_000n

/** A genesis whose authority is `testKey('authority')`, funding the given names. */
export function testGenesis (funded: Record<string, bigint>, params: Record<string, unknown> = {}): Genesis {
  return parseGenesis({
    chainId: 'agora-test',
    authority: testKey('authority').address,
    balances: Object.fromEntries(Object.entries(funded).map(([n, b]) => [testKey(n).address, b.toString()])),
    params
  })
}

/** A started authority ledger on a memory datastore. */
export async function testLedger (genesis: Genesis, datastore = new MemoryDatastore()): Promise<Ledger> {
  return createLedger({ datastore, genesis, authorityKey: testKey('authority').secretKey })
}

/** Sign a body from `who` with its next nonce and submit it. */
export async function send (ledger: Ledger, who: TestKey, body: TxBody): Promise<string> {
  const stx = signTx({ chainId: ledger.genesis.chainId, signer: who.address, nonce: pendingNonce(ledger, who.address), body }, who.secretKey)
  return (await ledger.submit(stx.bytes)).hash
}

const nonces = new WeakMap<Ledger, Map<string, number>>()

/** The nonce to use next, counting transactions already accepted into the open block. */
function pendingNonce (ledger: Ledger, address: string): number {
  let m = nonces.get(ledger)
  if (m == null) { m = new Map(); nonces.set(ledger, m) }
  const height = ledger.status().height
  const key = `${height}:${address}`
  const n = m.get(key) ?? ledger.nonce(address)
  m.set(key, n + 1)
  return n
}

/** The nonce the next transaction of `address` needs (without reserving it). */
export function peekNonce (ledger: Ledger, address: string): number {
  return nonces.get(ledger)?.get(`${ledger.status().height}:${address}`) ?? ledger.nonce(address)
}

/** Produce `count` blocks. */
export async function blocks (ledger: Ledger, count: number): Promise<void> {
  for (let i = 0; i < count; i++) await ledger.produceBlock()
}

export { memoryIo } from '../utils/io.ts'
