/**
 * The architecture as lint rules (`agora/boundaries`, `agora/no-import-cycle`), so `npm run lint`
 * fails where a change breaks it. The parts and who may import whom are in the README's
 * "Architecture" section; the table below is its source.
 *
 * - A folder of `src/` is imported by other folders only through its `index.ts`.
 * - A part imports only the parts its row of {@link LAYERS} names (a root file such as
 *   `src/config.ts` is a part of its own).
 * - No import circle in `src/`: static, type-only and dynamic imports all count, because a
 *   circle of any kind is a pair of modules that cannot be read or changed one at a time.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve, sep } from 'node:path'
import ts from 'typescript'
import type { Rule } from 'eslint'

type Graph = Map<string, string[]>

/**
 * Part → the parts it may import. Parts are the folders of `src/` and its root files (by name
 * without `.ts`). Leaves first: the lower a part, the fewer it sees.
 */
export const LAYERS: Readonly<Record<string, readonly string[]>> = Object.freeze({
  yuma: [],
  errors: [],
  signing: [],
  strings: [],
  ss58: [],
  seal: ['signing'],
  config: ['errors'],
  store: ['errors', 'config'],
  dht: ['errors', 'config', 'store'],
  service: ['errors', 'config', 'store', 'dht'],
  ledger: ['ss58', 'signing', 'seal', 'strings', 'errors', 'config', 'store', 'dht', 'service', 'yuma'],
  market: ['signing', 'seal', 'strings', 'errors', 'config', 'store', 'dht', 'service', 'ledger'],
  incentives: ['signing', 'seal', 'strings', 'errors', 'config', 'store', 'dht', 'service', 'ledger', 'market'],
  announcer: ['errors', 'dht'],
  node: ['errors', 'config', 'store', 'dht', 'service', 'announcer'],
  api: ['ss58', 'signing', 'seal', 'strings', 'errors', 'config', 'store', 'dht', 'service', 'ledger', 'market', 'incentives', 'node', 'yuma'],
  index: ['ss58', 'signing', 'seal', 'strings', 'errors', 'config', 'store', 'dht', 'service', 'ledger', 'market', 'incentives', 'node', 'api', 'yuma'],
  cli: ['ss58', 'signing', 'seal', 'strings', 'errors', 'config', 'store', 'dht', 'service', 'ledger', 'market', 'incentives', 'node', 'api', 'yuma']
})

/** `src/<part>/…` or `src/<part>.ts` → the part's name; undefined outside `src/`. */
function partOf (srcDir: string, file: string): string | undefined {
  const rel = relative(srcDir, file)
  if (rel.startsWith('..') || rel === '') return undefined
  const first = rel.split(sep)[0]
  return first.endsWith('.ts') ? first.slice(0, -3) : first
}

/** The relative specifiers a file imports (static, type-only, re-exports and dynamic). */
function importsOf (text: string): string[] {
  const info = ts.preProcessFile(text, true, true)
  return info.importedFiles.map(f => f.fileName).filter(s => s.startsWith('./') || s.startsWith('../'))
}

function srcFiles (dir: string): string[] {
  const out: string[] = []
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name)
    if (e.isDirectory()) out.push(...srcFiles(p))
    else if (e.name.endsWith('.ts')) out.push(p)
  }
  return out
}

/** Strongly connected components of more than one file (or a file importing itself). */
export function importCycles (graph: Graph): string[][] {
  let counter = 0
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const onStack = new Set<string>()
  const cycles: string[][] = []
  const lowOf = (v: string): number => low.get(v) ?? 0
  const visit = (v: string): void => {
    index.set(v, counter); low.set(v, counter); counter++
    stack.push(v); onStack.add(v)
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue
      if (!index.has(w)) { visit(w); low.set(v, Math.min(lowOf(v), lowOf(w))) } else if (onStack.has(w)) low.set(v, Math.min(lowOf(v), index.get(w) ?? 0))
    }
    if (low.get(v) === index.get(v)) {
      const c: string[] = []
      let w: string | undefined
      do { w = stack.pop(); if (w == null) break; onStack.delete(w); c.push(w) } while (w !== v)
      if (c.length > 1 || (graph.get(v) ?? []).includes(v)) cycles.push(c.sort())
    }
  }
  for (const v of graph.keys()) if (!index.has(v)) visit(v)
  return cycles
}

