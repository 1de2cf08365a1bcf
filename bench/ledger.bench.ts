/**
 * Ledger benchmark:
 *   1. transactions applied per second: signed transfers from 2,000 accounts submitted as wire
 *      bytes (decode + ed25519 verification + apply on a copy-on-write overlay), sealed into
 *      blocks (state root update, block signature, one atomic batch write to LevelDB); once
 *      submitted one by one, once as an authority drains its gossip pool: `submitMany` batches
 *      whose signatures are checked on the verification pool (worker threads and the main
 *      thread when it is idle), a few batches in flight so checking overlaps applying and sealing;
 *   2. a follower importing those blocks (every transaction's signature checked once, in
 *      parallel, re-execution, state-root check, persistence);
 *   3. the time to replay 10,000 blocks from genesis on a follower (re-execution with signature
 *      checks, the block hooks with Yuma epochs every 100 blocks on one subnet, state-root check
 *      and persistence of every block).
 *
 *   node bench/ledger.bench.ts [--txs 20000] [--blocks 10000]
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { MemoryDatastore } from 'datastore-core'
import { LevelDatastore } from 'datastore-level'
import { createLedger, generateKeyPair, Ledger, parseGenesis, signTx, toAddress, yumaEpoch } from '../src/ledger/index.ts'
import { verify } from '../src/ledger/keys.ts'
import { decodeTxUnsafe } from '../src/ledger/tx/codec.ts'
import type { KeyPair, TxBody } from '../src/ledger/index.ts'

const TAO = 1_000_000_000n
const { values } = parseArgs({ options: { txs: { type: 'string', default: '20000' }, blocks: { type: 'string', default: '10000' } } })
const TXS = Number(values.txs)
const BLOCKS = Number(values.blocks)
const CMD = `node bench/ledger.bench.ts --txs ${TXS} --blocks ${BLOCKS}`

function key (i: number, tag: string): KeyPair & { address: string } {
  const seed = new Uint8Array(32)
  seed.set(new TextEncoder().encode(`${tag}-${i}`))
  const kp = generateKeyPair(seed)
  return { ...kp, address: toAddress(kp.publicKey) }
}

const authority = key(0, 'authority')
const dirs: string[] = []

async function level (): Promise<LevelDatastore> {
  const dir = await mkdtemp(join(tmpdir(), 'agora-ledger-bench-'))
  dirs.push(dir)
  const ds = new LevelDatastore(dir)
  await ds.open()
  return ds
}

async function throughput (): Promise<void> {
  const senders = Array.from({ length: 2000 }, (_, i) => key(i, 'sender'))
  const genesis = parseGenesis({
    chainId: 'agora-bench',
    authority: authority.address,
    balances: Object.fromEntries(senders.map(s => [s.address, (1000n * TAO).toString()])),
    params: { maxTxsPerBlock: 5000 }
  })
  const ds = await level()
  // The verification workers start with the ledger, as on a long-running authority; their
  // start-up (once per process) is printed, not timed.
  const WORKERS = Math.max(1, availableParallelism() - 1)
  const s0 = performance.now()
  const ledger = await createLedger({ datastore: ds, genesis, authorityKey: authority.secretKey, verifyThreads: WORKERS })
  const startMs = performance.now() - s0
  // Signing is the wallets' work, done before the clock starts.
  const nonces = new Map<string, number>()
  const wire = Array.from({ length: TXS }, (_, i) => {
    const from = senders[i % senders.length]
    const nonce = nonces.get(from.address) ?? 0
    nonces.set(from.address, nonce + 1)
    const body: TxBody = { kind: 'transfer', to: senders[(i * 7 + 1) % senders.length].address, amount: BigInt(1 + (i % 1000)) }
    return signTx({ chainId: genesis.chainId, signer: from.address, nonce, body }, from.secretKey).bytes
  })
  const perBlock = 5000
  let verifyRate = 0
  const report = (label: string, txs: number, ms: number, cpu: NodeJS.CpuUsage, what: string, verifyCores = availableParallelism()): void => {
    const rate = Math.round(txs / (ms / 1000))
    const cpuMs = (cpu.user + cpu.system) / 1000
    console.log(`${label}: ${txs} signed transfers in blocks of ${perBlock}: ${rate} tx/s (target >= 10000); ${(rate / verifyRate).toFixed(2)}x the bare one-thread verification rate`)
    console.log(`  timed: ${what}; ${ms.toFixed(0)} ms`)
    const busy = cpuMs / ms
    console.log(`  CPU of the process (all threads) ${(cpuMs * 1000 / txs).toFixed(0)} µs/tx (a bare verification is ${(1e6 / verifyRate).toFixed(0)} µs), ${busy.toFixed(2)} of ${availableParallelism()} cores busy on average`)
    const short = verifyCores > 1 && busy < verifyCores - 0.5 ? ` (the process got ${busy.toFixed(2)} cores: the machine is shared)` : ''
    console.log(`  ceiling with every signature checked: ${verifyCores} core(s) x ${verifyRate} = ${verifyCores * verifyRate} tx/s if they did nothing else; target 10000 ${rate >= 10000 ? 'met' : `not met in this run${short}`}`)
  }
  const oneByOne = async (txs: Uint8Array[]): Promise<void> => {
    let verifyApply = 0
    let seal = 0
    const c0 = process.cpuUsage()
    const t0 = performance.now()
    for (let i = 0; i < txs.length; i += perBlock) {
      const a = performance.now()
      for (const w of txs.slice(i, i + perBlock)) await ledger.submit(w)
      const b = performance.now()
      await ledger.produceBlock()
      seal += performance.now() - b
      verifyApply += b - a
    }
    const ms = performance.now() - t0
    const cpu = process.cpuUsage(c0)
    if (!ledger.audit().ok) throw new Error('invariant broken')
    report('submit, one at a time (signatures checked on the main thread)', txs.length, ms, cpu, 'from the first submit to the last block persisted', 1)
    console.log(`  of which decode + verify + apply ${verifyApply.toFixed(0)} ms (${Math.round(txs.length / (verifyApply / 1000))} tx/s), state root + signed block + LevelDB batch ${seal.toFixed(0)} ms`)
    console.log(`  reproduce: ${CMD}`)
  }
  // An authority draining its gossip pool: batches of DRAIN wire transactions, at most WINDOW
  // of them in flight (later batches are checked while earlier ones are applied and blocks are
  // sealed and written); a block is sealed after every perBlock transactions.
  const DRAIN = 500
  const WINDOW = 4
  const drained = async (txs: Uint8Array[]): Promise<void> => {
    const inFlight: Array<Promise<unknown>> = []
    const c0 = process.cpuUsage()
    const t0 = performance.now()
    for (let i = 0; i < txs.length; i += DRAIN) {
      inFlight.push(ledger.submitMany(txs.slice(i, i + DRAIN)).then(res => {
        if (res.some(r => 'error' in r)) throw new Error('a benchmark transaction was refused')
      }))
      if ((i + DRAIN) % perBlock === 0 || i + DRAIN >= txs.length) inFlight.push(ledger.produceBlock())
      while (inFlight.length > WINDOW) await inFlight.shift()
    }
    await Promise.all(inFlight)
    const ms = performance.now() - t0
    const cpu = process.cpuUsage(c0)
    if (!ledger.audit().ok) throw new Error('invariant broken')
    report(`submitMany, batches of ${DRAIN}, ${WINDOW} in flight (signatures checked in parallel on ${availableParallelism()} cores: ${WORKERS} worker thread(s) + the main thread when idle)`,
      txs.length, ms, cpu, 'from the first submitMany (wire bytes) to the last block persisted: decode, verify, apply, state root, signed block, LevelDB batch')
    console.log(`  not timed: ledger start with its ${WORKERS} verification worker(s) loaded, ${startMs.toFixed(0)} ms, once per process`)
    console.log(`  reproduce: ${CMD}`)
  }
  // Baseline in the same run: bare ed25519 verification of the same signatures (node:crypto, one thread).
  const checks = wire.slice(0, 5000).map(w => decodeTxUnsafe(w))
  const v0 = performance.now()
  for (const c of checks) if (!verify(c.stx.signature, c.message, c.publicKey)) throw new Error('bad signature')
  verifyRate = Math.round(checks.length / ((performance.now() - v0) / 1000))
  console.log(`baseline: ${verifyRate} bare ed25519 verifications/s on one thread of this machine (node:crypto); a transaction needs one`)
  const half = Math.floor(wire.length / 2)
  await oneByOne(wire.slice(0, half))
  await drained(wire.slice(half))
  // A follower importing the same blocks from genesis, handed in at once as gossip would.
  const blocks: Uint8Array[] = []
  for (let h = 1; h <= ledger.status().height; h++) blocks.push((await ledger.getBlock(h))!.bytes)
  const fds = await level()
  const follower = new Ledger({ datastore: fds, genesis, epoch: yumaEpoch, verifyThreads: WORKERS })
  await follower.start()
  const c0 = process.cpuUsage()
  const t0 = performance.now()
  await Promise.all(blocks.map(async b => follower.applyBlock(b)))
  const ms = performance.now() - t0
  const cpu = process.cpuUsage(c0)
  if (follower.stateRoot() !== ledger.stateRoot()) throw new Error('the follower reached another state root')
  report(`follower import of those ${blocks.length} blocks (every signature checked once, in parallel)`, wire.length, ms, cpu,
    'from the first applyBlock (block wire bytes) to the last block persisted: decode, authority signature, every tx signature, re-execution, state-root check, LevelDB batch')
  console.log(`  reproduce: ${CMD}`)
  await follower.stop()
  await fds.close()
  await ledger.stop()
  await ds.close()
}

async function replay (): Promise<void> {
  const cold = Array.from({ length: 4 }, (_, i) => key(i, 'cold'))
  const hot = Array.from({ length: 4 }, (_, i) => key(i, 'hot'))
  const genesis = parseGenesis({
    chainId: 'agora-bench-replay',
    authority: authority.address,
    balances: Object.fromEntries(cold.map(c => [c.address, (10_000n * TAO).toString()])),
    params: { emissionSplit: 'even', rootTempo: 99, networkMinLockCost: '100000000000', newSubnet: { tempo: 99, weightsSetRateLimit: 50, activityCutoff: 20_000, targetRegistrationsPerInterval: 4 } }
  })
  const source = await createLedger({ datastore: new MemoryDatastore(), genesis, authorityKey: authority.secretKey })
  const nonce = new Map<string, number>()
  const send = async (k: KeyPair & { address: string }, body: TxBody): Promise<void> => {
    const n = nonce.get(k.address) ?? 0
    nonce.set(k.address, n + 1)
    await source.submit(signTx({ chainId: genesis.chainId, signer: k.address, nonce: n, body }, k.secretKey).bytes)
  }
  await send(cold[0], { kind: 'registerNetwork' })
  await source.produceBlock()
  for (let i = 0; i < 4; i++) {
    await send(cold[i], { kind: 'burnedRegister', netuid: 1, hotkey: hot[i].address })
    await send(cold[i], { kind: 'addStake', hotkey: hot[i].address, amount: BigInt(i + 1) * 100n * TAO })
    await source.produceBlock()
  }
  const blocks: Uint8Array[] = []
  for (let b = source.status().height + 1; b <= BLOCKS; b++) {
    await send(cold[b % 4], { kind: 'transfer', to: cold[(b + 1) % 4].address, amount: 1n })
    if (b % 60 === 0 && b > 200) for (const h of hot) await send(h, { kind: 'setWeights', netuid: 1, uids: [0, 1, 2, 3], values: [1, 2, 3, 4], versionKey: 0 }).catch(() => {})
    await source.produceBlock()
  }
  for (let h = 1; h <= BLOCKS; h++) blocks.push((await source.getBlock(h))!.bytes)
  const ds = await level()
  const follower = new Ledger({ datastore: ds, genesis, epoch: yumaEpoch })
  await follower.start()
  const t0 = performance.now()
  for (const b of blocks) await follower.applyBlock(b)
  const ms = performance.now() - t0
  if (follower.stateRoot() !== source.stateRoot()) throw new Error('replay reached another state root')
  console.log(`replay from genesis: ${BLOCKS} blocks (1–5 txs each, a Yuma epoch every 100 blocks) in ${(ms / 1000).toFixed(2)} s (${Math.round(BLOCKS / (ms / 1000))} blocks/s), same state root ${follower.stateRoot().slice(0, 16)}…`)
  console.log('  timed: applyBlock of each block in turn, awaited as catch-up does (decode, authority signature, tx signatures on the main thread, hooks and epochs, state-root check, LevelDB batch)')
  console.log(`  reproduce: ${CMD}`)
  await follower.stop()
  await ds.close()
}

try {
  await throughput()
  await replay()
} finally {
  for (const d of dirs) await rm(d, { recursive: true, force: true })
}
