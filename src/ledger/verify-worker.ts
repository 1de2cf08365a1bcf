/**
 * Worker side of the signature-verification pool (verify-pool.ts): for each job, claims chunks
 * with an atomic increment until none is left, verifies them with `verify.ts` `verify` and writes
 * one result byte per item into the shared buffer; the worker that finishes the job's last chunk
 * posts the job id back. Posts 'ready' once loaded.
 */
import { parentPort } from 'node:worker_threads'
import { verify } from './verify.ts'
import type { VerifyJobMessage } from './verify-pool.ts'

parentPort?.on('message', (m: VerifyJobMessage) => {
  const ctrl = new Int32Array(m.sab, 0, 2)
  const ok = new Uint8Array(m.sab, m.at.ok, m.n)
  const offs = new Uint32Array(m.sab, m.at.offs, m.n + 1)
  const bytes = new Uint8Array(m.sab)
  let completed = false
  for (;;) {
    const c = Atomics.add(ctrl, 0, 1)
    if (c >= m.chunks) break
    const end = Math.min(m.n, (c + 1) * m.chunk)
    for (let i = c * m.chunk; i < end; i++) {
      if (ok[i] !== 0) continue
      const sig = bytes.subarray(m.at.sigs + 64 * i, m.at.sigs + 64 * (i + 1))
      const key = bytes.subarray(m.at.keys + 32 * i, m.at.keys + 32 * (i + 1))
      const msg = bytes.subarray(m.at.msgs + offs[i], m.at.msgs + offs[i + 1])
      let good = false
      try {
        good = verify(sig, msg, key)
      } catch {}
      ok[i] = good ? 1 : 2
    }
    if (Atomics.add(ctrl, 1, 1) + 1 === m.chunks) completed = true
  }
  if (completed) parentPort?.postMessage(m.id)
})
parentPort?.postMessage('ready')
