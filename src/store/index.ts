/**
 * The content store: blocks on disk, UnixFS import/export, pins and upkeep, over an open repo.
 */
import { join } from 'node:path'
import { addPath, addStream } from './add.ts'
import { exportCar } from './car.ts'
import { getBlock, localReader } from './dag.ts'
import { RwLock } from './lock.ts'
import { gc, repoStat, verifyBlocks } from './maintenance.ts'
import { Pins } from './pins.ts'
import { cat, dagSize, getToPath, ls, readChunks, resolveEntry, entrySize } from './read.ts'
import { REPO_FILES } from './repo.ts'
import type { AddOptions, AddProgress, AddResult } from './add.ts'
import type { BlockSource, Lent } from './block-read.ts'
import type { BlockReader } from './dag.ts'
import type { GcResult, RepoStat, VerifyResult } from './maintenance.ts'
import type { Pin } from './pins.ts'
import type { CatOptions, GetOptions, GetResult, LsEntry, ReadChunksOptions } from './read.ts'
import type { Repo } from './repo.ts'
import type { ImportProfile } from '../config.ts'
import type { AbortOptions } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'

export { parseCid, parseCidPath } from './cid.ts'
export { initRepo, openRepo, readConfig, readApiToken, resolveRepoPath, isRepoInitialized, REPO_FILES } from './repo.ts'
export { blockFile } from './maintenance.ts'
export { writeChunksTo, writeFileFromChunks } from './write-out.ts'
export { assertReplaceable, assertSafeName, entryKind, makeDir, NameSet, outputRoot, syncDirs } from './safe-out.ts'
export * from './errors.ts'
export type { Repo, InitRepoOptions } from './repo.ts'
export type { AddProgress, AddResult, BlockReader, CatOptions, GcResult, GetOptions, GetResult, Lent, LsEntry, Pin, RepoStat, VerifyResult }
export type { CorruptBlock } from './maintenance.ts'

/** Options for {@link ContentStore.add}. */
export interface StoreAddOptions extends AbortOptions {
  /** CID profile. @default the repo's `import.profile` */
  profile?: ImportProfile
  /** Pin the result. @default true */
  pin?: boolean
  onProgress?: (p: AddProgress) => void
}

/** Options for read operations. */
export interface ReadOptions extends AbortOptions {
  /**
   * Where blocks are read from. The node passes a reader that fetches missing blocks from the
   * network (verified); the default reads only the local blockstore.
   */
  blocks?: BlockReader
}

/** Stat of a CID path. */
export interface ObjectStat {
  cid: CID
  type: string
  /** Content bytes (files), 0 for directories. */
  size: number
  /** Bytes of all blocks of the DAG (approximately what a full fetch transfers). */
  dagSize: number
}

/** Content operations over a repo. */
export class ContentStore {
  readonly repo: Repo
  readonly pins: Pins
  /** Held shared by imports and fetches, exclusively by gc. */
  readonly lock = new RwLock()

  /** Reads the local blockstore only; missing blocks are `BlockNotFoundError`. */
  readonly local: BlockReader

  /** The repo's block files, which the file reader reads straight into reused buffers. */
  readonly #files: BlockSource

  constructor (repo: Repo) {
    this.repo = repo
    this.pins = new Pins(repo.datastore)
    this.local = localReader(repo.blockstore)
    this.#files = { blocksDir: join(repo.path, REPO_FILES.blocks) }
  }

