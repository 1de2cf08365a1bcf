import { createHash, randomBytes } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import { mkdtemp, open, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { afterEach, describe, expect, it } from 'vitest'
import { decryptStream, encryptStream, encryptedSize, generateContentKey } from '../../src/market/chunk-cipher.ts'
import { decryptRange, readHeader } from '../../src/market/chunk-range.ts'
import type { CiphertextReader } from '../../src/market/chunk-range.ts'
import { digestFile, encryptFile } from '../../src/market/encrypt-file.ts'

const dirs: string[] = []
afterEach(async () => { await Promise.all(dirs.splice(0).map(async d => rm(d, { recursive: true, force: true }))) })

describe('chunk cipher on files', () => {
  it('default: a file encrypts to a file through streams and decrypts back, whole and by range', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'agora-market-cipher-'))
    dirs.push(dir)
    const plain = randomBytes(3 * 1024 * 1024 + 12345)
    await writeFile(join(dir, 'model.bin'), plain)
    const key = generateContentKey()
    const { size } = await stat(join(dir, 'model.bin'))
    await pipeline(Readable.from(encryptStream(key, createReadStream(join(dir, 'model.bin')), { plaintextLength: size })), createWriteStream(join(dir, 'model.enc')))
    expect((await stat(join(dir, 'model.enc'))).size).toBe(encryptedSize(size))

    await pipeline(Readable.from(decryptStream(key, createReadStream(join(dir, 'model.enc')))), createWriteStream(join(dir, 'model.out')))
    expect(Buffer.compare(await readFile(join(dir, 'model.out')), plain)).toBe(0)

    const fh = await open(join(dir, 'model.enc'))
    try {
      const read: CiphertextReader = async (offset, length) => {
        const buf = Buffer.alloc(length)
        const { bytesRead } = await fh.read(buf, 0, length, offset)
        return buf.subarray(0, bytesRead)
      }
      const header = await readHeader(read)
      const start = 1_000_000
      const end = 2_500_001
      expect(Buffer.compare(await decryptRange(key, header, start, end, read), plain.subarray(start, end))).toBe(0)
    } finally {
      await fh.close()
    }
  })

  it('behavior: encryptFile writes the ciphertext atomically and reports the plaintext digest', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'agora-market-cipher-'))
    dirs.push(dir)
    const plain = randomBytes(700_000)
    await writeFile(join(dir, 'data.bin'), plain)
    const key = generateContentKey()
    const result = await encryptFile(join(dir, 'data.bin'), join(dir, 'data.enc'), key, { chunkSize: 65536 })
    const expectedSha = createHash('sha256').update(plain).digest()
    expect(result).toEqual({ size: 700_000, sha256: new Uint8Array(expectedSha), encryptedSize: encryptedSize(700_000, 65536) })
    expect(await digestFile(join(dir, 'data.bin'))).toEqual({ size: 700_000, sha256: new Uint8Array(expectedSha) })
    const back: Buffer[] = []
    for await (const piece of decryptStream(key, createReadStream(join(dir, 'data.enc')))) back.push(Buffer.from(piece))
    expect(Buffer.compare(Buffer.concat(back), plain)).toBe(0)

    const aborted = AbortSignal.abort()
    await expect(encryptFile(join(dir, 'data.bin'), join(dir, 'other.enc'), key, { signal: aborted })).rejects.toHaveProperty('name', 'AbortError')
    // a failure after the temporary file exists (an invalid chunk size) leaves nothing behind
    await expect(encryptFile(join(dir, 'data.bin'), join(dir, 'other.enc'), key, { chunkSize: 3 })).rejects.toThrow(RangeError)
    expect((await readdir(dir)).sort()).toEqual(['data.bin', 'data.enc'])
  })
})
