/**
 * Writing lent chunks out (to a file, or to any Node writable such as an HTTP response), giving
 * each buffer back only once the bytes have left it, and never running ahead of the writer.
 */
import { open, rename, unlink } from 'node:fs/promises'
import { pEvent } from 'p-event'
import type { Lent } from './block-read.ts'
import type { AbortOptions } from '@libp2p/interface'

/** Positional writes in flight at once (they run on libuv's thread pool). */
const WRITE_BEHIND = 4

/** Options for {@link writeFileFromChunks}. */
export interface WriteFileOptions extends AbortOptions {
  /** Called with the byte count of each chunk once it is written. */
  onBytes?: (n: number) => void
}

/**
 * Write `chunks` to `file`. The bytes go to `<file>.agora-partial` and are renamed into place
 * once complete: a failed, aborted or killed write never leaves a short file under the final
 * name (the partial file is removed on failure). Returns the bytes written.
 */
export async function writeFileFromChunks (file: string, chunks: AsyncIterable<Lent>, options: WriteFileOptions = {}): Promise<number> {
  const tmp = `${file}.agora-partial`
  const fh = await open(tmp, 'w')
  const inFlight = new Set<Promise<void>>()
  let pos = 0
  try {
    for await (const chunk of chunks) {
      options.signal?.throwIfAborted()
      const at = pos
      pos += chunk.bytes.byteLength
      const w = writeAll(fh, chunk.bytes, at).then(() => { options.onBytes?.(chunk.bytes.byteLength) }).finally(() => {
        inFlight.delete(w)
        chunk.release()
      })
      w.catch(() => {}) // surfaced by the race / all below
      inFlight.add(w)
      if (inFlight.size >= WRITE_BEHIND) await Promise.race(inFlight)
    }
    await Promise.all(inFlight)
    await fh.close()
  } catch (err) {
    await Promise.allSettled(inFlight)
    await fh.close().catch(() => {})
    await unlink(tmp).catch(() => {})
    throw err
  }
  await rename(tmp, file)
  return pos
}

async function writeAll (fh: Awaited<ReturnType<typeof open>>, bytes: Uint8Array, position: number): Promise<void> {
  let done = 0
  while (done < bytes.byteLength) {
    const { bytesWritten } = await fh.write(bytes, done, bytes.byteLength - done, position + done)
    done += bytesWritten
  }
}

/** What {@link writeChunksTo} needs of a Node writable (an `http.ServerResponse`, a socket, stdout). */
export interface ChunkWritable {
  write: (chunk: Uint8Array, callback: (err?: Error | null) => void) => boolean
  on: (event: string, listener: (...args: any[]) => void) => unknown
  off: (event: string, listener: (...args: any[]) => void) => unknown
  readonly destroyed?: boolean
}

/**
 * Write `chunks` to `out`, releasing each buffer in the write's callback (when the bytes have
 * been handed to the kernel, or the write failed), and waiting for 'drain' whenever `out` says
 * its buffer is full. A writable that closes or errors while we wait ends the copy with an
 * error; so does `signal`.
 */
export async function writeChunksTo (out: ChunkWritable, chunks: AsyncIterable<Lent>, options: AbortOptions = {}): Promise<number> {
  let n = 0
  for await (const chunk of chunks) {
    if (out.destroyed === true) {
      chunk.release()
      throw new Error('the output closed before the content was written')
    }
    n += chunk.bytes.byteLength
    if (!out.write(chunk.bytes, () => { chunk.release() })) {
      await pEvent(out as unknown as NodeJS.EventEmitter, 'drain', { rejectionEvents: ['close', 'error'], signal: options.signal }).catch((err: unknown) => {
        throw err instanceof Error ? err : new Error('the output closed before the content was written')
      })
    }
  }
  return n
}
