/**
 * Text from the network never reaches the terminal with its control characters: the sanitizer
 * on crafted strings, and real commands (`ls` of a DAG whose names hold escapes, `market show`
 * of a listing whose description holds them) whose raw output holds none.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { safeIo, safeJson, safeText, writeControl } from '../../src/cli/safe-text.ts'
import { main } from '../../src/cli/main.ts'
import { spawnDaemon, stopAll, tempDir } from '../utils/daemon.ts'
import { memoryIo } from '../utils/io.ts'

afterAll(async () => { await stopAll() })

const ESC = '\u001b'
const BEL = '\u0007'
const CSI_C1 = '\u009b'
const RLO = '\u202e'

/**
 * The characters a terminal obeys that must not arrive raw, written out independently of the
 * code under test: C0 but newline and tab (the layout of the output), DEL, C1, bidi controls.
 */
function forbidden (out: string): string[] {
  return [...out].filter(ch => {
    const c = ch.codePointAt(0) ?? 0
    return (c < 0x20 && c !== 0x0a && c !== 0x09) || (c >= 0x7f && c <= 0x9f) || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069)
  })
}

describe('safeText', () => {
  it('ESC [ 2 J (clear screen): ESC is 0x1b, a C0 control, shown as \\x1b; "[2J" is printable and stays', () => {
    expect(safeText(`${ESC}[2J`)).toBe('\\x1b[2J')
  })

  it('OSC 8 hyperlink: each ESC (opening and in both string terminators ESC \\) becomes \\x1b, the rest is text', () => {
    const link = `${ESC}]8;;https://evil.example/${ESC}\\click me${ESC}]8;;${ESC}\\`
    expect(safeText(link)).toBe('\\x1b]8;;https://evil.example/\\x1b\\click me\\x1b]8;;\\x1b\\')
  })

  it('OSC with a BEL terminator: BEL is 0x07, a C0 control, shown as \\x07', () => {
    expect(safeText(`${ESC}]0;pwned${BEL}`)).toBe('\\x1b]0;pwned\\x07')
    expect(safeText(BEL)).toBe('\\x07')
  })

  it('the one-character C1 CSI U+009B and the other C1 controls are shown as \\u00XX', () => {
    // U+009B is CSI on terminals that honour 8-bit controls: U+009B "2J" clears the screen
    expect(safeText(`${CSI_C1}2J`)).toBe('\\u009b2J')
    // both ends of the C1 block, U+0080 and U+009F; U+00A0 (no-break space) is printable and stays
    expect(safeText('\u0080\u009f\u00a0')).toBe('\\u0080\\u009f\u00a0')
    // DEL (0x7f) is a control too, shown like the C0 ones
    expect(safeText('\u007f')).toBe('\\x7f')
  })

  it('bidi overrides and isolates are shown as \\u202X / \\u206X: "exe.txt" cannot be displayed as "txt.exe"', () => {
    expect(safeText(`report${RLO}txt.exe`)).toBe('report\\u202etxt.exe')
    // the whole embedding/override range U+202A–U+202E and the isolates U+2066–U+2069
    expect(safeText('\u202a\u202b\u202c\u202d\u2066\u2067\u2068\u2069')).toBe('\\u202a\\u202b\\u202c\\u202d\\u2066\\u2067\\u2068\\u2069')
  })

  it('newline, tab and CR are escaped on one line; multiline keeps newline and tab only (CR could overwrite the line)', () => {
    expect(safeText('a\nb\tc\rd')).toBe('a\\x0ab\\x09c\\x0dd')
    expect(safeText('a\nb\tc\rd', { multiline: true })).toBe('a\nb\tc\\x0dd')
  })

  it('printable text in any script is unchanged, and escaping twice is escaping once', () => {
    const text = 'modèle 模型 🙂 ok'
    expect(safeText(text)).toBe(text)
    const once = safeText(`${ESC}[31m${CSI_C1}${RLO}`)
    expect(safeText(once)).toBe(once)
  })

  it('safeJson: JSON.stringify leaves U+009B and U+202E raw; they become \\u escapes and the value parses back the same', () => {
    const value = { description: `${CSI_C1}2J${RLO}x${ESC}` }
    const plain = JSON.stringify(value)
    expect(plain.includes(CSI_C1)).toBe(true) // the gap this closes
    const safe = safeJson(plain)
    // ESC was already \u001b in JSON.stringify's output; C1 and bidi are now escaped too
    expect(safe).toBe('{"description":"\\u009b2J\\u202ex\\u001b"}')
    expect(JSON.parse(safe)).toEqual(value)
  })

  it('safeIo escapes text chunks, passes bytes (content the user asked for) as they are; writeControl writes our own CR', () => {
    const io = memoryIo()
    const s = safeIo(io)
    s.stdout.write(`${ESC}[2J\n`)
    s.stdout.write(Buffer.from([0x1b, 0x41])) // how writeOut passes content (a Buffer view)
    writeControl(s.stderr, '\r')
    s.stderr.write(`x${ESC}`)
    expect(io.stdoutText()).toBe('\\x1b[2J\n\u001bA')
    expect(io.stderrText()).toBe('\rx\\x1b')
  })
})

