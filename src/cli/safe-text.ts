/**
 * Text from the network (listing names and descriptions, DAG entry names, peer agents, remote
 * error messages) is written by strangers. A terminal obeys control characters in it: ESC and
 * the C1 CSI (U+009B) start sequences that clear the screen, move the cursor, rewrite the title,
 * plant OSC 8 hyperlinks or, on some terminals, answer back into the input; bidi overrides
 * reorder what is shown so `exe.txt` reads as `txt.exe`. This module turns those characters
 * into visible escapes (`\x1b`, `\u009b`, `\u202e`) before any output reaches a terminal.
 */
import type { CliIo } from './io.ts'

/**
 * Whether a terminal obeys this code point: C0 controls (U+0000–U+001F, newline and tab
 * excepted when `multiline`), DEL (U+007F), C1 controls (U+0080–U+009F), the bidi embeddings
 * and overrides (U+202A–U+202E) and isolates (U+2066–U+2069).
 */
export function isUnsafeCodePoint (code: number, multiline = false): boolean {
  if (code < 0x20) return !(multiline && (code === 0x0a || code === 0x09))
  return (code >= 0x7f && code <= 0x9f) || (code >= 0x202a && code <= 0x202e) || (code >= 0x2066 && code <= 0x2069)
}

/** `\xHH` for C0 and DEL, `\uHHHH` above (C1 and bidi), so the escape shows what the character was. */
function escapeCode (code: number): string {
  return code <= 0x7f ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`
}

/** Replaces each unsafe code point (as `unsafe` decides) with `escape(code)`; a string without any is returned as it is. */
function replaceUnsafe (text: string, unsafe: (code: number) => boolean, escape: (code: number) => string): string {
  let out = ''
  let from = 0
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i) // every unsafe code point is in the BMP: UTF-16 units suffice
    if (!unsafe(code)) continue
    out += text.slice(from, i) + escape(code)
    from = i + 1
  }
  return from === 0 ? text : out + text.slice(from)
}

/** Options of {@link safeText}. */
export interface SafeTextOptions {
  /** Keep newlines and tabs (a description printed over several lines on purpose). @default false */
  multiline?: boolean
}

/**
 * Text that is safe to show on a terminal: every control character (and, unless `multiline`,
 * newline and tab too) becomes a visible escape. Printable text, including non-ASCII letters
 * and emoji, is unchanged. Applying it twice gives the same text as applying it once.
 */
export function safeText (text: string, options?: SafeTextOptions): string {
  const multiline = options?.multiline === true
  return replaceUnsafe(text, code => isUnsafeCodePoint(code, multiline), escapeCode)
}

/**
 * JSON text that is safe to show on a terminal and parses to the same value: JSON.stringify
 * escapes C0 controls but leaves DEL, C1 and bidi characters raw; they become `\u00XX` escapes,
 * which are valid JSON. They can only occur inside strings, so the structure is untouched.
 */
export function safeJson (json: string): string {
  // JSON.stringify already wrote C0 controls as \u00XX: what is left unsafe is at or above DEL
  return replaceUnsafe(json, code => code >= 0x7f && isUnsafeCodePoint(code), code => `\\u${code.toString(16).padStart(4, '0')}`)
}

/** A writable of {@link CliIo}, possibly a Node stream (its `once('drain')` is kept). */
type Out = CliIo['stdout'] & { once?: (event: string, cb: () => void) => unknown }

const RAW = Symbol('agora.safe-text.raw')

/** A stream wrapper that escapes unsafe characters in every text chunk. */
function safeStream (stream: Out): Out {
  if ((stream as { [RAW]?: unknown })[RAW] != null) return stream
  const wrapped: Out & { [RAW]: (chunk: string) => unknown } = {
    // Policy: text chunks are what commands print (tables, messages, JSON, errors) and may
    // quote the network, so their controls are escaped; newlines and tabs are the commands'
    // own layout. Byte chunks are content the user asked for (`cat`, `get -o -`) and pass as they are.
    write: (chunk) => stream.write(typeof chunk === 'string' ? safeText(chunk, { multiline: true }) : chunk),
    get isTTY () { return stream.isTTY },
    get columns () { return stream.columns },
    [RAW]: (chunk: string) => stream.write(chunk)
  }
  if (stream.once != null) wrapped.once = (event, cb) => stream.once?.(event, cb)
  return wrapped
}

/**
 * The io every command runs with: stdout and stderr escape unsafe characters in text chunks
 * (see {@link safeText}). `main` applies it, so no command can forget it.
 */
export function safeIo (io: CliIo): CliIo {
  return { ...io, stdout: safeStream(io.stdout), stderr: safeStream(io.stderr) }
}

/**
 * Writes our own control characters (the progress bar's carriage return) past the escaping
 * of {@link safeIo}. Only for constant text of this program, never for text that quotes anything.
 */
export function writeControl (stream: CliIo['stdout'], control: '\r'): void {
  const raw = (stream as { [RAW]?: (chunk: string) => unknown })[RAW]
  if (raw != null) raw(control)
  else stream.write(control)
}
