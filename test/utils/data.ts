/**
 * Deterministic test data: AES-128-CTR keystream (key = first 16 bytes of sha256(seed), IV 0).
 * Any tool can reproduce the bytes, e.g.
 * `head -c N /dev/zero | openssl enc -aes-128-ctr -K <key hex> -iv 00000000000000000000000000000000`.
 */
import { createCipheriv, createHash } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { once } from 'node:events'

/** The AES key derived from a seed (hex), for reproducing the bytes with openssl. */
export function seedKey (seed: string): Buffer {
  return createHash('sha256').update(seed).digest().subarray(0, 16)
}

/** Yield `size` deterministic bytes for `seed`, in chunks of at most `chunk` bytes. */
export function * deterministicBytes (seed: string, size: number, chunk = 1 << 20): Generator<Uint8Array> {
  const cipher = createCipheriv('aes-128-ctr', seedKey(seed), Buffer.alloc(16))
  const zeros = Buffer.alloc(Math.min(chunk, Math.max(size, 1)))
  let left = size
  while (left > 0) {
    const n = Math.min(left, zeros.length)
    yield cipher.update(zeros.subarray(0, n))
    left -= n
  }
}

/** All of `deterministicBytes` in one buffer (for small sizes). */
export function deterministicBuffer (seed: string, size: number): Uint8Array {
  return Buffer.concat([...deterministicBytes(seed, size)])
}

/** Write `size` deterministic bytes for `seed` to `path`. */
export async function writeDeterministicFile (path: string, seed: string, size: number): Promise<void> {
  const ws = createWriteStream(path)
  for (const c of deterministicBytes(seed, size)) {
    if (!ws.write(c)) await once(ws, 'drain')
  }
  ws.end()
  await once(ws, 'finish')
}

/** sha256 hex of a file's or stream's bytes. */
export async function sha256Hex (source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<string> {
  const h = createHash('sha256')
  for await (const c of source) h.update(c)
  return h.digest('hex')
}
