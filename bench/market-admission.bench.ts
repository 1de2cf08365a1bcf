/**
 * Admission control under a listing flood: one peer pushes listings signed by fresh keys (each
 * key a new "publisher" without stake) into a victim's LevelDB-backed listing index with the
 * default limits, as fast as the index takes them. It prints the victim's ingest rate (listings
 * taken and refused a second, the refusals being what a flood costs the victim), what was
 * stored, on disk and in memory, and how long a staked publisher's listing takes to get in
 * during the flood.
 *
 *   node bench/market-admission.bench.ts          (or: npm run bench -- admission)
 *   ADMISSION_BENCH_N=50000 node bench/market-admission.bench.ts
 *
 * The flood's envelopes are signed up front with node:crypto's native ed25519 (identical bytes
 * to @noble/ed25519's), so the figures are the victim's work: verifying, admitting, storing.
 */
import { createPrivateKey, sign as nodeSign } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { execFileSync } from 'node:child_process'
import { LevelDatastore } from 'datastore-level'
import { CID } from 'multiformats'
import { sha256 } from 'multiformats/hashes/sha2'
import * as raw from 'multiformats/codecs/raw'
import { DEFAULT_ADMISSION_LIMITS } from '../src/market/admission.ts'
import { publicKeyOf } from '../src/market/keys.ts'
import type { Signer } from '../src/market/keys.ts'
import { ListingIndex } from '../src/market/listing-index.ts'
import { createListing } from '../src/market/listing.ts'

const N = Number(process.env.ADMISSION_BENCH_N ?? 30_000)
const CMD = N === 30_000 ? 'node bench/market-admission.bench.ts' : `ADMISSION_BENCH_N=${N} node bench/market-admission.bench.ts`

/** A signer over node:crypto's ed25519 for a 32-byte seed. */
function nativeSigner (seed: Uint8Array): Signer {
  // PKCS#8 DER prefix of an ed25519 private key, then the 32-byte seed
  const der = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed])
  const key = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' })
  return { publicKey: publicKeyOf(seed), sign: m => new Uint8Array(nodeSign(null, m, key)) }
}

async function main (): Promise<void> {
  const card = CID.createV1(raw.code, await sha256.digest(new TextEncoder().encode('card')))
  const file = CID.createV1(raw.code, await sha256.digest(new TextEncoder().encode('file')))
  const now = Date.now()
  const params = (name: string): Parameters<typeof createListing>[0] => ({
    kind: 'model',
    name,
    version: '1.0.0',
    description: 'spam '.repeat(40),
    card,
    license: 'apache-2.0',
    tags: ['llm'],
    task: 'text-generation',
    files: [{ path: 'model.bin', size: 1000, cid: file }],
    root: file,
    created: now,
    expires: now + 86_400_000
  })
  const t0 = performance.now()
  const flood: Uint8Array[] = []
  for (let i = 0; i < N; i++) {
    const seed = new Uint8Array(32)
    new DataView(seed.buffer).setUint32(0, i + 1)
    flood.push(createListing(params(`spam-${i}`), nativeSigner(seed)).bytes)
  }
  const honestSeed = new Uint8Array(32).fill(200)
  const honest = createListing(params('honest-model'), nativeSigner(honestSeed)).bytes
  console.log(`signed ${N} flood listings (${flood[0].byteLength} bytes each) in ${((performance.now() - t0) / 1000).toFixed(1)} s`)

  const dir = await mkdtemp(join(tmpdir(), 'agora-admission-bench-'))
  try {
    const store = new LevelDatastore(dir)
    await store.open()
    const stakedKey = publicKeyOf(honestSeed)
    const index = new ListingIndex({ datastore: store }, { isStaked: k => Buffer.from(k).equals(Buffer.from(stakedKey)), pruneIntervalMs: 0 })
    await index.start()
    const heap0 = process.memoryUsage().heapUsed
    let taken = 0
    let refused = 0
    let honestMs = 0
    const start = performance.now()
    for (let i = 0; i < N; i++) {
      try {
        await index.add(flood[i], { from: 'mallory' })
        taken++
      } catch (err) {
        if ((err as Error).name !== 'ListingAdmissionError') throw err
        refused++
      }
      if (i === Math.floor(N / 2)) {
        const h = performance.now()
        await index.add(honest, { from: 'mallory' })
        honestMs = performance.now() - h
      }
    }
    const secs = (performance.now() - start) / 1000
    const found = (await index.search('honest-model')).length
    const heap = (process.memoryUsage().heapUsed - heap0) / 1024 ** 2
    const stored = index.usage.total.listings
    await index.stop()
    await store.close()
    const disk = Number(execFileSync('du', ['-sk', dir]).toString().split('\t')[0]) / 1024
    const lim = DEFAULT_ADMISSION_LIMITS.perSource
    console.log(`flood of ${N} listings from one peer with fresh keys: ${(N / secs).toFixed(0)} listings/s handled (${taken} taken, ${refused} refused by admission control) in ${secs.toFixed(1)} s   [${CMD}]`)
    console.log(`  limits per source: ${lim.listings} unstaked listings, ${lim.ratePerSecond}/s with a burst of ${lim.burst}`)
    console.log(`  stored: ${stored} listings; disk ${disk.toFixed(1)} MiB; heap growth ${heap.toFixed(1)} MB`)
    console.log(`  a staked publisher's listing during the flood: taken in ${honestMs.toFixed(2)} ms, found by search: ${found === 1 ? 'yes' : 'no'}`)
    console.log(`load average ${loadavg().map(x => x.toFixed(1)).join(' ')}`)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

await main()
