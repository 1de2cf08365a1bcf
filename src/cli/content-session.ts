/**
 * How a content command reaches the repo: through the running daemon's API when there is one,
 * otherwise by opening the repo directly (offline).
 */
import { createNode } from '../node.ts'
import { resolveRepoPath } from '../store/index.ts'
import { connectDaemon } from './client.ts'
import { str } from './command.ts'
import type { ApiClient } from './client.ts'
import type { CommandContext } from './command.ts'
import type { AgoraNode } from '../node.ts'

/** Either a daemon client or an offline node. */
export type Target = { kind: 'daemon', api: ApiClient } | { kind: 'local', node: AgoraNode }

/** The repo path for this invocation. */
export function repoPath (ctx: CommandContext): string {
  return resolveRepoPath(str(ctx, 'repo'), ctx.io.env, ctx.io.cwd)
}

/** Run `fn` against the daemon if one runs on the repo, else against the repo opened offline. */
export async function withTarget<T> (ctx: CommandContext, fn: (t: Target) => Promise<T>): Promise<T> {
  const repo = repoPath(ctx)
  const api = await connectDaemon(repo, ctx.io.signal)
  if (api != null) return fn({ kind: 'daemon', api })
  const node = await createNode({ repo, offline: true, init: false })
  try {
    return await fn({ kind: 'local', node })
  } finally {
    await node.stop()
  }
}

/** Run `fn` against the daemon; fails with a clear error when none is running. */
export async function withDaemon<T> (ctx: CommandContext, fn: (api: ApiClient) => Promise<T>): Promise<T> {
  const repo = repoPath(ctx)
  const api = await connectDaemon(repo, ctx.io.signal)
  if (api == null) throw new DaemonNotRunningError(`no daemon is running on ${repo} (start one: agora daemon)`)
  return fn(api)
}

/** The command needs a running daemon and there is none. */
export class DaemonNotRunningError extends Error {
  static override name = 'DaemonNotRunningError'
  override name = 'DaemonNotRunningError'
}

/** Write bytes to stdout, waiting for drain when the stream signals backpressure. */
export async function writeOut (ctx: CommandContext, chunk: Uint8Array): Promise<void> {
  const out = ctx.io.stdout as { write: (c: Uint8Array) => unknown, once?: (ev: string, cb: () => void) => void }
  // A Buffer view (no copy): streams and string-collecting test writers both take it as bytes/text.
  const buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
  if (out.write(buf) === false && out.once != null) await new Promise<void>(resolve => out.once?.('drain', resolve))
}
