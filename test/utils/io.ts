import type { CliIo } from '../../src/cli/io.ts'

/** An in-memory io that records what the CLI prints (relative paths against `cwd`). */
export function memoryIo (env: Record<string, string | undefined> = {}, cwd = process.cwd()): CliIo & { stdoutText: () => string, stderrText: () => string } {
  let o = ''
  let e = ''
  return {
    stdout: { write: (c: string | Uint8Array) => { o += String(c) } },
    stderr: { write: (c: string | Uint8Array) => { e += String(c) } },
    env,
    cwd,
    stdoutText: () => o,
    stderrText: () => e
  }
}
