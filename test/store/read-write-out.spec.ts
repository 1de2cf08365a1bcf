import { lstat, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { writeChunksTo, writeFileFromChunks } from '../../src/store/index.ts'
import { deterministicBuffer } from '../utils/data.ts'
import type { Lent } from '../../src/store/index.ts'

let dir: string
beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'agora-write-out-')) })
afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

/**
 * Lends `count` chunks of `size` bytes cut from `bytes`, counting chunks lent but not yet
 * released; a released chunk's buffer is overwritten at once (as a reused buffer would be), so
 * a writer that still held its bytes would write garbage.
 */
function lender (bytes: Uint8Array, size: number, failAt?: number): { chunks: AsyncGenerator<Lent>, outstanding: () => number, maxOutstanding: () => number } {
  let out = 0
  let max = 0
  async function * chunks (): AsyncGenerator<Lent> {
    for (let at = 0, i = 0; at < bytes.byteLength; at += size, i++) {
      if (i === failAt) throw new Error('source failed')
      const buf = Uint8Array.from(bytes.subarray(at, at + size))
      out++
      max = Math.max(max, out)
      let released = false
      yield { bytes: buf, release: () => { if (released) return; released = true; out--; buf.fill(0xee) } }
    }
  }
  return { chunks: chunks(), outstanding: () => out, maxOutstanding: () => max }
}

describe('store: write-out of lent chunks', () => {
  it('default: a slow writable gets every byte in order; the copy waits for drain, so few chunks are out at once, and each is released only after its write', async () => {
    const bytes = deterministicBuffer('slow', 64 * 65_536 + 11)
    const got: Buffer[] = []
    const slow = new Writable({
      highWaterMark: 16 * 1024,
      write (chunk: Buffer, _enc, cb) {
        got.push(Buffer.from(chunk)) // copied when the write is processed: released bytes would show as 0xee
        setTimeout(cb, 1)
      }
    })
    const l = lender(bytes, 65_536)
    expect(await writeChunksTo(slow, l.chunks)).toBe(bytes.byteLength)
    await new Promise<void>(resolve => slow.end(resolve))
    expect(Buffer.concat(got).equals(bytes)).toBe(true)
    // Reasoning: each 64 KiB write fills the 16 KiB buffer, so the copy waits for 'drain' after
    // every chunk: one chunk in the writable's hands plus the one just pulled.
    expect(l.maxOutstanding()).toBeLessThanOrEqual(2)
    expect(l.outstanding()).toBe(0)
  })

  it('behavior: a writable that closes while the copy waits ends it with an error', async () => {
    const stuck = new Writable({ highWaterMark: 1, write (_chunk, _enc, _cb) { /* never done */ } })
    const l = lender(deterministicBuffer('closed', 10 * 1024), 1024)
    const copy = writeChunksTo(stuck, l.chunks)
    setTimeout(() => { stuck.destroy() }, 20)
    await expect(copy).rejects.toBeInstanceOf(Error)
  })

  it('behavior: a file is written whole under its name, every chunk released', async () => {
    const bytes = deterministicBuffer('file', 40 * 100_000 + 7)
    const l = lender(bytes, 100_000)
    const file = join(dir, 'out.bin')
    expect(await writeFileFromChunks(file, l.chunks)).toBe(bytes.byteLength)
    expect((await readFile(file)).equals(bytes)).toBe(true)
    expect(l.outstanding()).toBe(0)
    expect(l.maxOutstanding()).toBeLessThanOrEqual(5)
    expect(await readdir(dir)).toEqual(['out.bin'])
  })

  it('behavior: a source that fails midway leaves neither the file nor its .agora-partial', async () => {
    const l = lender(deterministicBuffer('fail', 40 * 100_000), 100_000, 20)
    await expect(writeFileFromChunks(join(dir, 'out.bin'), l.chunks)).rejects.toThrow('source failed')
    expect(await readdir(dir)).toEqual([])
    expect(l.outstanding()).toBe(0)
  })

  it('behavior: temp names are random (.<name>.<16 hex>.agora-partial, a new one per write), and a symlink planted at the old predictable temp name is not followed', async () => {
    const victim = join(dir, 'victim.txt')
    await writeFile(victim, 'mine')
    await symlink(victim, join(dir, 'out.bin.agora-partial'))
    const seen: string[] = []
    async function * spy (): AsyncGenerator<Lent> {
      // the temp file is open before the first chunk is asked for
      seen.push(...(await readdir(dir)).filter(n => n.endsWith('.agora-partial') && n !== 'out.bin.agora-partial'))
      yield { bytes: new TextEncoder().encode('theirs'), release: () => {} }
    }
    await writeFileFromChunks(join(dir, 'out.bin'), spy())
    await writeFileFromChunks(join(dir, 'out.bin'), spy())
    expect(seen).toHaveLength(2)
    for (const n of seen) expect(n).toMatch(/^\.out\.bin\.[0-9a-f]{16}\.agora-partial$/)
    expect(seen[0]).not.toBe(seen[1])
    expect(await readFile(victim, 'utf8')).toBe('mine')
    expect((await lstat(join(dir, 'out.bin.agora-partial'))).isSymbolicLink()).toBe(true)
    expect(await readFile(join(dir, 'out.bin'), 'utf8')).toBe('theirs')
    expect((await readdir(dir)).sort()).toEqual(['out.bin', 'out.bin.agora-partial', 'victim.txt'])
  })
})
