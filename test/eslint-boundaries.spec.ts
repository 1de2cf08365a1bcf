/**
 * The architecture lint rules (eslint/boundaries.js) against a planted `src/` tree: each planted
 * breach is reported with its own message, and the files that keep the rules are not.
 */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { ESLint } from 'eslint'
import tseslint from 'typescript-eslint'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { agoraPlugin } from '../eslint/boundaries.ts'

let dir = ''

const FILES: Record<string, string> = {
  // keeps the rules: through the index, along the table (market may import ledger)
  'src/market/ok.ts': "import { a } from '../ledger/index.ts'\nexport const b = a\n",
  'src/ledger/index.ts': "export const a = 1\nexport { inner } from './inner.ts'\n",
  'src/ledger/inner.ts': 'export const inner = 2\n',
  // past the index of another folder
  'src/market/deep.ts': "import { inner } from '../ledger/inner.ts'\nexport const c = inner\n",
  // against the table: yuma imports nothing of the project; ledger may not import market
  'src/yuma/k.ts': "import type { X } from '../store/index.ts'\nexport type Y = X\n",
  'src/store/index.ts': 'export type X = number\n',
  'src/ledger/up.ts': "export const u = async () => import('../market/ok.ts')\n",
  // a circle inside one folder (each import alone is allowed)
  'src/dht/p.ts': "import { q } from './q.ts'\nexport const p = () => q\n",
  'src/dht/q.ts': "import type { p } from './p.ts'\nexport const q = 1\nexport type P = typeof p\n"
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'agora-boundaries-'))
  for (const [f, text] of Object.entries(FILES)) {
    await mkdir(dirname(join(dir, f)), { recursive: true })
    await writeFile(join(dir, f), text)
  }
})

afterAll(async () => { await rm(dir, { recursive: true, force: true }) })

async function lint (): Promise<Record<string, string[]>> {
  const eslint = new ESLint({
    cwd: dir,
    overrideConfigFile: true,
    overrideConfig: [{
      files: ['src/**/*.ts'],
      languageOptions: { parser: tseslint.parser as never },
      plugins: { agora: agoraPlugin as never },
      rules: { 'agora/boundaries': 'error', 'agora/no-import-cycle': 'error' }
    }]
  })
  const out: Record<string, string[]> = {}
  for (const r of await eslint.lintFiles(['src/**/*.ts'])) {
    out[r.filePath.slice(dir.length + 1)] = r.messages.map(m => `${m.ruleId ?? ''}: ${m.message}`)
  }
  return out
}

describe('architecture lint rules', () => {
  it('behavior: reports imports past an index, against the layer table, and import circles; nothing else', async () => {
    const r = await lint()
    expect(r['src/market/ok.ts']).toEqual([])
    expect(r['src/ledger/index.ts']).toEqual([])
    expect(r['src/ledger/inner.ts']).toEqual([])
    expect(r['src/store/index.ts']).toEqual([])
    expect(r['src/market/deep.ts']).toEqual(['agora/boundaries: ledger/inner.ts is inside the folder ledger/: import it through ledger/index.ts'])
    expect(r['src/yuma/k.ts']).toEqual([expect.stringMatching(/^agora\/boundaries: yuma may not import store \(allowed: nothing of the project\)/)])
    // a dynamic import counts as an import
    expect(r['src/ledger/up.ts']).toEqual([expect.stringMatching(/^agora\/boundaries: ledger may not import market \(allowed: ss58, signing, seal, strings, errors, config, store, dht, service, yuma\)/)])
    // a type-only import closes a circle as well
    expect(r['src/dht/p.ts']).toEqual(['agora/no-import-cycle: import circle: dht/p.ts ↔ dht/q.ts'])
    expect(r['src/dht/q.ts']).toEqual(['agora/no-import-cycle: import circle: dht/p.ts ↔ dht/q.ts'])
  })
})
