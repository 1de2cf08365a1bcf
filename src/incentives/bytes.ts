/**
 * Byte helpers shared by the incentives modules (internal). The domain-separated bytes of
 * signatures and hashes are src/signing.ts's.
 */

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
