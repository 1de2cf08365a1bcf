import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { afterAll } from 'vitest'

// The test workers themselves load the guard too: an attempt to leave loopback fails the file.
const guard = fileURLToPath(new URL('../../shared/tools/loopback-guard.mjs', import.meta.url))
if (existsSync(guard)) {
  const mod: { attempts: Array<{ kind: string, target: string }> } = await import(guard)
  afterAll(() => {
    if (mod.attempts.length > 0) {
      throw new Error(`loopback guard: ${mod.attempts.length} attempt(s) to leave loopback: ${mod.attempts.map(a => `${a.kind} -> ${a.target}`).join(', ')}`)
    }
  })
}
