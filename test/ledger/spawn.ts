/** Spawns `test/fixtures/ledger/peer.ts` in its own process and talks to it over IPC. */
import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { ChildProcess } from 'node:child_process'

/** A running ledger peer process. */
export interface LedgerPeer {
  addrs: string[]
  child: ChildProcess
  call: <T = any>(cmd: string, args?: Record<string, unknown>) => Promise<T>
  /** Stops the peer cleanly if it is alive, kills it otherwise. */
  stop: () => Promise<void>
}

const script = fileURLToPath(new URL('../fixtures/ledger/peer.ts', import.meta.url))

/** Start a peer on `dir` (reused across restarts). */
export async function spawnLedgerPeer (dir: string, args: string[]): Promise<LedgerPeer> {
  const child = fork(script, [dir, ...args], { execPath: process.execPath, serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const pending = new Map<number, { resolve: (v: any) => void, reject: (e: Error) => void }>()
  let nextId = 1
  const ready = new Promise<{ addrs: string[] }>((resolve, reject) => {
    child.once('exit', code => { reject(new Error(`ledger peer exited with ${code} before ready`)) })
    child.on('message', (msg: any) => {
      if (msg.event === 'ready') { resolve(msg); return }
      const p = pending.get(msg.id)
      pending.delete(msg.id)
      if (msg.ok === true) p?.resolve(msg.value)
      else p?.reject(Object.assign(new Error(msg.error.message), { name: msg.error.name }))
    })
  })
  child.on('exit', () => { for (const p of pending.values()) p.reject(new Error('ledger peer exited')) })
  const { addrs } = await ready
  const call = async (cmd: string, a: Record<string, unknown> = {}): Promise<any> => {
    const id = nextId++
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject })
      child.send({ id, cmd, ...a })
    })
  }
  const stop = async (): Promise<void> => {
    if (child.exitCode != null || child.signalCode != null) return
    const exited = new Promise<void>(resolve => child.once('exit', () => resolve()))
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
    call('stop').catch(() => {})
    await exited
    clearTimeout(timer)
  }
  return { addrs, child, call, stop }
}
