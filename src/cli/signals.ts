import type { CommandContext } from './command.ts'

/**
 * Resolves on the first SIGINT/SIGTERM (or `io.signal`). The handlers stay installed until
 * `release()`, so a second signal during shutdown is acknowledged instead of killing the process.
 */
export function signals (ctx: CommandContext): { first: Promise<string>, release: () => void } {
  let settle: (s: string) => void = () => {}
  const first = new Promise<string>(resolve => { settle = resolve })
  let got = false
  const on = (sig: string) => (): void => {
    if (got) { ctx.io.stderr.write('already shutting down\n'); return }
    got = true
    settle(sig)
  }
  const onInt = on('SIGINT')
  const onTerm = on('SIGTERM')
  const onAbort = on('abort')
  process.on('SIGINT', onInt)
  process.on('SIGTERM', onTerm)
  ctx.io.signal?.addEventListener('abort', onAbort, { once: true })
  if (ctx.io.signal?.aborted === true) onAbort()
  return {
    first,
    release: () => {
      process.off('SIGINT', onInt)
      process.off('SIGTERM', onTerm)
      ctx.io.signal?.removeEventListener('abort', onAbort)
    }
  }
}
