/**
 * `npm run fuzz -- --minutes N`: runs every `test/fuzz/*.fuzz.spec.ts` for longer than `npm test`
 * does. The N minutes are split evenly over the files, each run in its own vitest process with
 * `FUZZ_MINUTES` set to its share (the file splits it over its properties, from a random seed it
 * prints; `FUZZ_SEED=<seed>` reproduces a run). `npm run fuzz -- --minutes 10 ledger` runs only
 * the files whose name contains `ledger`.
 */
import { spawnSync } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/** The `--minutes N` value and an optional file-name filter. */
function parseArgs (argv: string[]): { minutes: number, filter?: string } {
  let minutes = 5
  let filter: string | undefined
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--minutes') minutes = Number(argv[++i])
    else if (argv[i].startsWith('--minutes=')) minutes = Number(argv[i].slice('--minutes='.length))
    else filter = argv[i]
  }
  if (!(minutes > 0)) throw new RangeError('--minutes must be a positive number')
  return { minutes, filter }
}

const { minutes, filter } = parseArgs(process.argv.slice(2))
const root = fileURLToPath(new URL('..', import.meta.url))
const dir = fileURLToPath(new URL('../test/fuzz/', import.meta.url))
const files = readdirSync(dir).filter(f => f.endsWith('.fuzz.spec.ts') && (filter == null || f.includes(filter))).sort()
if (files.length === 0) throw new Error(`no fuzz files match ${filter ?? '*'}`)
const share = minutes / files.length
const vitest = fileURLToPath(new URL('../node_modules/vitest/vitest.mjs', import.meta.url))
let failed = 0
for (const f of files) {
  console.log(`\n=== ${f}: ${(share * 60).toFixed(0)} s ===`)
  const r = spawnSync(process.execPath, [vitest, 'run', '--project', 'unit', `test/fuzz/${f}`], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, FUZZ_MINUTES: String(share) }
  })
  if (r.status !== 0) failed++
}
console.log(`\nfuzz: ${files.length - failed} of ${files.length} files passed in ${minutes} min`)
process.exitCode = failed > 0 ? 1 : 0
