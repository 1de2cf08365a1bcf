import { resolve } from 'node:path'
import { IMPORT_PROFILES, assertProfile } from '../../config.ts'
import { defineCommand, flag, list, out, outJson, str } from '../command.ts'
import { networkCommands } from '../content-network.ts'
import { formatBytes, parseDuration, progressBar } from '../progress.ts'
import type { AgoraClient, FetchOptions } from '../agora-client.ts'
import type { CommandContext, CommandDef, OptionDef } from '../command.ts'

// Lazy loading: this file is read for every command, `--help` included, so the client (and
// through it the store, the node or the daemon's API) loads only inside `run`.
const client = async () => import('../connect.ts')

const quiet: OptionDef = { type: 'boolean', short: 'q', description: 'print only the CID / nothing but the data' }
const provider: OptionDef = { type: 'string', multiple: true, description: 'also fetch from this peer (multiaddr with /p2p/; repeatable)', valueName: '<multiaddr>' }
const timeout: OptionDef = { type: 'string', description: 'fail when no provider delivers a block for this long (e.g. 30s, 2m)', valueName: '<duration>' }

function timeoutMs (ctx: CommandContext): number | undefined {
  const t = str(ctx, 'timeout')
  return t == null ? undefined : parseDuration(t)
}

/** `--timeout`, `--provider` and a progress bar (none with --json or --quiet, or off a terminal). */
function fetchOptions (ctx: CommandContext, label: string): FetchOptions & { bar: ReturnType<typeof progressBar> } {
  const bar = progressBar(ctx.io, label, !flag(ctx, 'json') && !flag(ctx, 'quiet'))
  return { timeoutMs: timeoutMs(ctx), providers: list(ctx, 'provider'), onProgress: (b, t) => { bar.update(b, t) }, bar }
}

const add = defineCommand({
  name: 'add',
  description: 'import a file or directory, pin it and announce it; prints the root CID',
  positionals: [{ name: 'path', description: 'file or directory to import', required: true }],
  options: {
    profile: { type: 'string', description: `CID profile: ${IMPORT_PROFILES.join(' | ')} (default from config: unixfs-v1-2025)`, valueName: '<profile>' },
    'no-pin': { type: 'boolean', description: 'do not pin the result' },
    quiet
  },
  run: async (ctx) => {
    const path = resolve(ctx.io.cwd, ctx.positionals[0])
    const profile = str(ctx, 'profile')
    if (profile != null) assertProfile(profile)
    const pin = !flag(ctx, 'no-pin')
    const bar = progressBar(ctx.io, 'adding', !flag(ctx, 'json') && !flag(ctx, 'quiet'))
    const r = await (await client()).withClient(ctx, async c => ({
      ...await c.add(path, { profile, pin, onProgress: (b, t) => { bar.update(b, t) } }),
      daemon: c.kind === 'daemon'
    })).finally(() => { bar.done() })
    if (flag(ctx, 'json')) outJson(ctx, r)
    else if (flag(ctx, 'quiet')) out(ctx, r.cid)
    else out(ctx, `added ${r.cid} ${r.name} (${formatBytes(r.size)}, ${r.profile})`)
  }
})

const cat = defineCommand({
  name: 'cat',
  description: 'write the bytes of a file to stdout (fetched from peers when the daemon runs)',
  positionals: [{ name: 'cid', description: 'CID, optionally with a /path', required: true }],
  options: {
    offset: { type: 'string', description: 'byte offset to start at', valueName: '<n>' },
    length: { type: 'string', description: 'number of bytes to write', valueName: '<n>' },
    timeout,
    provider,
    quiet
  },
  run: async (ctx) => {
    const { withClient, writeOut } = await client()
    const offset = str(ctx, 'offset') != null ? Number(str(ctx, 'offset')) : undefined
    const length = str(ctx, 'length') != null ? Number(str(ctx, 'length')) : undefined
    const { bar, ...o } = fetchOptions(ctx, 'fetching')
    await withClient(ctx, async (c) => {
      let first = true
      for await (const chunk of c.cat(ctx.positionals[0], { ...o, offset, length, signal: ctx.io.signal })) {
        if (first) { bar.done(); first = false }
        await writeOut(ctx, chunk)
      }
    }).finally(() => { bar.done() })
  }
})

/** The dag-cbor codec (listing ids, report batches). */
const DAG_CBOR = 0x71

const get = defineCommand({
  name: 'get',
  description: 'write a file or directory to disk (fetched from peers when the daemon runs)',
  positionals: [{ name: 'cid', description: 'CID, optionally with a /path', required: true }],
  options: {
    output: { type: 'string', short: 'o', description: 'output path (default ./<cid>); an existing directory is merged into, without following symlinks in it', valueName: '<path>' },
    force: { type: 'boolean', description: 'replace existing files that differ (files with the same bytes are kept without it)' },
    timeout,
    provider,
    quiet
  },
  run: async (ctx) => {
    const { withClient } = await client()
    const arg = ctx.positionals[0]
    const { cid } = (await import('../../store/index.ts')).parseCidPath(arg)
    const output = resolve(ctx.io.cwd, str(ctx, 'output') ?? cid.toString())
    const { bar, ...o } = fetchOptions(ctx, 'fetching')
    const r = await withClient(ctx, async c => c.get(arg, output, { ...o, force: flag(ctx, 'force') })).catch((err: Error & { meta?: unknown }) => {
      // listing ids are dag-cbor CIDs too, and nobody provides them as content
      if (cid.code === DAG_CBOR && (err.name === 'NoProvidersError' || err.name === 'BlockNotFoundError' || err.name === 'FetchStalledError')) {
        err.meta = [...(Array.isArray(err.meta) ? err.meta : []), `if ${cid.toString()} is a market listing: agora market show ${cid.toString()} (and agora buy, or agora get <its root CID>)`]
      }
      throw err
    }).finally(() => { bar.done() })
    if (flag(ctx, 'json')) outJson(ctx, r)
    else if (!flag(ctx, 'quiet')) out(ctx, `saved ${r.path} (${r.files} file${r.files === 1 ? '' : 's'}, ${formatBytes(r.bytes)})`)
  }
})

