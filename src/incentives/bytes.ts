/**
 * Byte helpers shared by the incentives modules (internal).
 */
import { varint } from 'multiformats'

const encoder = new TextEncoder()

/** `varint(len(domain)) ‖ domain ‖ parts…`: the domain-separated bytes every agora hash or signature covers. */
export function domainPrefixed (domain: string, ...parts: Uint8Array[]): Uint8Array {
  const d = encoder.encode(domain)
  const len = varint.encodingLength(d.length)
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, len + d.length))
  varint.encodeTo(d.length, out, 0)
  out.set(d, len)
  let off = len + d.length
  for (const p of parts) { out.set(p, off); off += p.length }
  return out
}

/** Constant-time comparison of two byte arrays of equal length (false on different lengths). */
export function equalBytes (a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  let d = 0
  for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i]
  return d === 0
}

/** Lower-case hex of bytes. */
export function toHex (b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex')
}
