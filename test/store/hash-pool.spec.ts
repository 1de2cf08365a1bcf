import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { AlignedArena } from '../../src/store/block-write.ts'
import { HashPool } from '../../src/store/hash-pool.ts'
import { deterministicBuffer } from '../utils/data.ts'

const KIB = 1024

function sha256 (bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

const hex = (d: Uint8Array): string => Buffer.from(d).toString('hex')

describe('store: hash pool', () => {
  it('default: ranges of the shared memory are hashed by workers, as node:crypto hashes them (any offset and length)', async () => {
    const arena = new AlignedArena(1024 * KIB)
    const all = Buffer.from(arena.memory)
    all.set(deterministicBuffer('hash-pool', all.byteLength))
    const pool = new HashPool(arena.memory, 2)
    try {
      const ranges = [[0, 0], [0, 1], [1, 4095], [4096, 64 * KIB], [13, 300 * KIB + 7], [0, 1024 * KIB], [1024 * KIB - 1, 1]]
      const jobs = ranges.map(async ([at, n]) => {
        const view = all.subarray(at, at + n)
        return { got: hex(await pool.digest(view)), want: sha256(view) }
      })
      for (const { got, want } of await Promise.all(jobs)) expect(got).toBe(want)
      expect(pool.offloaded).toBe(jobs.length)
    } finally {
      await pool.close()
    }
  })

  it('behavior: bytes outside the shared memory are hashed on the calling thread', async () => {
    const arena = new AlignedArena(64 * KIB)
    const pool = new HashPool(arena.memory, 1)
    try {
      const plain = deterministicBuffer('outside', 10 * KIB)
      expect(hex(await pool.digest(plain))).toBe(sha256(plain))
      expect(pool.offloaded).toBe(0)
    } finally {
      await pool.close()
    }
  })

  it('behavior: jobs open when the pool closes are finished on the calling thread, and later ones too', async () => {
    const arena = new AlignedArena(4096 * KIB)
    const all = Buffer.from(arena.memory)
    all.set(deterministicBuffer('closing', all.byteLength))
    const pool = new HashPool(arena.memory, 2)
    const views = Array.from({ length: 16 }, (_, i) => all.subarray(i * 256 * KIB, (i + 1) * 256 * KIB))
    const open = views.map(async v => pool.digest(v))
    await pool.close()
    expect((await Promise.all(open)).map(hex)).toEqual(views.map(v => sha256(v)))
    expect(hex(await pool.digest(views[3]))).toBe(sha256(views[3]))
  })
})
