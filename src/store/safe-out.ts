/**
 * Checks and filesystem steps for writing untrusted trees (a fetched DAG, a bought listing) to
 * disk: names that stay one path component, at most once per directory, and directories that
 * are created or checked without following a symlink.
 */
import { lstat, mkdir, open, realpath } from 'node:fs/promises'
import { basename, dirname, join, resolve } from 'node:path'
import { OutputExistsError, UnsafePathError } from './errors.ts'

/** The longest name (bytes) Linux, macOS and Windows file systems all take. */
const MAX_NAME_BYTES = 255
/** Characters Windows refuses in a name, and its device names (`NUL`, `COM1.txt`). */
const WIN_BAD = /[<>:"|?*\\]|[. ]$/
const WIN_DEVICE = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\..*)?$/i

/** Whether `name` holds a C0 control character (Windows refuses them in names). */
function hasControl (name: string): boolean {
  for (let i = 0; i < name.length; i++) if (name.charCodeAt(i) < 0x20) return true
  return false
}

/**
 * Throws `UnsafePathError` unless `name` is one safe path component on this platform.
 *
 * Policy: names come from strangers (DAG links, listing paths). Empty, `.`, `..`, anything with
 * `/` or NUL, or longer than 255 bytes is refused everywhere; on Windows also `\`, `:` and the
 * other reserved characters and device names.
 */
export function assertSafeName (name: string, platform: NodeJS.Platform = process.platform): void {
  const bad = name === '' || name === '.' || name === '..' || name.includes('/') || name.includes('\0') ||
    Buffer.byteLength(name) > MAX_NAME_BYTES || (platform === 'win32' && (WIN_BAD.test(name) || WIN_DEVICE.test(name) || hasControl(name)))
  if (bad) throw new UnsafePathError(`refusing unsafe name ${JSON.stringify(name)}`)
}

/**
 * The form under which the platform's usual file system compares names: as is on Linux; folded
 * case and normalisation on macOS (APFS, HFS+) and Windows (NTFS), where `A` and `a` are one entry.
 */
export function nameKey (name: string, platform: NodeJS.Platform = process.platform): string {
  return platform === 'darwin' || platform === 'win32' ? name.normalize('NFC').toLowerCase() : name
}

/**
 * The names seen in one directory of a tree being written.
 *
 * Policy: dag-pb allows one name twice in a directory (and a listing's paths could collide by
 * case); the second would land on, or beneath, what the first created. A duplicate is refused.
 */
export class NameSet {
  readonly #seen = new Set<string>()

  /** Check `name` ({@link assertSafeName}) and record it; throws `UnsafePathError` if it is already here. */
  add (name: string): void {
    assertSafeName(name)
    const key = nameKey(name)
    if (this.#seen.has(key)) throw new UnsafePathError(`refusing duplicate name ${JSON.stringify(name)} in one directory`)
    this.#seen.add(key)
  }
}

/** What is at `path`, without following a symlink there. */
export async function entryKind (path: string): Promise<'none' | 'file' | 'directory' | 'symlink' | 'other'> {
  try {
    const st = await lstat(path)
    return st.isSymbolicLink() ? 'symlink' : st.isDirectory() ? 'directory' : st.isFile() ? 'file' : 'other'
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return 'none'
    throw err
  }
}

/**
 * The absolute output path the user chose, with the symlinks the user put in it resolved (their
 * choice, like any shell's): missing parents are created, an existing path is resolved itself.
 * Nothing beneath it is ever followed.
 */
export async function outputRoot (out: string): Promise<string> {
  const abs = resolve(out)
  if (await entryKind(abs) !== 'none') return realpath(abs)
  await mkdir(dirname(abs), { recursive: true })
  return join(await realpath(dirname(abs)), basename(abs))
}

/**
 * Make directory `dir` in a parent that was created or checked by the caller: a new directory
 * (mkdir, not recursive), or an existing real directory merged into. Returns whether it is new.
 *
 * Policy: a symlink where a directory goes is never followed (`UnsafePathError`); a file there
 * is not replaced (`OutputExistsError`).
 */
export async function makeDir (dir: string): Promise<boolean> {
  try {
    await mkdir(dir, { mode: 0o777 })
    return true
  } catch (err) {
    if ((err as { code?: string }).code !== 'EEXIST') throw err
  }
  const kind = await entryKind(dir)
  if (kind === 'directory') return false
  if (kind === 'symlink') throw new UnsafePathError(`refusing to write beneath the symlink ${JSON.stringify(dir)}`)
  throw new OutputExistsError(`${JSON.stringify(dir)} exists and is not a directory`)
}

/**
 * Whether a file may be written at `file`: nothing there, or a file or symlink that `force`
 * allows to replace (a rename replaces a symlink itself, never its target). Throws
 * `OutputExistsError` otherwise.
 */
export async function assertReplaceable (file: string, force: boolean): Promise<'none' | 'file' | 'symlink'> {
  const kind = await entryKind(file)
  if (kind === 'none') return kind
  if ((kind === 'file' || kind === 'symlink') && force) return kind
  throw new OutputExistsError(kind === 'file' || kind === 'symlink'
    ? `${JSON.stringify(file)} exists (use --force to replace it)`
    : `${JSON.stringify(file)} exists and is not a file`)
}

/** fsync each directory, so the entries renamed or created in it survive a crash. */
export async function syncDirs (dirs: Iterable<string>): Promise<void> {
  for (const d of dirs) {
    const fh = await open(d, 'r')
    try { await fh.sync() } finally { await fh.close() }
  }
}
