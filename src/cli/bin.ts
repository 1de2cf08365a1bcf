#!/usr/bin/env -S node --max-semi-space-size=2 --single-threaded-gc
// V8 flags (measured with `node bench/transfer.bench.ts --only agora,agora-bin`): a 4 MB young
// generation instead of 32 MB, and dead receive buffers freed sooner, keep a fetching peer's
// peak RSS under 200 MB for a 1 GiB fetch. `npm start` passes the same flags.
import { main } from './main.ts'
// `agora … | head` closes the pipe early: stop quietly, as Unix tools do, instead of crashing on EPIPE
for (const s of [process.stdout, process.stderr]) {
  s.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err
    process.exit(process.exitCode ?? 0)
  })
}
process.exitCode = await main(process.argv.slice(2))
