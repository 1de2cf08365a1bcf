import { resolve } from 'node:path'
import { IMPORT_PROFILES, assertProfile } from '../../config.ts'
import { defineCommand, flag, list, out, outJson, str } from '../command.ts'
import { networkCommands } from '../content-network.ts'
import { formatBytes, parseDuration, progressBar } from '../progress.ts'
import type { ApiClient } from '../client.ts'
import type { CommandContext, CommandDef, OptionDef } from '../command.ts'
import type { ImportProfile } from '../../config.ts'

// Lazy loading: this file is read for every command, `--help` included, so the store, the node
// and the daemon client load only inside `run` (`agora --help` must not pay for libp2p).
const session = async () => import('../content-session.ts')
const store = async () => import('../../store/index.ts')

const quiet: OptionDef = { type: 'boolean', short: 'q', description: 'print only the CID / nothing but the data' }
const provider: OptionDef = { type: 'string', multiple: true, description: 'also fetch from this peer (multiaddr with /p2p/; repeatable)', valueName: '<multiaddr>' }
const timeout: OptionDef = { type: 'string', description: 'fail when no provider delivers a block for this long (e.g. 30s, 2m)', valueName: '<duration>' }

function timeoutMs (ctx: CommandContext): number | undefined {
  const t = str(ctx, 'timeout')
  return t == null ? undefined : parseDuration(t)
}

/** Fetch through the daemon with a progress bar; returns the size and fetch summary. */
async function daemonFetch (ctx: CommandContext, api: ApiClient, arg: string, label: string): Promise<Record<string, unknown>> {
  const bar = progressBar(ctx.io, label, !flag(ctx, 'json') && !flag(ctx, 'quiet'))
  let done: Record<string, unknown> = {}
  try {
    for await (const line of api.lines('POST', '/api/v0/fetch', { arg, timeout: timeoutMs(ctx), provider: list(ctx, 'provider') })) {
      if (line.type === 'progress') bar.update(line.bytes as number, line.total as number)
      if (line.type === 'done') { done = line; bar.update(Number(line.dagSize), Number(line.dagSize), true) }
    }
  } finally {
    bar.done()
  }
  return done
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
    const { withTarget } = await session()
    const bar = progressBar(ctx.io, 'adding', !flag(ctx, 'json') && !flag(ctx, 'quiet'))
    const r = await withTarget(ctx, async (t) => {
      if (t.kind === 'local') {
        const a = await t.node.add(path, { profile: profile as ImportProfile | undefined, pin, onProgress: p => { bar.update(p.bytes, p.total) } })
        return { cid: a.cid.toString(), size: a.size, name: a.name, profile: a.profile, pinned: pin, providedTo: 0, daemon: false }
      }
      let done: Record<string, unknown> = {}
      for await (const line of t.api.lines('POST', '/api/v0/add', { path, profile, pin })) {
        if (line.type === 'progress') bar.update(line.bytes as number, line.total as number)
        if (line.type === 'done') done = line
      }
      const { type: _type, ...rest } = done
      return { ...rest, daemon: true }
    }).finally(() => { bar.done() })
    if (flag(ctx, 'json')) outJson(ctx, r)
    else if (flag(ctx, 'quiet')) out(ctx, String(r.cid))
    else out(ctx, `added ${String(r.cid)} ${String(r.name)} (${formatBytes(Number(r.size))}, ${String(r.profile)})`)
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
    const { withTarget, writeOut } = await session()
    const { cid, path } = (await store()).parseCidPath(ctx.positionals[0])
    const offset = str(ctx, 'offset') != null ? Number(str(ctx, 'offset')) : undefined
    const length = str(ctx, 'length') != null ? Number(str(ctx, 'length')) : undefined
    await withTarget(ctx, async (t) => {
      if (t.kind === 'local') {
        for await (const c of t.node.store.cat(cid, path, { offset, length, signal: ctx.io.signal })) await writeOut(ctx, c)
        return
      }
      await daemonFetch(ctx, t.api, ctx.positionals[0], 'fetching')
      const res = await t.api.request('GET', '/api/v0/cat', { arg: ctx.positionals[0], offset, length, timeout: timeoutMs(ctx), provider: list(ctx, 'provider') })
      if (res.body != null) for await (const c of res.body) await writeOut(ctx, c)
    })
  }
})

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
    const { withTarget } = await session()
    const { cid, path } = (await store()).parseCidPath(ctx.positionals[0])
    const output = resolve(ctx.io.cwd, str(ctx, 'output') ?? cid.toString())
    const force = flag(ctx, 'force')
    const r = await withTarget(ctx, async (t): Promise<{ path: string, files: number, bytes: number, fetch?: Record<string, unknown> }> => {
      if (t.kind === 'local') {
        const total = (await t.node.store.stat(cid, path)).size
        const bar = progressBar(ctx.io, 'writing', !flag(ctx, 'json') && !flag(ctx, 'quiet'))
        try {
          const written = await t.node.store.get(cid, path, output, { signal: ctx.io.signal, force, onProgress: p => { bar.update(p.bytes, total) } })
          bar.update(written.bytes, total, true)
          return written
        } finally {
          bar.done()
        }
      }
      const fetched = await daemonFetch(ctx, t.api, ctx.positionals[0], 'fetching')
      const written = await t.api.json<{ path: string, files: number, bytes: number }>('POST', '/api/v0/get', { arg: ctx.positionals[0], output, force, timeout: timeoutMs(ctx), provider: list(ctx, 'provider') })
      const { type: _t, ...fetch } = fetched
      return { ...written, fetch }
    })
    if (flag(ctx, 'json')) outJson(ctx, r)
    else if (!flag(ctx, 'quiet')) out(ctx, `saved ${String(r.path)} (${String(r.files)} file${r.files === 1 ? '' : 's'}, ${formatBytes(Number(r.bytes))})`)
  }
})

