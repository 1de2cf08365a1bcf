/**
 * Writing blocks into a blockstore-fs directory for an import, cheaper than `FsBlockstore.put`
 * and as crash-consistent: each block is written to a temp file of its own and renamed onto its
 * name, so a kill at any moment leaves either no file or the complete block under a CID's name
 * (stray `*.tmp` files are removed by `gc`).
 *
 * What it saves per block: the `mkdir -p` of the shard directory (done once per directory), and,
 * for blocks held in an {@link AlignedArena} buffer, the page cache. Those are written with
 * `O_DIRECT` (whole 4 KiB pages from the aligned buffer straight to the device; the tail of an
 * odd-sized block through the page cache): a buffered write first allocates and fills page cache
 * for every byte, which was most of the CPU an import spent besides hashing (measured on a VM:
 * ~2 s of kernel time per GiB when the guest's memory is fresh, i.e. reclaimed by the host), and
 * it evicts other cached data for blocks that are rarely read soon after an add. A filesystem
 * that refuses `O_DIRECT` (EINVAL) gets buffered writes.
 */
import { constants } from 'node:fs'
import { mkdir, open, rename, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import type { FsBlockstore } from 'blockstore-fs'
import type { CID } from 'multiformats/cid'

/** O_DIRECT writes need the buffer, offset and length aligned; a page covers every device. */
export const DIRECT_ALIGN = 4096

/** Where a blockstore-fs store keeps a block: its directory and sharding strategy's `encode`. */
export interface BlockNaming {
  readonly path: string
  readonly encode: (cid: CID) => { dir: string, file: string }
}

/** The naming of an `FsBlockstore` (its sharding strategy is private in the types, not at run time). */
export function namingOf (store: FsBlockstore): BlockNaming {
  const strategy = (store as unknown as { shardingStrategy: { encode: BlockNaming['encode'] } }).shardingStrategy
  return { path: store.path, encode: cid => strategy.encode(cid) }
}

/** The one WebAssembly API used here (the project's type libraries do not declare WebAssembly). */
const { Memory } = (globalThis as unknown as { WebAssembly: { Memory: new (d: { initial: number, maximum: number, shared: true }) => { buffer: SharedArrayBuffer } } }).WebAssembly

/**
 * One page-aligned region to carve buffers from (a shared WebAssembly memory: the only
 * allocation JavaScript can get page-aligned; shared, so hash workers see it without a copy). A
 * view's address is aligned when its offset is.
 */
export class AlignedArena {
  readonly #buffer: SharedArrayBuffer

  constructor (bytes: number) {
    const pages = Math.ceil(bytes / 65536)
    this.#buffer = new Memory({ initial: pages, maximum: pages, shared: true }).buffer
  }

  /** The whole region (what hash workers are given). */
  get memory (): SharedArrayBuffer { return this.#buffer }

  /** Whether `b` lies in this arena at an aligned offset (so its address is aligned). */
  holdsAligned (b: Uint8Array): boolean {
    return b.buffer === this.#buffer && b.byteOffset % DIRECT_ALIGN === 0
  }
}

const isEinval = (err: unknown): boolean => (err as NodeJS.ErrnoException).code === 'EINVAL'

/** Writes blocks into a blockstore-fs directory (see the module comment). */
export class BlockFileWriter {
  readonly #naming: BlockNaming
  readonly #arena?: AlignedArena
  readonly #dirs = new Map<string, Promise<unknown>>()
  #direct: boolean
  #seq = 0

  readonly #open: typeof open

  /** `options.open` replaces `fs/promises.open` (tests simulate filesystems with it). */
  constructor (naming: BlockNaming, arena?: AlignedArena, options: { open?: typeof open } = {}) {
    this.#naming = naming
    this.#arena = arena
    this.#direct = arena != null && constants.O_DIRECT != null
    this.#open = options.open ?? open
  }

  /** Whether writes still use O_DIRECT (false once the filesystem refused it). */
  get direct (): boolean { return this.#direct }

  readonly put = async (cid: CID, bytes: Uint8Array): Promise<CID> => {
    const { dir, file } = this.#naming.encode(cid)
    const shard = join(this.#naming.path, dir)
    let made = this.#dirs.get(shard)
    if (made == null) {
      made = mkdir(shard, { recursive: true })
      this.#dirs.set(shard, made)
      made.catch(() => this.#dirs.delete(shard))
    }
    await made
    const tmp = join(shard, `.${file}.${process.pid}.${this.#seq++}.tmp`)
    try {
      const direct = this.#direct && this.#arena?.holdsAligned(bytes) === true && bytes.byteLength >= DIRECT_ALIGN
      if (!direct || !await this.#writeDirect(tmp, bytes)) await this.#writeBuffered(tmp, bytes, 0, 'wx')
      await rename(tmp, join(shard, file))
    } catch (err) {
      await unlink(tmp).catch(() => {})
      throw err
    }
    return cid
  }

  /** False when the filesystem refuses O_DIRECT (then nothing was written and it is not tried again). */
  async #writeDirect (tmp: string, bytes: Uint8Array): Promise<boolean> {
    const whole = bytes.byteLength - (bytes.byteLength % DIRECT_ALIGN)
    let fh
    try {
      fh = await this.#open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_DIRECT, 0o666)
    } catch (err) {
      if (!isEinval(err)) throw err
      this.#direct = false
      return false
    }
    try {
      let n = 0
      while (n < whole) {
        const { bytesWritten } = await fh.write(bytes, n, whole - n, n)
        n += bytesWritten
      }
    } catch (err) {
      await fh.close()
      if (!isEinval(err)) throw err
      this.#direct = false
      await unlink(tmp)
      return false
    }
    await fh.close()
    if (whole < bytes.byteLength) await this.#writeBuffered(tmp, bytes, whole, 'r+')
    return true
  }

  async #writeBuffered (tmp: string, bytes: Uint8Array, from: number, flags: string): Promise<void> {
    const fh = await this.#open(tmp, flags, 0o666)
    try {
      let n = from
      while (n < bytes.byteLength) {
        const { bytesWritten } = await fh.write(bytes, n, bytes.byteLength - n, n)
        n += bytesWritten
      }
    } finally {
      await fh.close()
    }
  }
}
