/** `agora devnet --miners N`, with `--peers` as the old name of the same number. */
import { describe, expect, it } from 'vitest'
import { main } from '../../src/cli/main.ts'
import type { CliIo } from '../../src/cli/io.ts'

function io (): CliIo & { err: () => string } {
  let err = ''
  return { stdout: { write: () => true }, stderr: { write: (c) => { err += String(c); return true } }, env: {}, cwd: '/', err: () => err }
}

describe('devnet options', () => {
  it('behavior: --miners and --peers that disagree are a usage error before anything starts; --help names --miners', async () => {
    const a = io()
    expect(await main(['devnet', '--miners', '2', '--peers', '3'], a)).toBe(2)
    expect(a.err()).toContain('--peers is the old name of --miners')
    let help = ''
    expect(await main(['devnet', '--help'], { ...io(), stdout: { write: (c) => { help += String(c); return true } } })).toBe(0)
    expect(help).toContain('--miners')
  })
})
