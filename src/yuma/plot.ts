/**
 * A hand-written SVG of incentive and dividends per uid across the epochs of a sequence, for
 * people designing a subnet who would rather look than read. Display only: it reads the outputs,
 * converts proportions to decimals for coordinates, and returns the document as a string.
 */
import { toFloat } from './fixed.ts'
import type { EpochOutput } from './types.ts'

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf']
const W = 420
const H = 260
const PAD = { left: 48, right: 56, top: 32, bottom: 36 }

/** Options of {@link plotSvg}. */
export interface PlotOptions {
  title?: string
  /** At most this many uids get a line per panel (those with the largest peak). @default 10 */
  maxSeries?: number
}

function esc (s: string): string {
  return s.replace(/[<>&"]/g, c => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c] ?? c)
}

function panel (x0: number, label: string, series: Array<{ uid: number, values: number[] }>, epochs: number): string {
  const iw = W - PAD.left - PAD.right
  const ih = H - PAD.top - PAD.bottom
  const px = (k: number): number => x0 + PAD.left + (epochs <= 1 ? iw / 2 : (k * iw) / (epochs - 1))
  const py = (v: number): number => PAD.top + ih - v * ih
  const parts: string[] = [
    `<text x="${x0 + W / 2}" y="18" text-anchor="middle" font-size="14">${esc(label)}</text>`,
    `<rect x="${x0 + PAD.left}" y="${PAD.top}" width="${iw}" height="${ih}" fill="none" stroke="#999"/>`
  ]
  for (const t of [0, 0.25, 0.5, 0.75, 1]) {
    parts.push(`<line x1="${x0 + PAD.left - 4}" x2="${x0 + PAD.left}" y1="${py(t)}" y2="${py(t)}" stroke="#999"/>`,
      `<text x="${x0 + PAD.left - 6}" y="${py(t) + 4}" text-anchor="end" font-size="10">${t}</text>`)
  }
  for (let k = 0; k < epochs; k++) {
    parts.push(`<text x="${px(k)}" y="${H - PAD.bottom + 14}" text-anchor="middle" font-size="10">${k}</text>`)
  }
  parts.push(`<text x="${x0 + PAD.left + iw / 2}" y="${H - 6}" text-anchor="middle" font-size="11">epoch</text>`)
  series.forEach((s, idx) => {
    const color = PALETTE[idx % PALETTE.length]
    const pts = s.values.map((v, k) => `${px(k).toFixed(1)},${py(v).toFixed(1)}`).join(' ')
    parts.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts}"/>`)
    for (const [k, v] of s.values.entries()) parts.push(`<circle cx="${px(k).toFixed(1)}" cy="${py(v).toFixed(1)}" r="2.5" fill="${color}"/>`)
    parts.push(`<text x="${x0 + W - 6}" y="${PAD.top + 10 + idx * 12}" text-anchor="end" font-size="10" fill="${color}">uid ${s.uid}</text>`)
  })
  return parts.join('\n')
}

function seriesOf (epochs: EpochOutput[], pick: (o: EpochOutput) => number[], max: number): Array<{ uid: number, values: number[] }> {
  const n = epochs[0]?.n ?? 0
  const all = Array.from({ length: n }, (_, uid) => ({ uid, values: epochs.map(o => toFloat(pick(o)[uid])) }))
  const peak = (s: { values: number[] }): number => s.values.reduce((a, b) => (b > a ? b : a), 0)
  return all.filter(s => peak(s) > 0).sort((a, b) => peak(b) - peak(a) || a.uid - b.uid).slice(0, max).sort((a, b) => a.uid - b.uid)
}

/** An SVG document with two panels: incentive and dividends per uid, one point per epoch. */
export function plotSvg (epochs: EpochOutput[], options: PlotOptions = {}): string {
  const max = options.maxSeries ?? 10
  const title = options.title ?? 'Yuma epochs'
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${2 * W}" height="${H + 24}" viewBox="0 -24 ${2 * W} ${H + 24}" font-family="sans-serif">`,
    `<title>${esc(title)}</title>`,
    `<rect x="0" y="-24" width="${2 * W}" height="${H + 24}" fill="white"/>`,
    `<text x="${W}" y="-6" text-anchor="middle" font-size="13" font-weight="bold">${esc(title)}</text>`,
    panel(0, 'incentive per uid', seriesOf(epochs, o => o.incentive, max), epochs.length),
    panel(W, 'dividends per uid', seriesOf(epochs, o => o.dividends, max), epochs.length),
    '</svg>',
    ''
  ].join('\n')
}
