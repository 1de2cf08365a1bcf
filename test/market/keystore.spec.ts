import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { ContentKeyStore } from '../../src/market/keystore.ts'
import { commitContentKey, generateContentKey } from '../../src/market/index.ts'

const dirs: string[] = []
afterEach(async () => { for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true }) })

async function store (): Promise<ContentKeyStore> {
  const d = await mkdtemp(join(tmpdir(), 'agora-keystore-'))
  dirs.push(d)
  return new ContentKeyStore(d)
}

describe('content key store', () => {
  it('default: a key is kept by its commitment, readable by the owner only', async () => {
    const ks = await store()
    const key = generateContentKey()
    const commitment = await ks.put(key)
    expect(commitment).toEqual(commitContentKey(key))
    expect(await ks.get(commitment)).toEqual(key)
    expect((await stat(ks.dir)).mode & 0o777).toBe(0o700)
    expect((await stat(join(ks.dir, Buffer.from(commitment).toString('hex')))).mode & 0o777).toBe(0o600)
  })

  it('behavior: a missing key and a key altered on disk are refused with their own errors', async () => {
    const ks = await store()
    await expect(ks.get(commitContentKey(generateContentKey()))).rejects.toMatchObject({ name: 'ContentKeyMissingError' })
    const commitment = await ks.put(generateContentKey())
    await writeFile(join(ks.dir, Buffer.from(commitment).toString('hex')), generateContentKey())
    await expect(ks.get(commitment)).rejects.toMatchObject({ name: 'KeyCommitmentMismatchError' })
  })
})
