/**
 * Market benchmark: search latency over a local index of 100,000 listings, the time to build the
 * index and to open it again (restart), and the cost of verifying and adding one listing.
 *
 *   node bench/market.bench.ts            (or: npm run bench -- market)
 *   node --expose-gc bench/market.bench.ts   (a sharper index heap figure)
 *   MARKET_BENCH_N=20000 node bench/market.bench.ts
 *
 * The listings are real signed envelopes. To keep the run short on a shared machine they are
 * signed with node:crypto's native ed25519 (the bytes are identical to @noble/ed25519's, since
 * ed25519 is deterministic; checked below) and the bulk build uses `addUnsafe` (the path the
 * gossip and DHT validators take after verifying). The verified `add` path, with @noble/ed25519
 * verification, is measured separately on a sample.
 *
 * "Publish to searchable on every peer of a 20-peer network" is measured by
 * `bench/market-network.bench.ts`.
 */
import { createPrivateKey, sign as nodeSign } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { availableParallelism, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { sha256 } from '@noble/hashes/sha2.js'
import { LevelDatastore } from 'datastore-level'
import { CID } from 'multiformats'
import * as Digest from 'multiformats/hashes/digest'
import { commitContentKey } from '../src/seal.ts'
import { publicKeyOf } from '../src/market/keys.ts'
import type { Signer } from '../src/market/keys.ts'
import { ListingIndex } from '../src/market/listing-index.ts'
import type { SearchOptions } from '../src/market/listing-index.ts'
import { createListing } from '../src/market/listing.ts'
import type { Listing } from '../src/market/listing.ts'

const N = Number(process.env.MARKET_BENCH_N ?? 100_000)
const PUBLISHERS = 1000
const NOW = Date.UTC(2026, 0, 1)
const CMD = N === 100_000 ? 'node bench/market.bench.ts' : `MARKET_BENCH_N=${N} node bench/market.bench.ts`

let seed = 42
function rand (): number {
  // mulberry32: a fixed sequence, so every run indexes the same listings
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}
const pick = <T>(a: readonly T[]): T => a[Math.floor(rand() * a.length)]

const FAMILIES = ['llama', 'mistral', 'whisper', 'bert', 'resnet', 'clip', 't5', 'gpt', 'phi', 'qwen', 'gemma', 'falcon', 'vit', 'yolo', 'sam', 'wav2vec', 'bloom', 'opt', 'electra', 'deberta']
const SIZES = ['tiny', 'small', 'base', 'large', 'xl', '1b', '3b', '7b', '13b', '70b']
const VARIANTS = ['q4', 'q8', 'fp16', 'instruct', 'chat', 'v2', 'finetuned', 'distilled', 'onnx', 'gguf']
const TAGS = ['llm', 'vision', 'audio', 'gguf', 'onnx', 'safetensors', 'nlp', 'translation', 'medical', 'legal', 'code', 'multilingual', 'robotics', 'finance', 'chemistry', 'speech', 'ocr', 'tabular', 'video', 'embedding']
const TASKS = ['text-generation', 'image-classification', 'automatic-speech-recognition', 'translation', 'summarization', 'object-detection', 'feature-extraction', 'question-answering']
const LICENSES = ['Apache-2.0', 'MIT', 'CC-BY-4.0', 'CC-BY-NC-4.0', 'GPL-3.0-only', 'unspecified']
const COMMON = ['model', 'dataset', 'trained', 'on', 'with', 'fast', 'accurate', 'open', 'weights', 'tokens', 'images', 'audio', 'english', 'german', 'benchmark', 'quantised', 'evaluation', 'fine', 'tuned', 'corpus']
const RARE = Array.from({ length: 5000 }, (_, i) => `w${(i * 7919).toString(36)}`)

function description (): string {
  const words: string[] = []
  const n = 15 + Math.floor(rand() * 25)
  for (let i = 0; i < n; i++) words.push(rand() < 0.7 ? pick(COMMON) : pick(RARE))
  return words.join(' ')
}

const b64 = (u: Uint8Array): string => Buffer.from(u).toString('base64url')
function nativeSigner (secret: Uint8Array): Signer {
  const publicKey = publicKeyOf(secret)
  const key = createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', d: b64(secret), x: b64(publicKey) }, format: 'jwk' })
  return { publicKey, sign: (m) => new Uint8Array(nodeSign(null, m, key)) }
}

const cid = (s: string): CID => CID.createV1(0x55, Digest.create(0x12, sha256(new TextEncoder().encode(s))))
const commitment = commitContentKey(new Uint8Array(32).fill(7))
const secrets = Array.from({ length: PUBLISHERS }, (_, i) => sha256(new TextEncoder().encode(`publisher ${i}`)))
const signers = secrets.map(nativeSigner)

function makeListing (i: number, key: Uint8Array | Signer): Listing {
  const family = pick(FAMILIES)
  const paid = rand() < 0.3
  const kind = rand() < 0.7 ? 'model' : 'dataset'
  return createListing({
    kind,
    name: `${family}-${pick(SIZES)}-${pick(VARIANTS)}-${i}`,
    description: description(),
    license: pick(LICENSES),
    tags: [...new Set([pick(TAGS), pick(TAGS), pick(TAGS)])],
    task: pick(TASKS),
    files: [{ path: 'model.safetensors', size: 1 + Math.floor(rand() * 1e9), cid: cid(`f${i}`) }],
    root: cid(`r${i}`),
    price: paid ? BigInt(1 + Math.floor(rand() * 100)) * 1_000_000_000n : 0n,
    keyCommitment: paid ? commitment : null,
    encryption: paid ? { alg: 'xchacha20poly1305-chunked/1', chunkSize: 65536 } : null,
    created: NOW - Math.floor(rand() * 1e9),
    expires: NOW + 30 * 86_400_000
  }, key)
}

function percentile (sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]
}

