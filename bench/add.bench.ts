/**
 * `agora add` throughput: import of a 1 GiB file into a fresh repo (blockstore-fs on disk),
 * against the raw SHA-256 throughput of this machine (`node:crypto`) measured in the same run.
 * Target: import at least half as fast as SHA-256 alone. For context it also measures the plain
 * file copy rate of the same disk (read the input, write one file), which bounds any import
 * that stores its blocks on that disk, and the import of the same bytes as a stream (the body of
 * an `/api/v0/add` request).
 *
 * Reproduce: npm run bench -- add        (size: BENCH_ADD_MIB=1024)
 */
import { spawnSync } from 'node:child_process'
import { createCipheriv, createHash } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import { copyFile, mkdtemp, rm } from 'node:fs/promises'
import { once } from 'node:events'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { ContentStore, initRepo, openRepo } from '../src/index.ts'
import type { ImportProfile } from '../src/index.ts'

const MIB = 1024 * 1024
const sizeMiB = Number(process.env.BENCH_ADD_MIB ?? 1024)
const size = sizeMiB * MIB

async function writeFile (path: string): Promise<void> {
  // Incompressible, deterministic bytes (AES-CTR keystream).
  const cipher = createCipheriv('aes-128-ctr', Buffer.alloc(16, 7), Buffer.alloc(16))
  const zeros = Buffer.alloc(4 * MIB)
  const ws = createWriteStream(path)
  for (let left = size; left > 0; left -= zeros.length) {
    if (!ws.write(cipher.update(zeros.subarray(0, Math.min(left, zeros.length))))) await once(ws, 'drain')
  }
  ws.end()
  await once(ws, 'finish')
}

function sha256Rate (): number {
  const buf = createCipheriv('aes-128-ctr', Buffer.alloc(16, 9), Buffer.alloc(16)).update(Buffer.alloc(MIB))
  const started = process.hrtime.bigint()
  for (let i = 0; i < sizeMiB; i++) createHash('sha256').update(buf).digest()
  const secs = Number(process.hrtime.bigint() - started) / 1e9
  return sizeMiB / secs
}

/** Flush dirty pages, so one measurement does not pay for the previous one's writeback. */
function settle (): void {
  spawnSync('sync')
}

async function copyRate (dir: string, file: string): Promise<number> {
  const out = join(dir, 'copy.bin')
  const started = process.hrtime.bigint()
  await copyFile(file, out)
  const secs = Number(process.hrtime.bigint() - started) / 1e9
  await rm(out)
  return sizeMiB / secs
}

async function addRate (dir: string, file: string, profile: ImportProfile, stream = false): Promise<{ rate: number, cid: string }> {
  const repoDir = join(dir, `repo-${profile}`)
  await initRepo(repoDir)
  const repo = await openRepo(repoDir)
  try {
    const store = new ContentStore(repo)
    const started = process.hrtime.bigint()
    // as a stream: the file's bytes in 64 KiB pieces, as `/api/v0/add` receives a request body
    const r = stream ? await store.addStream(createReadStream(file, { highWaterMark: 64 * 1024 }), { profile }) : await store.add(file, { profile })
    const secs = Number(process.hrtime.bigint() - started) / 1e9
    return { rate: sizeMiB / secs, cid: r.cid.toString() }
  } finally {
    await repo.close()
    await rm(repoDir, { recursive: true, force: true })
    settle()
  }
}

const dir = await mkdtemp(join(tmpdir(), 'agora-bench-add-'))
try {
  const file = join(dir, 'input.bin')
  await writeFile(file)
  settle()
  console.log(`load average at start: ${loadavg().map(l => l.toFixed(2)).join(' ')} (the machine's other work takes CPU from every figure below)`)
  const sha = sha256Rate()
  console.log(`sha256 (node:crypto, 1 MiB buffers, ${sizeMiB} MiB): ${sha.toFixed(0)} MiB/s`)
  const copy = await copyRate(dir, file)
  settle()
  console.log(`disk copy of the same file (fs.copyFile): ${copy.toFixed(0)} MiB/s`)
  for (const profile of ['unixfs-v1-2025', 'unixfs-v0-2015'] as const) {
    const { rate, cid } = await addRate(dir, file, profile)
    settle()
    console.log(`add ${sizeMiB} MiB file, ${profile}${profile === 'unixfs-v1-2025' ? ' (default)' : ''}: ${rate.toFixed(0)} MiB/s, ratio to sha256 ${(rate / sha).toFixed(2)} (target >= 0.50), to disk copy ${(rate / copy).toFixed(2)}  root ${cid}`)
  }
  const streamed = await addRate(dir, file, 'unixfs-v1-2025', true)
  settle()
  console.log(`add ${sizeMiB} MiB as a byte stream (64 KiB pieces, as an /api/v0/add body), unixfs-v1-2025: ${streamed.rate.toFixed(0)} MiB/s, ratio to sha256 ${(streamed.rate / sha).toFixed(2)}  root ${streamed.cid}`)
  console.log(`load average at end: ${loadavg().map(l => l.toFixed(2)).join(' ')}`)
  console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`)
  console.log('reproduce: npm run bench -- add')
} finally {
  await rm(dir, { recursive: true, force: true })
}
