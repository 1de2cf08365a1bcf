#!/usr/bin/env -S node --max-semi-space-size=2 --single-threaded-gc
// The `agora` command as installed (package.json "bin"). Plain JavaScript on purpose: it is the
// first file whatever `node` is first on the PATH runs (Node 20 on many machines), and Node
// refuses type stripping under node_modules, where a global install puts the package.
//
// - When the running Node satisfies package.json "engines" and was started with the V8 flags
//   the daemon needs (the shebang passes them), the CLI runs in this process.
// - Otherwise it re-executes itself with the Node of the `node` dependency (or this Node, when
//   only the flags are missing), forwarding argv, stdio, SIGINT/SIGTERM and the exit code.
//
// V8 flags (measured with `node bench/transfer.bench.ts --only agora,agora-bin`, see
// src/cli/bin.ts): a 4 MB young generation instead of 32 MB, and dead receive buffers freed
// sooner, keep a fetching peer's peak RSS under 200 MB for a 1 GiB fetch.
import { spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const V8_FLAGS = ['--max-semi-space-size=2', '--single-threaded-gc']
/** Set in the re-executed child, so a Node that still does not qualify fails instead of looping. */
const REEXEC_ENV = 'AGORA_LAUNCHER_CHILD'

const root = fileURLToPath(new URL('..', import.meta.url))
const self = fileURLToPath(import.meta.url)
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))

/** `engines.node` of the form `>=X[.Y[.Z]]` (the only form this package uses). */
function minimumNode (range) {
  const m = /^>=\s*(\d+)(?:\.(\d+))?(?:\.(\d+))?$/.exec(String(range).trim())
  if (m == null) throw new Error(`agora: cannot read engines.node "${range}" (expected >=X.Y.Z)`)
  return [Number(m[1]), Number(m[2] ?? 0), Number(m[3] ?? 0)]
}

function atLeast (version, min) {
  const v = version.split('.').map(Number)
  for (let i = 0; i < 3; i++) if (v[i] !== min[i]) return v[i] > min[i]
  return true
}

/** The Node binary of the `node` npm dependency, or undefined when it is not installed. */
function bundledNode () {
  try {
    const dir = dirname(createRequire(import.meta.url).resolve('node/package.json'))
    const bin = join(dir, 'bin', process.platform === 'win32' ? 'node.exe' : 'node')
    return existsSync(bin) ? bin : undefined
  } catch {
    return undefined
  }
}

/**
 * The CLI entry: src/cli/bin.ts in a clone (its sources are there; a clone runs them, so edits
 * take effect without a build), dist/cli/bin.js in a packed install (the tarball has no src/).
 */
function entry () {
  const src = join(root, 'src', 'cli', 'bin.ts')
  return existsSync(src) ? src : join(root, 'dist', 'cli', 'bin.js')
}

const newEnough = atLeast(process.versions.node, minimumNode(pkg.engines.node))
const hasFlags = V8_FLAGS.every(f => process.execArgv.includes(f))

if (newEnough && hasFlags) {
  // Node's compile cache (Node >= 22.1): the second start of the same files skips compiling them.
  delete process.env[REEXEC_ENV] // commands that start `agora` again start it afresh
  ;(await import('node:module')).enableCompileCache?.()
  await import(pathToFileURL(entry()).href)
} else {
  const node = newEnough ? process.execPath : bundledNode()
  if (node == null || process.env[REEXEC_ENV] === '1') {
    process.stderr.write(`agora: needs Node ${pkg.engines.node} (this is ${process.version}) and the \`node\` package it depends on is not installed; reinstall agora, or run it with a newer node\n`)
    process.exit(1)
  }
  const child = spawn(node, [...V8_FLAGS, self, ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, [REEXEC_ENV]: '1' }
  })
  // The child handles the signals (the daemon shuts down gracefully); this process only passes
  // them on and stays alive until the child has exited.
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => { child.kill(sig) })
  child.on('error', (err) => {
    process.stderr.write(`agora: cannot start ${node}: ${err.message}\n`)
    process.exit(1)
  })
  child.on('exit', (code, signal) => {
    if (signal != null) {
      // Die of the same signal, so a shell sees what the child saw.
      process.removeAllListeners(signal)
      process.kill(process.pid, signal)
      return
    }
    process.exit(code ?? 1)
  })
}
