import { describe, expect, it } from 'vitest'
import { main } from '../src/cli/main.ts'
import { memoryIo } from './utils/io.ts'

describe('cli', () => {
  it('default: --help lists usage and exits 0', async () => {
    const io = memoryIo()
    expect(await main(['--help'], io)).toBe(0)
    expect(io.stdoutText()).toContain('Usage: agora <command>')
  })

  it('behavior: an unknown command is a usage error with exit code 2', async () => {
    const io = memoryIo()
    expect(await main(['frobnicate'], io)).toBe(2)
    expect(io.stderrText()).toMatchInlineSnapshot(`
      "Error: unknown command: frobnicate
      "
    `)
  })

  it('behavior: an unknown option is a usage error with a hint', async () => {
    const io = memoryIo()
    expect(await main(['--nope'], io)).toBe(2)
    expect(io.stderrText()).toContain("Unknown option '--nope'")
    expect(io.stderrText()).toContain('Run: agora --help')
  })
})
