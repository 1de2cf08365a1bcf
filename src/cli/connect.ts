/**
 * Which client answers this invocation: the repo's daemon when one answers, else the repo
 * opened offline (see `agora-client.ts`).
 */
import { connectDaemon } from './client.ts'
import { HttpClient } from './client-http.ts'
import { LocalClient } from './client-local.ts'
import { resolveRepoPath } from '../store/index.ts'
import { str } from './command.ts'
import type { AgoraClient } from './agora-client.ts'
import type { CommandContext } from './command.ts'

/** The repo path for this invocation (`--repo`, `$AGORA_REPO`, `~/.agora`). */
export function repoPath (ctx: CommandContext): string {
  return resolveRepoPath(str(ctx, 'repo'), ctx.io.env, ctx.io.cwd)
}

/** The client for this invocation: the repo's daemon when one answers, else the repo offline. */
export async function openClient (ctx: CommandContext): Promise<AgoraClient> {
  const repo = repoPath(ctx)
  const api = await connectDaemon(repo, ctx.io.signal)
  return api != null ? new HttpClient(repo, api) : new LocalClient(repo, ctx.io.signal)
}

/** Run `fn` with this invocation's client, closed afterwards. */
export async function withClient<T> (ctx: CommandContext, fn: (c: AgoraClient) => Promise<T>): Promise<T> {
  const c = await openClient(ctx)
  try {
    return await fn(c)
  } finally {
    await c.close()
  }
}

/** Write bytes to stdout, waiting for drain when the stream signals backpressure. */
export async function writeOut (ctx: CommandContext, chunk: Uint8Array): Promise<void> {
  const out = ctx.io.stdout as { write: (c: Uint8Array) => unknown, once?: (ev: string, cb: () => void) => void }
  // A Buffer view (no copy): streams and string-collecting test writers both take it as bytes/text.
  const buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
  if (out.write(buf) === false && out.once != null) await new Promise<void>(resolve => out.once?.('drain', resolve))
}
