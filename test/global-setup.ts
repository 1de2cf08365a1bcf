import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/**
 * Where the workplace provides a loopback guard (`../shared/tools/loopback-guard.mjs`), every
 * process the tests spawn preloads it in strict mode through NODE_OPTIONS, so any attempt to
 * reach a non-loopback address makes that process, and so the test, fail.
 */
export default function setup (): void {
  const guard = fileURLToPath(new URL('../../shared/tools/loopback-guard.mjs', import.meta.url))
  if (!existsSync(guard)) return
  process.env.LOOPBACK_GUARD_STRICT = '1'
  process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --import=${guard}`.trim()
}
