/**
 * Request bodies and JSON values of the API routes: a size-capped body reader and the JSON-safe
 * form of chain values.
 */
import { BodyTooLargeError } from './errors.ts'
import type { RequestContext } from './server.ts'

/** Read a request body, refusing it (`BodyTooLargeError`) as soon as it passes `max` bytes. */
export async function readBody (ctx: RequestContext, max: number): Promise<Uint8Array> {
  const declared = Number(ctx.req.headers['content-length'] ?? 0)
  if (declared > max) throw new BodyTooLargeError(`body of ${declared} bytes exceeds ${max}`)
  const parts: Buffer[] = []
  let size = 0
  for await (const chunk of ctx.req) {
    size += (chunk as Buffer).length
    if (size > max) throw new BodyTooLargeError(`body exceeds ${max} bytes`)
    parts.push(chunk as Buffer)
  }
  return new Uint8Array(Buffer.concat(parts))
}

/** JSON-safe: bigints as decimal strings (rao), bytes as hex. */
export function plain (v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString()
  if (v instanceof Uint8Array) return Buffer.from(v).toString('hex')
  if (Array.isArray(v)) return v.map(plain)
  if (v != null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]))
  return v
}
