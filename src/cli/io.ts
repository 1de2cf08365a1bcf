/** The streams and environment a command runs against. */
export interface CliIo {
  stdout: { write: (chunk: string | Uint8Array) => unknown, isTTY?: boolean, columns?: number }
  stderr: { write: (chunk: string | Uint8Array) => unknown, isTTY?: boolean, columns?: number }
  stdin?: NodeJS.ReadableStream & { isTTY?: boolean }
  env: Record<string, string | undefined>
  cwd: string
  /** Aborted when the process receives SIGINT/SIGTERM. */
  signal?: AbortSignal
}
