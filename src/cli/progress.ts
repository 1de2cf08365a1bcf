/**
 * A progress bar in bytes with rate and ETA, on stderr, only when stderr is a terminal.
 */
import { safeText, writeControl } from './safe-text.ts'
import type { CliIo } from './io.ts'

/** Human-readable bytes (binary units). */
export function formatBytes (n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let i = 0
  let v = n
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++ }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`
}

function formatEta (s: number): string {
  if (!Number.isFinite(s) || s < 0) return '--:--'
  const m = Math.floor(s / 60)
  const h = Math.floor(m / 60)
  const ss = String(Math.floor(s % 60)).padStart(2, '0')
  return h > 0 ? `${h}:${String(m % 60).padStart(2, '0')}:${ss}` : `${m}:${ss}`
}

/** A bar that redraws at most 10 times a second; a no-op when disabled. */
export interface ProgressBar {
  /** Redraw (at most every 100 ms unless `force`). */
  update: (bytes: number, total?: number, force?: boolean) => void
  done: () => void
}

/** Create a bar on `io.stderr` if it is a TTY and `enabled`. */
export function progressBar (io: CliIo, label: string, enabled: boolean): ProgressBar {
  if (!enabled || io.stderr.isTTY !== true) return { update: () => {}, done: () => {} }
  const started = Date.now()
  let last = 0
  let drawn = false
  const draw = (bytes: number, total?: number): void => {
    const secs = (Date.now() - started) / 1000
    const rate = secs > 0 ? bytes / secs : 0
    const width = 20
    let text: string
    if (total != null && total > 0) {
      const frac = Math.min(1, bytes / total)
      const fill = Math.round(frac * width)
      text = `${label} [${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${(frac * 100).toFixed(0).padStart(3)}% ${formatBytes(bytes)}/${formatBytes(total)} ${formatBytes(rate)}/s ETA ${formatEta(rate > 0 ? (total - bytes) / rate : Infinity)}`
    } else {
      text = `${label} ${formatBytes(bytes)}  ${formatBytes(rate)}/s`
    }
    // Policy: the label may name remote content; it is escaped, only our own `\r` redraws the line
    text = safeText(text)
    const cols = io.stderr.columns ?? 100
    writeControl(io.stderr, '\r')
    io.stderr.write(text.slice(0, cols - 1).padEnd(Math.min(cols - 1, text.length + 2)))
    drawn = true
  }
  return {
    update: (bytes, total, force = false) => {
      if (!force && Date.now() - last < 100) return
      last = Date.now()
      draw(bytes, total)
    },
    done: () => { if (drawn) io.stderr.write('\n') }
  }
}

/** Parse a duration: `500ms`, `30s`, `2m`, `1h`, or a bare number of seconds. Returns ms. */
export function parseDuration (s: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(s.trim())
  if (m == null) throw new RangeError(`invalid duration ${JSON.stringify(s)} (e.g. 30s, 2m, 500ms)`)
  const n = Number(m[1])
  const mult = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? 's'] ?? 1000
  return Math.round(n * mult)
}