  #opts (o: StoreAddOptions): AddOptions {
    return { profile: o.profile ?? this.repo.config.import.profile, onProgress: o.onProgress, signal: o.signal }
  }

  /** Import a file or directory from the local filesystem, and pin it (unless `pin: false`). */
  async add (path: string, options: StoreAddOptions = {}): Promise<AddResult & { profile: ImportProfile }> {
    const o = this.#opts(options)
    return this.lock.shared(async () => {
      const r = await addPath(this.repo.blockstore, path, o)
      if (options.pin !== false) await this.pins.addUnsafe(r.cid, options)
      return { ...r, profile: o.profile }
    })
  }

  /** Import a byte stream as one file, and pin it (unless `pin: false`). */
  async addStream (source: AsyncIterable<Uint8Array>, options: StoreAddOptions = {}): Promise<AddResult & { profile: ImportProfile }> {
    const o = this.#opts(options)
    return this.lock.shared(async () => {
      const r = await addStream(this.repo.blockstore, source, o)
      if (options.pin !== false) await this.pins.addUnsafe(r.cid, options)
      return { ...r, profile: o.profile }
    })
  }

  /** Stream a file's bytes, each chunk the caller's to keep. Every block is verified against its CID. */
  cat (cid: CID, path = '', options: CatOptions & ReadOptions = {}): AsyncGenerator<Uint8Array> {
    return cat(options.blocks ?? this.local, cid, path, { ...options, source: options.blocks ?? this.#files })
  }

  /**
   * Stream a file's bytes as lent chunks, in bounded memory: call `release()` on each once its
   * bytes are written (then its buffer is reused); see `writeChunksTo` for a Node writable.
   * Every block is verified against its CID.
   */
  read (cid: CID, path = '', options: Omit<ReadChunksOptions, 'source'> & ReadOptions = {}): AsyncGenerator<Lent> {
    return readChunks(options.blocks ?? this.local, cid, path, { ...options, source: options.blocks ?? this.#files })
  }

  /** List a directory. */
  ls (cid: CID, path = '', options: ReadOptions = {}): AsyncGenerator<LsEntry> {
    return ls(options.blocks ?? this.local, cid, path, options)
  }

  /** Type and size of what `cid`/`path` resolves to. */
  async stat (cid: CID, path = '', options: ReadOptions = {}): Promise<ObjectStat> {
    const e = await resolveEntry(options.blocks ?? this.local, cid, path, options)
    return { cid: e.cid, type: e.type, size: entrySize(e), dagSize: dagSize(e) }
  }

  /**
   * Write a file or directory tree to `out`, in bounded memory; each file is written beside its
   * final name and renamed into place once complete. Every block is verified against its CID.
   * Nothing is written outside `out` (see {@link getToPath} for the policy).
   */
  async get (cid: CID, path: string, out: string, options: Omit<GetOptions, 'source'> & ReadOptions = {}): Promise<GetResult> {
    return getToPath(options.blocks ?? this.local, cid, path, out, { ...options, source: options.blocks ?? this.#files })
  }

  /** One raw block (local only unless `blocks` is given). */
  async block (cid: CID, options: ReadOptions = {}): Promise<Uint8Array> {
    return getBlock(options.blocks ?? this.local, cid, options)
  }

  /** CARv1 of `cid`/`path` (path blocks, then the whole target DAG). */
  car (cid: CID, path = '', options: ReadOptions = {}): AsyncGenerator<Uint8Array> {
    return exportCar(options.blocks ?? this.local, cid, path, options)
  }

  /** Pin `cid` recursively (its DAG must be complete in the local store). */
  async pin (cid: CID, options?: AbortOptions): Promise<Pin> {
    return this.pins.add(cid, this.repo.blockstore, options)
  }

  /** Remove unpinned blocks. Waits for running imports and fetches. */
  async gc (options?: AbortOptions): Promise<GcResult> {
    return this.lock.exclusive(async () => gc(this.repo.blockstore, this.pins, join(this.repo.path, REPO_FILES.blocks), options))
  }

  /** Re-hash every block. */
  async verify (options?: AbortOptions): Promise<VerifyResult> {
    return verifyBlocks(this.repo.blockstore, join(this.repo.path, REPO_FILES.blocks), options)
  }

  /** Block count, bytes and pins. */
  async repoStat (options?: AbortOptions): Promise<RepoStat & { path: string }> {
    return { path: this.repo.path, ...await repoStat(this.repo.blockstore, this.pins, options) }
  }
}
export { writeFileAtomic } from './atomic.ts'
export { CODECS, getBlock, links } from './dag.ts'
