/**
 * The text index's slots: removed documents' slots come back once their postings are compacted,
 * so a churn of listings (updates, evictions, a flood) does not grow the index without bound.
 */
import { describe, expect, it } from 'vitest'
import { TextIndex } from '../../src/market/text-index.ts'

const fields = (name: string): { name: string, tags: string, task: string, description: string } => ({ name, tags: '', task: '', description: 'churn' })

describe('text index slots', () => {
  it('behavior: 100 rounds of 2,048 documents added and removed use at most 4,096 slots, and search finds only the live ones', () => {
    const t = new TextIndex()
    let highest = -1
    let live: number[] = []
    for (let round = 0; round < 100; round++) {
      const added: number[] = []
      for (let i = 0; i < 2048; i++) {
        const slot = t.allocate()
        highest = Math.max(highest, slot)
        t.add(slot, fields(`round${round}`))
        added.push(slot)
      }
      for (const slot of live) t.remove(slot)
      live = added
    }
    // Compaction runs once the dead reach 1,024 and the live count; so at most one round's
    // dead (2,048) wait beside one round's live (2,048): slots stay below 4,096. Without reuse
    // the highest slot would be 100 × 2,048 − 1.
    expect(highest).toBeLessThan(4096)
    expect(t.size).toBe(2048)
    const found: number[] = []
    t.search('round99', slot => { found.push(slot) })
    expect(found.sort((a, b) => a - b)).toEqual([...live].sort((a, b) => a - b))
    const stale: number[] = []
    t.search('round98', slot => { stale.push(slot) })
    expect(stale).toEqual([])
  })
})
