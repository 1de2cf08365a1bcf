/** Worker side of the signature-verification pool: verifies batches with `keys.ts` `verify`. */
import { parentPort } from 'node:worker_threads'
import { verify } from './keys.ts'

/** One batch: flat arrays of signatures, messages and public keys. */
export interface VerifyRequest { id: number, sigs: Uint8Array[], msgs: Uint8Array[], keys: Uint8Array[] }

parentPort?.on('message', (req: VerifyRequest) => {
  const ok = req.sigs.map((s, i) => {
    try {
      return verify(s, req.msgs[i], req.keys[i])
    } catch {
      return false
    }
  })
  parentPort?.postMessage({ id: req.id, ok })
})
