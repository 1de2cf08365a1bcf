import type { CliIo } from '../../src/cli/io.ts'

/** An in-memory io that records what the CLI prints. */
export function memoryIo (env: Record<string, string | undefined> = {}): CliIo & { stdoutText: () => string, stderrText: () => string } {
  let o = ''
  let e = ''
  return {
    stdout: { write: (c: string | Uint8Array) => { o += String(c) } },
    stderr: { write: (c: string | Uint8Array) => { e += String(c) } },
    env,
    cwd: process.cwd(),
    stdoutText: () => o,
    stderrText: () => e
  }
}
