/**
 * Writing lent chunks out (to a file, or to any Node writable such as an HTTP response), giving
 * each buffer back only once the bytes have left it, and never running ahead of the writer.
 */
import { randomBytes } from 'node:crypto'
import { constants } from 'node:fs'
import { lstat, open, readdir, rename, unlink } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { pEvent } from 'p-event'
import { syncDirs } from './safe-out.ts'
import type { Lent } from './block-read.ts'
import type { AbortOptions } from '@libp2p/interface'

/** Positional writes in flight at once (they run on libuv's thread pool). */
const WRITE_BEHIND = 4
/** Bytes of the final name kept in a temp name (the rest of the temp name is 32 bytes; names are at most 255). */
const TEMP_NAME_BYTES = 200
/** Create a new file only, never through a symlink. */
const EXCLUSIVE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW

/** Options for {@link writeFileFromChunks}. */
export interface WriteFileOptions extends AbortOptions {
  /** Called with the byte count of each chunk once it is written. */
  onBytes?: (n: number) => void
  /** fsync the directory after the rename (a caller writing many files syncs each directory once). @default true */
  syncDir?: boolean
}

/**
 * The temp name beside `file`: `.<name>.<16 random hex>.agora-partial`, the name cut to
 * {@link TEMP_NAME_BYTES} bytes (whole characters) so the temp name stays a valid name.
 *
 * Policy: random, so nobody can plant a symlink or file at it in advance.
 */
export function tempPath (file: string): string {
  return join(dirname(file), `.${tempStem(basename(file))}.${randomBytes(8).toString('hex')}.agora-partial`)
}

/** `name` cut to {@link TEMP_NAME_BYTES} bytes at a character boundary. */
function tempStem (name: string): string {
  let stem = ''
  let bytes = 0
  for (const ch of name) {
    bytes += Buffer.byteLength(ch)
    if (bytes > TEMP_NAME_BYTES) break
    stem += ch
  }
  return stem
}

const TEMP_RE = /^\.(.*)\.[0-9a-f]{16}\.agora-partial$/s

/**
 * Remove the temp files a killed write of one of `names` left in `dir` (regular files only,
 * never following a symlink); returns how many. Reads the directory once.
 */
export async function removeStalePartials (dir: string, names: Iterable<string>): Promise<number> {
  const stems = new Set([...names].map(tempStem))
  let removed = 0
  for (const n of await readdir(dir)) {
    const m = TEMP_RE.exec(n)
    if (m == null || !stems.has(m[1])) continue
    const p = join(dir, n)
    if (!(await lstat(p)).isFile()) continue
    await unlink(p)
    removed++
  }
  return removed
}

/**
 * Write `chunks` to `file`. The bytes go to a new temp file beside it (see {@link tempPath}),
 * opened exclusively (`O_CREAT|O_EXCL|O_NOFOLLOW`), fsynced and renamed into place once complete,
 * then the directory is fsynced: a failed, aborted or killed write never leaves a short file
 * under the final name (the temp file is removed on failure). The rename replaces whatever
 * entry is at `file` (never following a symlink there): callers decide whether it may.
 * Returns the bytes written.
 */
export async function writeFileFromChunks (file: string, chunks: AsyncIterable<Lent>, options: WriteFileOptions = {}): Promise<number> {
  const tmp = tempPath(file)
  const fh = await open(tmp, EXCLUSIVE, 0o666)
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
    await fh.sync()
    await fh.close()
    await rename(tmp, file)
  } catch (err) {
    await Promise.allSettled(inFlight)
    await fh.close().catch(() => {})
    await unlink(tmp).catch(() => {})
    throw err
  }
  if (options.syncDir !== false) await syncDirs([dirname(file)])
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

/**
 * Whether the regular file at `file` holds exactly the `size` bytes of `chunks` (each chunk is
 * released; the comparison stops at the first difference). A symlink at `file` is not followed
 * (it does not hold the bytes).
 */
export async function sameBytes (file: string, size: number, chunks: AsyncIterable<Lent>): Promise<boolean> {
  const fh = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW)
  try {
    if ((await fh.stat()).size !== size) return false
    let buf = Buffer.alloc(0)
    let pos = 0
    for await (const chunk of chunks) {
      try {
        const n = chunk.bytes.byteLength
        if (buf.byteLength < n) buf = Buffer.allocUnsafe(n)
        const { bytesRead } = await fh.read(buf, 0, n, pos)
        if (bytesRead !== n || !buf.subarray(0, n).equals(chunk.bytes)) return false
        pos += n
      } finally {
        chunk.release()
      }
    }
    return pos === size
  } finally {
    await fh.close()
  }
}
