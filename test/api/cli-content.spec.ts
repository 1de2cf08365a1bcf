import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startDaemon } from '../../src/api/index.ts'
import { main } from '../../src/cli/main.ts'
import { memoryIo } from '../utils/io.ts'
import type { Daemon } from '../../src/api/index.ts'

let dir: string
let env: Record<string, string>
let daemon: Daemon | undefined

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'agora-cli-'))
  env = { AGORA_REPO: join(dir, 'repo') }
  await writeFile(join(dir, 'hello.txt'), 'hello world\n')
})
afterEach(async () => {
  await daemon?.stop()
  daemon = undefined
  await rm(dir, { recursive: true, force: true })
})

async function run (args: string[]): Promise<{ code: number, out: string, err: string }> {
  const io = memoryIo(env)
  io.cwd = dir
  const code = await main(args, io)
  return { code, out: io.stdoutText(), err: io.stderrText() }
}

// "hello world\n" under Kubo's classic layout, from the ipfs_cid fixture.
const HELLO_V0 = 'QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o'

describe('cli: content (no daemon)', () => {
  it('default: init, add -q, cat, ls, get, pin ls, repo stat/verify', async () => {
    expect((await run(['init'])).out).toBe(`initialised repo at ${env.AGORA_REPO}\n`)
    expect(await run(['add', '-q', '--profile', 'unixfs-v0-2015', 'hello.txt'])).toEqual({ code: 0, out: `${HELLO_V0}\n`, err: '' })
    expect((await run(['cat', HELLO_V0])).out).toBe('hello world\n')
    expect((await run(['cat', HELLO_V0, '--offset', '6', '--length', '5'])).out).toBe('world')
    expect((await run(['ls', HELLO_V0])).out).toBe(`${HELLO_V0}           12 ${HELLO_V0}\n`)
    expect((await run(['get', HELLO_V0, '-o', 'copy.txt'])).code).toBe(0)
    expect(await readFile(join(dir, 'copy.txt'), 'utf8')).toBe('hello world\n')
    expect((await run(['pin', 'ls'])).out).toBe(`${HELLO_V0} recursive\n`)
    // One dag-pb leaf: PBNode{Data: UnixFS{Type: File, Data: 12 bytes, filesize: 12}} = 2 + (2 + 2 + 12 + 2) = 20 bytes.
    expect(JSON.parse((await run(['repo', 'stat', '--json'])).out)).toMatchObject({ blocks: 1, size: 20, pins: 1 })
    expect(await run(['repo', 'verify'])).toEqual({ code: 0, out: 'checked 1 blocks, 0 corrupt\n', err: '' })
  })

  it('behavior: add --json reports CID, size, name and profile; the default profile is unixfs-v1-2025', async () => {
    await run(['init'])
    const r = await run(['add', '--json', 'hello.txt'])
    // A one-chunk file under unixfs-v1-2025 is a raw leaf: CIDv1 raw of sha256("hello world\n").
    expect(JSON.parse(r.out)).toMatchObject({ cid: 'bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4', size: 12, name: 'hello.txt', profile: 'unixfs-v1-2025', pinned: true, daemon: false })
  })

  it('behavior: pin rm then repo gc removes the blocks', async () => {
    await run(['init'])
    await run(['add', '-q', '--profile', 'unixfs-v0-2015', 'hello.txt'])
    expect((await run(['pin', 'rm', HELLO_V0])).code).toBe(0)
    expect(JSON.parse((await run(['repo', 'gc', '--json'])).out)).toEqual({ removed: 1, freed: 20, kept: 0, tempRemoved: 0 })
    const r = await run(['cat', HELLO_V0])
    expect(r.code).toBe(1)
    expect(r.err).toContain('(BlockNotFoundError)')
  })

  it('behavior: bad input gets a named error and a non-zero exit code', async () => {
    expect(await run(['cat', HELLO_V0])).toMatchObject({ code: 1, err: expect.stringContaining('(RepoNotInitializedError)') })
    await run(['init'])
    const bad = await run(['cat', 'not-a-cid'])
    expect(bad.code).toBe(1)
    expect(bad.err).toMatchInlineSnapshot(`
      "Error: invalid CID "not-a-cid"
      Caused by: Error: To parse non base32, base36 or base58btc encoded CID multibase decoder must be provided
      (InvalidCidError)
      "
    `)
    expect(await run(['add', '--profile', 'nope', 'hello.txt'])).toMatchObject({ code: 1, err: expect.stringContaining('unknown import profile "nope"') })
    expect(await run(['peers'])).toMatchObject({ code: 1, err: expect.stringContaining('(DaemonNotRunningError)') })
    expect(await run(['add'])).toMatchObject({ code: 2, err: expect.stringContaining('missing argument <path>') })
    // a dag-cbor CID nobody holds may be a listing id: the error says where to look
    const listingLike = 'bafyreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku'
    expect(await run(['get', listingLike])).toMatchObject({ code: 1, err: expect.stringContaining(`agora market show ${listingLike}`) })
  })
})

describe('cli: content (through a daemon)', () => {
  it('default: add and cat go through the running daemon\'s API', async () => {
    daemon = await startDaemon({ repo: env.AGORA_REPO, config: { addresses: { listen: ['/ip4/127.0.0.1/tcp/0'], api: '127.0.0.1:0', gateway: '127.0.0.1:0' } } })
    const added = JSON.parse((await run(['add', '--json', '--profile', 'unixfs-v0-2015', 'hello.txt'])).out) as Record<string, unknown>
    expect(added).toMatchObject({ cid: HELLO_V0, daemon: true, pinned: true })
    expect((await run(['cat', HELLO_V0])).out).toBe('hello world\n')
    expect(JSON.parse((await run(['id', '--json'])).out)).toMatchObject({ peerId: daemon.info.peerId, online: true })
    expect(JSON.parse((await run(['peers', '--json'])).out)).toEqual({ peers: [] })
    // empty results (command.ts policy): nothing on stdout, exit 0, a hint on stderr where one helps
    expect(await run(['peers'])).toMatchObject({ code: 0, out: '' })
    expect(await run(['dht', 'findprovs', HELLO_V0, '--timeout', '1s'])).toMatchObject({ code: 0, out: '', err: expect.stringContaining('no providers found') })
  })
})

describe('cli: progress', () => {
  it('default: on a terminal the bar shows bytes, percent, rate and ETA on stderr', async () => {
    const { progressBar, formatBytes, parseDuration } = await import('../../src/cli/progress.ts')
    const io = memoryIo()
    io.stderr.isTTY = true
    const bar = progressBar(io, 'fetching', true)
    bar.update(512 * 1024, 1024 * 1024)
    bar.done()
    expect(io.stderrText()).toMatch(/^\rfetching \[#{10}\.{10}\] {2}50% 512\.0 KiB\/1\.0 MiB .+\/s ETA (\d+:\d\d|--:--)/)
    expect(io.stderrText().endsWith('\n')).toBe(true)
    expect(formatBytes(1536)).toBe('1.5 KiB')
    expect([parseDuration('30s'), parseDuration('2m'), parseDuration('500ms'), parseDuration('5')]).toEqual([30_000, 120_000, 500, 5000])
    expect(() => parseDuration('soon')).toThrow(RangeError)
  })

  it('behavior: not a terminal, or --json/--quiet, draws nothing', async () => {
    const { progressBar } = await import('../../src/cli/progress.ts')
    const io = memoryIo()
    progressBar(io, 'x', true).update(1, 2)
    io.stderr.isTTY = true
    progressBar(io, 'x', false).update(1, 2)
    expect(io.stderrText()).toBe('')
  })
})
