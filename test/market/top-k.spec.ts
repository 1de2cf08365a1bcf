import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { TopK } from '../../src/market/top-k.ts'
import { tokenize } from '../../src/market/text-index.ts'

describe('top-k and tokenizer', () => {
  it('default: the top k equal the first k of a full sort (property)', () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 50 }), fc.integer())), fc.integer({ min: 0, max: 30 }), (rows, k) => {
      // rank by score descending, then by id ascending (a total order on distinct ids)
      const items = rows.map(([score], id) => ({ id, score }))
      const top = new TopK<{ id: number }>(k, (a, sa, b, sb) => sa !== sb ? sa > sb : a.id < b.id)
      for (const it of items) top.push(it, it.score)
      const expected = [...items].sort((a, b) => b.score - a.score || a.id - b.id).slice(0, k)
      expect(top.sorted().map(([it]) => it.id)).toEqual(expected.map(it => it.id))
    }))
  })

  it('behavior: the tokenizer lower-cases, splits on punctuation and drops stop words', () => {
    expect(tokenize('Tiny-Llama_q4.GGUF for the Chat')).toEqual(['tiny', 'llama', 'q4', 'gguf', 'chat'])
    expect(tokenize('Übersetzung 日本語')).toEqual(['übersetzung', '日本語'])
  })
})