/** The import graph of every `.ts` file under `srcDir` (absolute paths). */
export function importGraph (srcDir: string): Graph {
  const graph: Graph = new Map()
  for (const f of srcFiles(srcDir)) {
    graph.set(f, importsOf(readFileSync(f, 'utf8')).map(s => resolve(dirname(f), s)))
  }
  return graph
}

const cycleCache = new Map<string, Map<string, string[]>>()

/** The cycle each file is in, computed once per lint run and `src/` directory. */
function cycleOf (srcDir: string, file: string): string[] | undefined {
  let byFile = cycleCache.get(srcDir)
  if (byFile == null) {
    byFile = new Map()
    for (const c of importCycles(importGraph(srcDir))) for (const f of c) byFile.set(f, c)
    cycleCache.set(srcDir, byFile)
  }
  return byFile.get(file)
}

/** The `src/` directory of the linted project: `options.src` or `<cwd>/src`. */
function srcDirOf (context: Rule.RuleContext): string {
  const options = context.options[0] as { src?: string } | undefined
  return resolve(context.cwd, options?.src ?? 'src')
}

const boundaries: Rule.RuleModule = {
  meta: {
    type: 'problem',
    docs: { description: 'folders of src/ are imported through their index.ts, and only along the layer table' },
    schema: [{ type: 'object', properties: { src: { type: 'string' } }, additionalProperties: false }],
    messages: {
      notIndex: '{{to}} is inside the folder {{part}}/: import it through {{part}}/index.ts',
      layer: '{{from}} may not import {{part}} (allowed: {{allowed}}); see eslint/boundaries.js LAYERS and the README architecture section'
    }
  },
  create (context) {
    const srcDir = srcDirOf(context)
    const file = context.filename
    const from = partOf(srcDir, file)
    if (from == null) return {}
    const check = (node: { source?: unknown }): void => {
      const source = node.source as { type?: string, value?: unknown } | null | undefined
      const spec = source?.type === 'Literal' ? source.value : undefined
      if (typeof spec !== 'string' || !(spec.startsWith('./') || spec.startsWith('../'))) return
      const target = resolve(dirname(file), spec)
      const part = partOf(srcDir, target)
      if (part == null || part === from) return
      const allowed = LAYERS[from]
      if (allowed == null || !allowed.includes(part)) {
        context.report({ node: source as Rule.Node, messageId: 'layer', data: { from, part, allowed: (allowed ?? []).join(', ') || 'nothing of the project' } })
        return
      }
      const isFolder = relative(srcDir, target).includes(sep)
      const entry = relative(join(srcDir, part), target)
      if (isFolder && entry !== 'index.ts' && !(ENTRIES[part] ?? []).includes(entry)) {
        context.report({ node: source as Rule.Node, messageId: 'notIndex', data: { to: relative(srcDir, target), part } })
      }
    }
    return { ImportDeclaration: check, ExportNamedDeclaration: check, ExportAllDeclaration: check, ImportExpression: check }
  }
}

/**
 * Public entry points of a folder besides its `index.ts` (each is also a package export):
 * `yuma/tools.ts` holds the vector, plotting and thread tools, kept out of the kernel's entry.
 */
const ENTRIES: Record<string, string[]> = { yuma: ['tools.ts'] }

const noImportCycle: Rule.RuleModule = {
  meta: {
    type: 'problem',
    docs: { description: 'no import circle in src/ (static, type-only or dynamic)' },
    schema: [{ type: 'object', properties: { src: { type: 'string' } }, additionalProperties: false }],
    messages: { cycle: 'import circle: {{files}}' }
  },
  create (context) {
    const srcDir = srcDirOf(context)
    return {
      Program (node) {
        const c = cycleOf(srcDir, context.filename)
        if (c != null) context.report({ node, messageId: 'cycle', data: { files: c.map(f => relative(srcDir, f)).join(' ↔ ') } })
      }
    }
  }
}

/** The local ESLint plugin. */
export const agoraPlugin: { rules: Record<string, Rule.RuleModule> } = { rules: { boundaries, 'no-import-cycle': noImportCycle } }
