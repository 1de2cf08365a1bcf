/**
 * The round's draw of listed files (src/incentives/draw.ts): equal turns per publisher, caps per
 * listing and per publisher, known publishers first, and nothing a publisher sets (its
 * `created`) moves it. Then the eligible source on a real listing index: a listing dated minutes
 * ahead does not change the honest miners' share of the tasks, over many rounds.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { peerIdFromString } from '@libp2p/peer-id'
import { MemoryDatastore } from 'datastore-core'
import { describe, expect, it } from 'vitest'
import { marketEligibleSource, peerIdOfHotkey } from '../../src/incentives/adapters.ts'
import { drawEligible } from '../../src/incentives/draw.ts'
import { publicKeyOf } from '../../src/market/keys.ts'
import { createListing } from '../../src/market/listing.ts'
import { ListingIndex } from '../../src/market/listing-index.ts'
import { DAY, T0, openModelParams, rawCid } from '../market/helpers.ts'
import type { DrawListing } from '../../src/incentives/draw.ts'
import type { ChainView } from '../../src/incentives/validator-types.ts'

const enc = (s: string): Uint8Array => new TextEncoder().encode(s)
const seedOf = (i: number): Uint8Array => sha256(enc(`round ${i}`))
const key = (name: string): Uint8Array => sha256(enc(`publisher ${name}`))

function listing (id: string, publisher: string, files: number, known = false): DrawListing {
  return { id: rawCid(id).toString(), publisher: key(publisher), known, files: Array.from({ length: files }, (_, i) => ({ cid: rawCid(`${id} file ${i}`).toString() })) }
}

describe('eligible draw', () => {
  it('behavior: publishers take equal turns; caps per listing and per publisher hold; the input order changes nothing', () => {
    // "big" has 10 listings of 10 files, "small" 1 listing of 1 file, "mid" 1 listing of 3
    const ls = [
      ...Array.from({ length: 10 }, (_, i) => listing(`big ${i}`, 'big', 10)),
      listing('small', 'small', 1),
      listing('mid', 'mid', 3)
    ]
    const drawn = drawEligible(ls, seedOf(0), { maxFiles: 64, perListing: 2, perPublisher: 5 })
    const count = (p: string): number => drawn.filter(d => d.listing.publisher.every((b, i) => b === key(p)[i])).length
    // big: capped at 5 files (of 100), at most 2 from any listing; mid: 2 of 3 (per listing); small: 1
    expect([count('big'), count('mid'), count('small')]).toEqual([5, 2, 1])
    for (const l of ls) expect(drawn.filter(d => d.listing.id === l.id).length).toBeLessThanOrEqual(2)
    // with room for 3, each publisher gets one file: one turn each in the first pass
    const three = drawEligible(ls, seedOf(0), { maxFiles: 3 })
    expect(new Set(three.map(d => Buffer.from(d.listing.publisher).toString('hex'))).size).toBe(3)
    // the same set in another order draws the same files
    expect(drawEligible([...ls].reverse(), seedOf(0), { maxFiles: 64, perListing: 2, perPublisher: 5 })).toEqual(drawn)
    // another seed, another order of turns
    const firsts = new Set(Array.from({ length: 20 }, (_, i) => drawEligible(ls, seedOf(i), { maxFiles: 1 })[0].listing.id))
    expect(firsts.size).toBeGreaterThan(1)
  })

  it('behavior: publishers the chain knows take their turns before the others', () => {
    const ls = [...Array.from({ length: 50 }, (_, i) => listing(`flood ${i}`, `fresh ${i}`, 1)), listing('registered', 'registered', 1, true)]
    for (let i = 0; i < 20; i++) expect(drawEligible(ls, seedOf(i), { maxFiles: 1 })[0].listing.id).toBe(rawCid('registered').toString())
  })

  it('security: a listing dated 4 minutes ahead does not change the honest miners\' share of the drawn tasks, over 200 rounds', async () => {
    const now = T0 + DAY
    const honestMiner = publicKeyOf(sha256(enc('honest miner')))
    const attackerMiner = publicKeyOf(sha256(enc('attacker miner')))
    const minerOf = new Map<string, Uint8Array>()
    const shares: number[] = []
    for (const ahead of [0, 4 * 60_000]) {
      const index = new ListingIndex({ datastore: new MemoryDatastore() }, { now: () => now })
      await index.start()
      try {
        // 8 honest publishers with one single-file listing each, served by the honest miner
        for (let i = 0; i < 8; i++) {
          const l = createListing(openModelParams({ name: `honest-${i}`, created: now - 1000, root: rawCid(`honest root ${i}`), files: [{ path: 'm.bin', size: 1000, cid: rawCid(`honest file ${i}`) }] }), sha256(enc(`honest publisher ${i}`)))
          await index.add(l.bytes)
          minerOf.set(l.record.root.toString(), honestMiner)
        }
        // the attacker: one listing of 64 files, created `ahead` ms in the future, served by its miner
        const files = Array.from({ length: 64 }, (_, i) => ({ path: `f${i}.bin`, size: 1000, cid: rawCid(`attacker file ${i}`) }))
        const a = createListing(openModelParams({ name: 'attacker', created: now + ahead, root: rawCid('attacker root'), files }), sha256(enc('attacker publisher')))
        await index.add(a.bytes)
        minerOf.set(a.record.root.toString(), attackerMiner)
        const chain = { metagraph: async () => [honestMiner, attackerMiner].map((hotkey, uid) => ({ uid, hotkey, permit: false, lastUpdate: 0 })) } as unknown as ChainView
        const source = marketEligibleSource({
          chain,
          index: () => index,
          findProviders: async function * (cid) { yield { id: peerIdFromString(peerIdOfHotkey(minerOf.get(cid.toString())!)), multiaddrs: [] } },
          selfHotkey: publicKeyOf(sha256(enc('validator')))
        }, { maxFiles: 4 })
        let honest = 0
        let all = 0
        for (let r = 0; r < 200; r++) {
          const tasks = await source.eligible(1, { seed: seedOf(r) })
          all += tasks.length
          honest += tasks.filter(e => e.minerPeerId === peerIdOfHotkey(honestMiner)).length
        }
        // 4 files a round: one turn each for 4 of the 9 publishers, so 800 tasks in all
        expect(all).toBe(800)
        shares.push(honest / all)
      } finally {
        await index.stop()
      }
    }
    // The attacker is one publisher of nine, whatever its files or dates: it holds a turn in a
    // round with probability 4/9, so the honest share is 8/9 ≈ 0.889 (sd over 200 rounds ≈ 0.011;
    // ± 0.06 is over five of them). Ranked by `created`, the attacker's listing dated ahead took
    // all four tasks every round (honest share 0).
    expect(shares[0]).toBeGreaterThan(8 / 9 - 0.06)
    expect(shares[0]).toBeLessThan(8 / 9 + 0.06)
    // and the date changes nothing at all: the draw never reads it
    expect(shares[1]).toBe(shares[0])
  })
})
