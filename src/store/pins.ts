/**
 * Recursive pins, kept in the datastore under `/pins/<cid v1>`.
 */
import { Key } from 'interface-datastore'
import { CID } from 'multiformats/cid'
import { drain, walkDag } from './dag.ts'
import { NotPinnedError } from './errors.ts'
import type { BlockReader } from './dag.ts'
import type { AbortOptions } from '@libp2p/interface'
import type { Datastore } from 'interface-datastore'

/** A pin as listed. */
export interface Pin {
  cid: CID
  type: 'recursive'
  /** Milliseconds since the epoch. */
  created: number
}

const PREFIX = '/pins/'

function pinKey (cid: CID): Key {
  return new Key(PREFIX + cid.toV1().toString())
}

/** Pins over a datastore. */
export class Pins {
  readonly #ds: Datastore

  constructor (datastore: Datastore) {
    this.#ds = datastore
  }

  /**
   * Pin `cid` recursively. Every block of the DAG must already be in `blocks` (the walk throws
   * `BlockNotFoundError` otherwise), so a pin always protects a complete DAG.
   */
  async add (cid: CID, blocks: BlockReader, options?: AbortOptions): Promise<Pin> {
    await drain(walkDag(blocks, cid, options))
    return this.addUnsafe(cid, options)
  }

  /**
   * Pin without checking that the DAG is complete: only for a DAG this process has just written
   * in full (an import), where the check would read every block back.
   */
  async addUnsafe (cid: CID, options?: AbortOptions): Promise<Pin> {
    const pin: Pin = { cid, type: 'recursive', created: Date.now() }
    await this.#ds.put(pinKey(cid), new TextEncoder().encode(JSON.stringify({ cid: cid.toString(), type: pin.type, created: pin.created })), options)
    return pin
  }

  /** Remove a pin; throws `NotPinnedError` if there is none. */
  async rm (cid: CID, options?: AbortOptions): Promise<void> {
    if (!await this.has(cid, options)) throw new NotPinnedError(`${cid} is not pinned`)
    await this.#ds.delete(pinKey(cid), options)
  }

  /** Whether `cid` is pinned (any CID version). */
  async has (cid: CID, options?: AbortOptions): Promise<boolean> {
    return this.#ds.has(pinKey(cid), options)
  }

  /** Every pin. */
  async * ls (options?: AbortOptions): AsyncGenerator<Pin> {
    for await (const { value } of this.#ds.query({ prefix: PREFIX }, options)) {
      const v = JSON.parse(new TextDecoder().decode(value)) as { cid: string, type: 'recursive', created: number }
      yield { cid: CID.parse(v.cid), type: v.type, created: v.created }
    }
  }
}
