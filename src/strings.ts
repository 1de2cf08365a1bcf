/**
 * Strings that are kept. Policy: an encoder that builds its output a character or a piece at a
 * time (base32, base58) leaves V8 a rope of one node per piece, 32 bytes each: a 59-character
 * CID string held as a rope costs about 2 KiB instead of 80 bytes. What is held for long, in an
 * index or a memo, is flattened first.
 */

/** A flat copy of `s` (UTF-8 round trip; the strings given are well-formed). */
export function flatString (s: string): string {
  return Buffer.from(s, 'utf8').toString('utf8')
}
