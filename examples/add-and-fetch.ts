/**
 * Two peers on loopback: A adds a file, B (bootstrapped from A) fetches it by CID through the
 * DHT, verified block by block, and reads it back.
 *
 * Run: node examples/add-and-fetch.ts
 */
import { strict as assert } from 'node:assert'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createNode } from '../src/index.ts'

const dir = await mkdtemp(join(tmpdir(), 'agora-example-'))
const listen = ['/ip4/127.0.0.1/tcp/0']
const a = await createNode({ repo: join(dir, 'a'), config: { addresses: { listen }, swarm: { network: 'lan' } } })
const b = await createNode({ repo: join(dir, 'b'), config: { addresses: { listen }, bootstrap: [a.id().addresses[0]], swarm: { network: 'lan' } } })
try {
  const text = 'weights of a very small model\n'
  await writeFile(join(dir, 'model.txt'), text)
  const { cid } = await a.add(join(dir, 'model.txt'))
  console.log(`A added ${cid.toString()}`)

  const result = await b.fetch(cid, { timeout: 10_000 })
  console.log(`B fetched ${result?.blocksFetched} block(s) from ${result?.providers.map(p => p.peer).join(', ')}`)

  let got = ''
  for await (const chunk of b.store.cat(cid)) got += new TextDecoder().decode(chunk)
  assert.equal(got, text)
  console.log('B read back the same bytes')
} finally {
  await b.stop()
  await a.stop()
  await rm(dir, { recursive: true, force: true })
}