const ls = defineCommand({
  name: 'ls',
  description: 'list a directory: CID, size and name of each entry',
  positionals: [{ name: 'cid', description: 'CID, optionally with a /path', required: true }],
  options: { timeout },
  run: async (ctx) => {
    const { withTarget } = await session()
    const { cid, path } = (await store()).parseCidPath(ctx.positionals[0])
    const entries = await withTarget(ctx, async (t) => {
      if (t.kind === 'daemon') return (await t.api.json<{ entries: Array<{ name: string, cid: string, size: number, type: string }> }>('GET', '/api/v0/ls', { arg: ctx.positionals[0], timeout: timeoutMs(ctx) })).entries
      const list = []
      for await (const e of t.node.store.ls(cid, path, { signal: ctx.io.signal })) list.push({ name: e.name, cid: e.cid.toString(), size: e.size, type: e.type })
      return list
    })
    if (flag(ctx, 'json')) { outJson(ctx, { entries }); return }
    for (const e of entries) out(ctx, `${e.cid} ${String(e.size).padStart(12)} ${e.name}${e.type === 'directory' ? '/' : ''}`)
  }
})

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
        const { withTarget } = await session()
        const cid = (await store()).parseCid(ctx.positionals[0])
        await withTarget(ctx, async (t) => {
          if (t.kind === 'daemon') await t.api.json('POST', '/api/v0/pin/add', { arg: cid.toString(), timeout: timeoutMs(ctx) })
          else await t.node.pin(cid)
        })
        if (flag(ctx, 'json')) outJson(ctx, { pinned: cid.toString() })
        else out(ctx, `pinned ${cid.toString()}`)
      }
    }),
    defineCommand({
      name: 'rm',
      description: 'remove a pin (gc can then remove the blocks)',
      positionals: [{ name: 'cid', description: 'root CID', required: true }],
      run: async (ctx) => {
        const { withTarget } = await session()
        const cid = (await store()).parseCid(ctx.positionals[0])
        await withTarget(ctx, async (t) => {
          if (t.kind === 'daemon') await t.api.json('POST', '/api/v0/pin/rm', { arg: cid.toString() })
          else await t.node.unpin(cid)
        })
        if (flag(ctx, 'json')) outJson(ctx, { unpinned: cid.toString() })
        else out(ctx, `unpinned ${cid.toString()}`)
      }
    }),
    defineCommand({
      name: 'ls',
      description: 'list pins',
      run: async (ctx) => {
        const { withTarget } = await session()
        const pins = await withTarget(ctx, async (t) => {
          if (t.kind === 'daemon') return (await t.api.json<{ pins: Array<{ cid: string, type: string }> }>('GET', '/api/v0/pin/ls')).pins
          const list = []
          for await (const p of t.node.store.pins.ls()) list.push({ cid: p.cid.toString(), type: p.type, created: p.created })
          return list
        })
        if (flag(ctx, 'json')) outJson(ctx, { pins })
        else for (const p of pins) out(ctx, `${p.cid} ${p.type}`)
      }
    })
  ]
})

function repoSub (name: 'stat' | 'gc' | 'verify', description: string, render: (ctx: CommandContext, r: Record<string, unknown>) => number | undefined): CommandDef {
  return defineCommand({
    name,
    description,
    run: async (ctx) => {
      const { withTarget } = await session()
      const r = await withTarget(ctx, async (t) => {
        if (t.kind === 'daemon') return t.api.json<Record<string, unknown>>(name === 'stat' ? 'GET' : 'POST', `/api/v0/repo/${name}`)
        const s = t.node.store
        return (name === 'stat' ? await s.repoStat() : name === 'gc' ? await s.gc() : await s.verify()) as unknown as Record<string, unknown>
      })
      if (flag(ctx, 'json')) outJson(ctx, r)
      return render(ctx, r)
    }
  })
}

const repo = defineCommand({
  name: 'repo',
  description: 'repo upkeep',
  subCommands: [
    repoSub('stat', 'blocks, bytes and pins in the repo', (ctx, r) => {
      if (!flag(ctx, 'json')) out(ctx, `path    ${String(r.path)}\nblocks  ${String(r.blocks)}\nsize    ${formatBytes(Number(r.size))}\npins    ${String(r.pins)}`)
      return 0
    }),
    repoSub('gc', 'remove every block no pin reaches', (ctx, r) => {
      if (!flag(ctx, 'json')) out(ctx, `removed ${String(r.removed)} blocks (${formatBytes(Number(r.freed))}), kept ${String(r.kept)}`)
      return 0
    }),
    repoSub('verify', 're-hash every block; exit code 1 if any is corrupt', (ctx, r) => {
      const corrupt = r.corrupt as Array<{ cid: string, file: string, reason: string }>
      if (!flag(ctx, 'json')) {
        for (const c of corrupt) out(ctx, `corrupt ${c.cid} ${c.reason} ${c.file}`)
        out(ctx, `checked ${String(r.checked)} blocks, ${corrupt.length} corrupt`)
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
    const path = (await session()).repoPath(ctx)
    const profile = str(ctx, 'profile')
    if (profile != null) assertProfile(profile)
    const { initRepo, readConfig } = await store()
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
