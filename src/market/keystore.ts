/**
 * The seller's content keys, kept beside the repo: one file per key, named by the key's
 * commitment, readable by the owner only (mode 0600 in a 0700 directory), written atomically.
 */
import { mkdir, readFile, chmod } from 'node:fs/promises'
import { join } from 'node:path'
import { writeFileAtomic } from '../store/index.ts'
import { commitContentKey } from '../seal.ts'
import { ContentKeyMissingError, KeyCommitmentMismatchError } from './errors.ts'
import { assertBytes } from './keys.ts'

/** The directory inside the repo that holds content keys. */
export const CONTENT_KEY_DIR = 'market-keys'

/** Content keys of our paid listings, by commitment. */
export class ContentKeyStore {
  readonly dir: string

  constructor (repoPath: string) {
    this.dir = join(repoPath, CONTENT_KEY_DIR)
  }

  /**
   * Stores `key` and returns its commitment. Policy: the file is 0600 and the directory 0700:
   * whoever reads a content key can decrypt the goods without paying.
   */
  async put (key: Uint8Array): Promise<Uint8Array> {
    assertBytes(key, 32, 'content key')
    await mkdir(this.dir, { recursive: true, mode: 0o700 })
    await chmod(this.dir, 0o700)
    const commitment = commitContentKey(key)
    await writeFileAtomic(this.file(commitment), key, 0o600)
    return commitment
  }

  /** The key for `commitment`; `ContentKeyMissingError` if we do not hold it. */
  async get (commitment: Uint8Array): Promise<Uint8Array> {
    let key: Uint8Array
    try {
      key = new Uint8Array(await readFile(this.file(commitment)))
    } catch (err) {
      throw new ContentKeyMissingError(`no content key for commitment ${hex(commitment)} in ${this.dir}`, { cause: err })
    }
    if (key.length !== 32 || hex(commitContentKey(key)) !== hex(commitment)) {
      throw new KeyCommitmentMismatchError(`the stored content key ${this.file(commitment)} does not match its commitment`)
    }
    return key
  }

  private file (commitment: Uint8Array): string {
    assertBytes(commitment, 32, 'key commitment')
    return join(this.dir, hex(commitment))
  }
}

function hex (b: Uint8Array): string {
  return Buffer.from(b).toString('hex')
}