async function timeQueries (index: ListingIndex, label: string, make: () => [string, SearchOptions]): Promise<void> {
  const times: number[] = []
  let results = 0
  let page = 20
  for (let i = 0; i < 300; i++) {
    const [text, options] = make()
    page = options.limit ?? 20
    const t = performance.now()
    results += (await index.search(text, options)).length
    times.push(performance.now() - t)
  }
  times.sort((a, b) => a - b)
  console.log(`  ${label.padEnd(46)} p50 ${percentile(times, 0.5).toFixed(3)} ms   p99 ${percentile(times, 0.99).toFixed(3)} ms   (avg ${(results / times.length).toFixed(1)} hits, page of ${page})`)
}

async function main (): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'agora-market-bench-'))
  try {
    // sanity: native and noble signatures give the same bytes
    const s0 = seed
    const a = makeListing(0, secrets[0])
    seed = s0
    if (Buffer.compare(a.bytes, makeListing(0, signers[0]).bytes) !== 0) throw new Error('native and noble signatures differ')

    let store = new LevelDatastore(dir)
    await store.open()
    let index = new ListingIndex({ datastore: store }, { now: () => NOW })
    await index.start()
    // generate and add in batches, so the bench does not hold 100,000 decoded listings at once
    const texts: string[] = []
    let generate = 0
    let build = 0
    for (let from = 0; from < N; from += 10_000) {
      let t = performance.now()
      const batch = Array.from({ length: Math.min(10_000, N - from) }, (_, k) => makeListing(from + k, signers[(from + k) % PUBLISHERS]))
      generate += performance.now() - t
      for (const l of batch) texts.push(`${l.record.name} ${l.record.description} ${l.record.tags.join(' ')}`)
      t = performance.now()
      for (const l of batch) await index.addUnsafe(l)
      build += performance.now() - t
    }
    console.log(`generated and signed ${N} listings in ${(generate / 1000).toFixed(1)} s (native ed25519)`)
    console.log(`build: ${N} listings into a LevelDB-backed index in ${(build / 1000).toFixed(2)} s (${Math.round(N / build * 1000)} listings/s)   [${CMD}]`)
    await index.stop()
    await store.close()

    store = new LevelDatastore(dir)
    await store.open()
    index = new ListingIndex({ datastore: store }, { now: () => NOW })
    global.gc?.()
    const heapBefore = process.memoryUsage().heapUsed
    let t = performance.now()
    await index.start()
    const openMs = performance.now() - t
    global.gc?.()
    const heapIndex = process.memoryUsage().heapUsed - heapBefore
    console.log(`open: reload ${index.size} listings from LevelDB and rebuild the search index in ${(openMs / 1000).toFixed(2)} s; index heap ${(heapIndex / 2 ** 20).toFixed(0)} MB   [${CMD}]`)

    const sample = Array.from({ length: 1000 }, (_, i) => makeListing(N + i, signers[i % PUBLISHERS]).bytes)
    t = performance.now()
    for (const bytes of sample) await index.add(bytes)
    const perAdd = (performance.now() - t) / sample.length
    console.log(`verified add (size, schema, @noble/ed25519 signature, expiry, store, index): ${perAdd.toFixed(3)} ms per listing, ${Math.round(1000 / perAdd)} listings/s   [${CMD}]`)

    console.log(`search over ${index.size} listings (300 queries each)   [${CMD}]`)
    await timeQueries(index, 'one common word ("llama")', () => [pick(FAMILIES), {}])
    await timeQueries(index, 'two words ("whisper chat")', () => [`${pick(FAMILIES)} ${pick(VARIANTS)}`, {}])
    await timeQueries(index, 'rare description word', () => [pick(RARE), {}])
    await timeQueries(index, 'word + kind + tag + max price', () => [pick(FAMILIES), { kind: 'dataset', tag: pick(TAGS), maxPrice: 50_000_000_000n }])
    await timeQueries(index, 'no words, tag + licence filter (browse)', () => ['', { tag: pick(TAGS), license: pick(LICENSES) }])
    await timeQueries(index, 'publisher\'s listings (ls --mine)', () => ['', { publisher: signers[Math.floor(rand() * PUBLISHERS)].publicKey, limit: 200 }])

    const word = 'llama'
    t = performance.now()
    let naiveHits = 0
    for (let i = 0; i < 20; i++) naiveHits += texts.filter(x => x.toLowerCase().includes(word)).length
    const naive = (performance.now() - t) / 20
    t = performance.now()
    for (let i = 0; i < 20; i++) await index.search(word)
    const ours = (performance.now() - t) / 20
    console.log(`comparison, "${word}": naive substring scan over in-memory records ${naive.toFixed(2)} ms (${naiveHits / 20} matches) vs index ${ours.toFixed(2)} ms (ranked top 20): ${(naive / ours).toFixed(1)}x   [${CMD}]`)
    console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB; load average during the run ${loadavg().map(x => x.toFixed(1)).join(' ')} on ${availableParallelism()} cores`)
    await index.stop()
    await store.close()
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

await main()