describe('commands print no control characters from the network', { timeout: 120_000 }, () => {
  it('ls of a directory whose entry names hold escapes (offline, through main as bin.ts runs it)', async () => {
    const dir = await tempDir()
    const repo = join(dir, 'repo')
    const run = async (args: string[]): Promise<{ code: number, stdout: string }> => {
      const io = memoryIo({ AGORA_REPO: repo })
      const code = await main(args, io)
      return { code, stdout: io.stdoutText() }
    }
    const src = join(dir, 'evil')
    await mkdir(src)
    // file names may hold any byte but "/" and NUL: ESC [ 2 J, an OSC 8 link, U+009B, BEL and RLO
    const names = [`${ESC}[2Jclear`, `${ESC}]8;;evil.example${ESC}\\link`, `${CSI_C1}31mred`, `bell${BEL}`, `report${RLO}txt.exe`]
    for (const n of names) await writeFile(join(src, n), 'x')
    expect((await run(['init'])).code).toBe(0)
    const added = await run(['add', '-q', src])
    expect(added.code).toBe(0)
    const cid = added.stdout.trim()
    const ls = await run(['ls', cid])
    expect(ls.code).toBe(0)
    expect(ls.stdout.split('\n').filter(l => l !== '')).toHaveLength(names.length)
    expect(forbidden(ls.stdout)).toEqual([])
    // the names are there, made visible
    expect(ls.stdout).toContain('\\x1b[2Jclear')
    expect(ls.stdout).toContain('\\u009b31mred')
    expect(ls.stdout).toContain('report\\u202etxt.exe')
    const json = await run(['ls', cid, '--json'])
    expect(forbidden(json.stdout)).toEqual([])
    // JSON escapes are the same names once parsed
    expect((JSON.parse(json.stdout) as { entries: Array<{ name: string }> }).entries.map(e => e.name).sort()).toEqual([...names].sort())
  })

  it('market show of a listing whose description holds escape sequences prints none (through the daemon)', async () => {
    const d = await spawnDaemon()
    const file = join(await tempDir(), 'model.bin')
    await writeFile(file, 'weights')
    const description = `line one\n${ESC}[2J${ESC}]8;;https://evil.example/${ESC}\\click${ESC}]8;;${ESC}\\ ${CSI_C1}31m${BEL}${RLO}gnp.exe`
    const pub = await d.cli(['publish', file, '--kind', 'model', '--name', 'escapes', '--license', 'apache-2.0', '--description', description, '--json'])
    expect(pub.code, pub.stderr).toBe(0)
    const id = (JSON.parse(pub.stdout) as { listing: { id: string } }).listing.id
    const show = await d.cli(['market', 'show', id])
    expect(show.code, show.stderr).toBe(0)
    expect(forbidden(show.stdout)).toEqual([])
    // the description is printed over its lines on purpose (the newline stays), its controls visible
    expect(show.stdout).toContain('line one\n\\x1b[2J\\x1b]8;;https://evil.example/\\x1b\\click')
    expect(show.stdout).toContain('\\u009b31m\\x07\\u202egnp.exe')
    const json = await d.cli(['market', 'show', id, '--json'])
    expect(forbidden(json.stdout)).toEqual([])
    expect((JSON.parse(json.stdout) as { listing: { description: string } }).listing.description).toBe(description)
    await d.stop()
  })
})
