import { randomBytes } from 'node:crypto'
import { open, rename, unlink } from 'node:fs/promises'
import { dirname, basename, join } from 'node:path'

/**
 * Write a file atomically: a temp file in the same directory, fsync, rename over the target,
 * fsync the directory. A kill at any moment leaves either the old or the new content.
 */
export async function writeFileAtomic (file: string, data: string | Uint8Array, mode = 0o644): Promise<void> {
  const tmp = join(dirname(file), `.${basename(file)}.${randomBytes(6).toString('hex')}.tmp`)
  const fh = await open(tmp, 'wx', mode)
  try {
    await fh.writeFile(data)
    await fh.sync()
  } catch (err) {
    await fh.close()
    await unlink(tmp).catch(() => {})
    throw err
  }
  await fh.close()
  await rename(tmp, file)
  const dir = await open(dirname(file), 'r')
  try { await dir.sync() } finally { await dir.close() }
}