const ls = defineCommand({
  name: 'ls',
  description: 'list a directory: CID, size and name of each entry',
  positionals: [{ name: 'cid', description: 'CID, optionally with a /path', required: true }],
  options: { timeout },
  run: async (ctx) => {
    const entries = await (await client()).withClient(ctx, async c => c.ls(ctx.positionals[0], { timeoutMs: timeoutMs(ctx) }))
    if (flag(ctx, 'json')) { outJson(ctx, { entries }); return }
    for (const e of entries) out(ctx, `${e.cid} ${String(e.size).padStart(12)} ${e.name}${e.type === 'directory' ? '/' : ''}`)
  }
})

/** A root CID argument, checked and in its canonical text before the client opens. */
async function rootCid (ctx: CommandContext): Promise<string> {
  return (await import('../../store/index.ts')).parseCid(ctx.positionals[0]).toString()
}

const pin = defineCommand({
  name: 'pin',
  description: 'keep content in the repo (pinned DAGs survive gc and are reprovided)',
  subCommands: [
    defineCommand({
      name: 'add',
      description: 'pin a CID recursively (fetching it first when the daemon runs)',
      positionals: [{ name: 'cid', description: 'root CID', required: true }],
      options: { timeout },
      run: async (ctx) => {
        const cid = await rootCid(ctx)
        await (await client()).withClient(ctx, async c => c.pin(cid, { timeoutMs: timeoutMs(ctx) }))
        if (flag(ctx, 'json')) outJson(ctx, { pinned: cid })
        else out(ctx, `pinned ${cid}`)
      }
    }),
    defineCommand({
      name: 'rm',
      description: 'remove a pin (gc can then remove the blocks)',
      positionals: [{ name: 'cid', description: 'root CID', required: true }],
      run: async (ctx) => {
        const cid = await rootCid(ctx)
        await (await client()).withClient(ctx, async c => c.unpin(cid))
        if (flag(ctx, 'json')) outJson(ctx, { unpinned: cid })
        else out(ctx, `unpinned ${cid}`)
      }
    }),
    defineCommand({
      name: 'ls',
      description: 'list pins',
      run: async (ctx) => {
        const pins = await (await client()).withClient(ctx, async c => c.pins())
        if (flag(ctx, 'json')) outJson(ctx, { pins })
        else for (const p of pins) out(ctx, `${p.cid} ${p.type}`)
      }
    })
  ]
})

function repoSub<T> (name: string, description: string, call: (c: AgoraClient) => Promise<T>, render: (ctx: CommandContext, r: T) => number): CommandDef {
  return defineCommand({
    name,
    description,
    run: async (ctx) => {
      const r = await (await client()).withClient(ctx, call)
      if (flag(ctx, 'json')) outJson(ctx, r)
      return render(ctx, r)
    }
  })
}

const repo = defineCommand({
  name: 'repo',
  description: 'repo upkeep',
  subCommands: [
    repoSub('stat', 'blocks, bytes and pins in the repo', async c => c.repoStat(), (ctx, r) => {
      if (!flag(ctx, 'json')) out(ctx, `path    ${r.path}\nblocks  ${r.blocks}\nsize    ${formatBytes(r.size)}\npins    ${r.pins}`)
      return 0
    }),
    repoSub('gc', 'remove every block no pin reaches', async c => c.gc(), (ctx, r) => {
      if (!flag(ctx, 'json')) out(ctx, `removed ${r.removed} blocks (${formatBytes(r.freed)}), kept ${r.kept}`)
      return 0
    }),
    repoSub('verify', 're-hash every block; exit code 1 if any is corrupt', async c => c.verify(), (ctx, r) => {
      const corrupt = r.corrupt
      if (!flag(ctx, 'json')) {
        for (const c of corrupt) out(ctx, `corrupt ${c.cid} ${c.reason} ${c.file}`)
        out(ctx, `checked ${r.checked} blocks, ${corrupt.length} corrupt`)
      }
      return corrupt.length > 0 ? 1 : 0
    })
  ]
})

const init = defineCommand({
  name: 'init',
  description: 'create a repo (config, ed25519 identity, API token, blockstore, datastore)',
  options: {
    profile: { type: 'string', description: 'default CID profile for add', valueName: '<profile>' }
  },
  run: async (ctx) => {
    const path = (await client()).repoPath(ctx)
    const profile = str(ctx, 'profile')
    if (profile != null) assertProfile(profile)
    const { initRepo, readConfig } = await import('../../store/index.ts')
    const r = await initRepo(path, { config: profile != null ? { import: { profile } } : {} })
    const cfg = await readConfig(path)
    if (flag(ctx, 'json')) outJson(ctx, { path, created: r.created, config: cfg })
    else out(ctx, r.created ? `initialised repo at ${path}` : `repo at ${path} already initialised`)
  }
})

/** The content commands. */
export const contentCommands: CommandDef[] = [
  init, add, cat, get, ls, pin, repo, ...networkCommands
]
