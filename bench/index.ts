/**
 * `npm run bench`: runs every `bench/*.bench.ts` in its own process (so peak-RSS figures are
 * per benchmark), one after the other, and passes their output through. Each benchmark prints
 * its figures with the command line that reproduces them. `npm run bench -- yuma` runs only the
 * files whose name contains `yuma`.
 */
import { spawnSync } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const dir = fileURLToPath(new URL('.', import.meta.url))
const filter = process.argv[2]
const files = readdirSync(dir).filter(f => f.endsWith('.bench.ts') && (filter == null || f.includes(filter))).sort()
let failed = 0
for (const f of files) {
  console.log(`\n=== ${f} ===`)
  const r = spawnSync(process.execPath, [fileURLToPath(new URL(f, import.meta.url))], { stdio: 'inherit' })
  if (r.status !== 0) failed++
}
process.exitCode = failed > 0 ? 1 : 0
