/**
 * Fuzzing Bitswap's message decoding through a real node. `@helia/bitswap` exports no decoder
 * (its package exports only the mixin), so random and mutated frames go to the
 * `/ipfs/bitswap/1.2.0` handler of an in-process node over a real connection (TCP on
 * 127.0.0.1). The node must stay up and still answer a valid WANT afterwards with the block.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { byteStream } from '@libp2p/utils'
import { MemoryBlockstore } from 'blockstore-core'
import { MemoryDatastore } from 'datastore-core'
import fc from 'fast-check'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createNetwork } from '../../src/dht/index.ts'
import { fuzzBudget } from './budget.ts'
import { concat, hostileBytes } from './mutate.ts'
import type { Network } from '../../src/dht/index.ts'
import type { Stream } from '@libp2p/interface'

const budget = fuzzBudget(1)
const BITSWAP = '/ipfs/bitswap/1.2.0'

/** A protobuf varint. */
function varint (n: number): Uint8Array {
  const out: number[] = []
  while (n >= 0x80) { out.push((n % 128) | 0x80); n = Math.floor(n / 128) }
  out.push(n)
  return Uint8Array.from(out)
}

/** A protobuf length-delimited field. */
const field = (tag: number, bytes: Uint8Array): Uint8Array => concat(Uint8Array.of(tag << 3 | 2), varint(bytes.length), bytes)

/**
 * A Bitswap 1.2.0 message wanting `cid` (bitswap `message.proto`): Message.wantlist(1) →
 * Wantlist.entries(1) → Entry { block(1) = cid, priority(2) = 1, wantType(4) = Block (0),
 * sendDontHave(5) = true }, framed with its varint length as on the wire.
 */
function wantMessage (cid: CID): Uint8Array {
  const entry = concat(field(1, cid.bytes), Uint8Array.of(0x10, 0x01, 0x20, 0x00, 0x28, 0x01))
  const body = field(1, field(1, entry))
  return concat(varint(body.length), body)
}

describe('fuzz: Bitswap message handling', () => {
  let server: Network
  let client: Network
  // `decoy` is what the fuzzed frames want (mutated); `data` is asked for only once, at the end,
  // so no earlier (possibly valid) WANT of it can have been answered already
  const decoy = new TextEncoder().encode('a block the fuzzed frames ask for')
  const data = new TextEncoder().encode('a block that the fuzzed node must still serve afterwards: 0123456789')
  let cid: CID
  let decoyCid: CID
  const received: Uint8Array[] = []

  beforeAll(async () => {
    const blockstore = new MemoryBlockstore()
    cid = CID.createV1(raw.code, await sha256.digest(data))
    await blockstore.put(cid, data)
    decoyCid = CID.createV1(raw.code, await sha256.digest(decoy))
    await blockstore.put(decoyCid, decoy)
    server = await createNetwork({ privateKey: await generateKeyPair('Ed25519'), blockstore, datastore: new MemoryDatastore(), network: 'lan' })
    client = await createNetwork({ privateKey: await generateKeyPair('Ed25519'), blockstore: new MemoryBlockstore(), datastore: new MemoryDatastore(), bitswap: false, network: 'lan' })
    // the client side of Bitswap by hand: answers come on streams the server opens to us
    await client.libp2p.handle(BITSWAP, async (stream: Stream) => {
      // the server sends each message on a stream it leaves open: read until it goes quiet for
      // 500 ms, then close our side, so open streams never reach the server's stream limit
      const bytes = byteStream(stream)
      while (true) {
        const chunk = await bytes.read({ signal: AbortSignal.timeout(500) }).catch(() => null)
        if (chunk == null) break
        received.push(chunk.subarray())
      }
      await stream.close().catch(() => { stream.abort(new Error('closed by the test')) })
    })
    await client.connect(server.addresses()[0])
  })

  afterAll(async () => {
    await client?.stop()
    await server?.stop()
  })

  /** Opens a Bitswap stream to the server, writes `bytes`, closes; a reset by the server is fine. */
  async function send (bytes: Uint8Array): Promise<void> {
    const stream = await client.libp2p.dialProtocol(server.peerId, BITSWAP)
    try {
      if (bytes.length > 0) await byteStream(stream).write(bytes)
      await stream.close()
    } catch {
      stream.abort(new Error('closed by the test'))
    }
  }

  it('random and mutated frames leave the node up, and it answers a valid WANT with the block after them', async () => {
    const valid = [wantMessage(decoyCid), wantMessage(CID.createV1(raw.code, await sha256.digest(Uint8Array.of(1))))]
    await fc.assert(fc.asyncProperty(hostileBytes(...valid), async bytes => {
      await send(bytes)
    }), budget.params(40))
    // the node is still up: the connection holds and a valid WANT brings the block back
    received.length = 0
    await send(wantMessage(cid))
    await expect.poll(() => Buffer.concat(received).indexOf(Buffer.from(data)) >= 0, { timeout: 10_000, interval: 50 }).toBe(true)
    expect(server.libp2p.status).toBe('started')
  }, budget.timeout)
})
