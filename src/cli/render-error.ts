import { safeText } from './safe-text.ts'

/**
 * The one place where an error becomes text for a person: a short message, bullet hints from
 * `err.meta` (when a library error carries them) and the cause chain.
 * Policy: messages quote remote text (a peer's error, a listing name, an address), so control
 * characters become visible escapes; the lines this function joins are its own.
 */
export function renderError (err: unknown): string {
  const e = toError(err)
  const lines = [`Error: ${safeText(e.message, { multiline: true })}`]
  const meta = (e as { meta?: unknown }).meta
  if (Array.isArray(meta)) for (const m of meta) lines.push(`  • ${safeText(String(m))}`)
  let cause: unknown = e.cause
  let depth = 0
  while (cause != null && depth < 5) {
    const c = toError(cause)
    lines.push(`Caused by: ${safeText(c.name)}: ${safeText(c.message, { multiline: true })}`)
    cause = c.cause
    depth++
  }
  if (e.name !== 'Error' && e.name !== 'UsageError') lines.push(`(${safeText(e.name)})`)
  return lines.join('\n')
}

function toError (err: unknown): Error {
  if (err instanceof Error) return err
  return new Error(String(err))
}
