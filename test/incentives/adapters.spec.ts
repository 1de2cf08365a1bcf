import { generateKeyPair as libp2pKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { MemoryDatastore } from 'datastore-core'
import { base58btc } from 'multiformats/bases/base58'
import { describe, expect, it } from 'vitest'
import { ledgerChainView, marketEligibleSource, peerIdOfHotkey } from '../../src/incentives/adapters.ts'
import { createListing } from '../../src/market/listing.ts'
import { ListingIndex } from '../../src/market/listing-index.ts'
import { publicKeyOf } from '../../src/market/keys.ts'
import { DAY, OTHER_SECRET, SELLER_SECRET, T0, openModelParams } from '../market/helpers.ts'
import { peerIdFromString } from '@libp2p/peer-id'
import type { ChainView } from '../../src/incentives/validator-types.ts'
import { createLedger, devGenesis, fromAddress, parseGenesis, toAddress } from '../../src/ledger/index.ts'
import { hotkeyAddress, hotkeySeed } from '../../src/ledger/service.ts'

describe('incentives: adapters', () => {
  it('default: a hotkey maps to the peer id of the libp2p key it is, both ways through its SS58 address', async () => {
    for (let i = 0; i < 4; i++) {
      const key = await libp2pKeyPair('Ed25519')
      const address = hotkeyAddress(key)
      // The ledger's hotkey is the 32-byte public half of the same key.
      expect(fromAddress(address)).toEqual(key.publicKey.raw)
      expect(toAddress(key.publicKey.raw)).toBe(address)
      expect(peerIdOfHotkey(fromAddress(address))).toBe(peerIdFromPrivateKey(key).toString())
      // Independently: identity multihash (0x00, length 0x24) of the protobuf PublicKey
      // { Type = Ed25519 (0x08 0x01), Data = 32 bytes (0x12 0x20) }, in base58btc.
      const expected = base58btc.baseEncode(Uint8Array.from([0x00, 0x24, 0x08, 0x01, 0x12, 0x20, ...key.publicKey.raw]))
      expect(peerIdOfHotkey(key.publicKey.raw)).toBe(expected)
    }
  })

  it('behavior: the chain view of a real ledger reads head, block hashes, subnet parameters and the metagraph', async () => {
    const key = await libp2pKeyPair('Ed25519')
    const seed = hotkeySeed(key)
    const genesis = parseGenesis(devGenesis(hotkeyAddress(key), toAddress(new Uint8Array(32).fill(5)), 1000))
    const ledger = await createLedger({ datastore: new MemoryDatastore(), genesis, authorityKey: seed })
    try {
      const b1 = await ledger.produceBlock()
      const b2 = await ledger.produceBlock()
      const view = ledgerChainView(ledger)
      expect(await view.head()).toBe(2)
      expect(Buffer.from(await view.blockHash(1)).toString('hex')).toBe(b1.hash)
      expect(Buffer.from(await view.blockHash(2)).toString('hex')).toBe(b2.hash)
      await expect(view.blockHash(3)).rejects.toThrow(RangeError)
      // The root network (netuid 0) exists at genesis, with no neurons yet.
      const root = await view.subnet(0)
      expect(root).toMatchObject({ n: 0, tempo: genesis.params.rootTempo })
      expect(await view.metagraph(0)).toEqual([])
      await expect(view.subnet(1)).rejects.toThrow(RangeError)
    } finally {
      await ledger.stop()
    }
  })

  it('behavior: paid listings are eligible too, sized as the ciphertext miners store', async () => {
    const index = new ListingIndex({ datastore: new MemoryDatastore() }, { now: () => T0 + DAY })
    await index.start()
    try {
      await index.add(createListing(openModelParams({ name: 'free-model' }), SELLER_SECRET).bytes)
      await index.add(createListing(openModelParams({
        name: 'paid-model', price: 5_000_000_000n, keyCommitment: new Uint8Array(32).fill(1), encryption: { alg: 'xchacha20poly1305-chunked/1', chunkSize: 65_536 }
      }), SELLER_SECRET).bytes)
      const miner = publicKeyOf(OTHER_SECRET)
      const minerId = peerIdOfHotkey(miner)
      const chain = { metagraph: async () => [{ uid: 1, hotkey: miner, permit: false, lastUpdate: 0 }] } as unknown as ChainView
      const source = marketEligibleSource({
        chain,
        index: () => index,
        findProviders: async function * () { yield { id: peerIdFromString(minerId), multiaddrs: [] } },
        selfHotkey: publicKeyOf(SELLER_SECRET)
      })
      const sizes = new Map<string, number[]>()
      for (const e of await source.eligible(1, { seed: new Uint8Array(32) })) {
        expect(e.minerPeerId).toBe(minerId)
        const name = (await index.get(e.listingCid))?.record.name ?? ''
        sizes.set(name, [...(sizes.get(name) ?? []), e.fileSize].sort((a, b) => a - b))
      }
      // The helper's files are 1234 and 56 bytes. Open: probed as they are. Paid: each file is one
      // 64 KiB chunk, stored as a 40-byte header + the bytes + one 16-byte tag: 1290 and 112.
      expect(sizes.get('free-model')).toEqual([56, 1234])
      expect(sizes.get('paid-model')).toEqual([112, 1290])
    } finally {
      await index.stop()
    }
  })

  it('behavior: a listing named by a verified fraud report is never drawn; the publisher\'s other listings still are', async () => {
    const index = new ListingIndex({ datastore: new MemoryDatastore() }, { now: () => T0 + DAY })
    await index.start()
    try {
      const reported = createListing(openModelParams({ name: 'reported' }), SELLER_SECRET)
      await index.add(reported.bytes)
      await index.add(createListing(openModelParams({ name: 'other' }), SELLER_SECRET).bytes)
      const miner = publicKeyOf(OTHER_SECRET)
      const chain = { metagraph: async () => [{ uid: 1, hotkey: miner, permit: false, lastUpdate: 0 }] } as unknown as ChainView
      const source = (isReported?: (l: { id: { equals: (c: unknown) => boolean } }) => boolean): ReturnType<typeof marketEligibleSource> => marketEligibleSource({
        chain,
        index: () => index,
        findProviders: async function * () { yield { id: peerIdFromString(peerIdOfHotkey(miner)), multiaddrs: [] } },
        selfHotkey: publicKeyOf(SELLER_SECRET),
        isReported
      })
      const names = async (s: ReturnType<typeof marketEligibleSource>): Promise<string[]> => {
        const out = new Set<string>()
        for (const e of await s.eligible(1, { seed: new Uint8Array(32) })) out.add((await index.get(e.listingCid))?.record.name ?? '')
        return [...out].sort()
      }
      expect(await names(source())).toEqual(['other', 'reported'])
      expect(await names(source(l => l.id.equals(reported.id)))).toEqual(['other'])
    } finally {
      await index.stop()
    }
  })
})
