import { generateKeyPair as libp2pKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { MemoryDatastore } from 'datastore-core'
import { base58btc } from 'multiformats/bases/base58'
import { describe, expect, it } from 'vitest'
import { ledgerChainView, peerIdOfHotkey } from '../../src/incentives/adapters.ts'
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
})
