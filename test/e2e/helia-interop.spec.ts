import { join } from 'node:path'
import { readFile } from 'node:fs/promises'
import { libp2pDefaults } from '@helia/libp2p'
import { unixfs } from '@helia/unixfs'
import { kadDHT, passthroughMapper } from '@libp2p/kad-dht'
import { multiaddr } from '@multiformats/multiaddr'
import { createHelia } from 'helia'
import { CID } from 'multiformats/cid'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { deterministicBuffer, sha256Hex, writeDeterministicFile } from '../utils/data.ts'
import { spawnDaemon, stopAll, tempDir } from '../utils/daemon.ts'
import type { TestDaemon } from '../utils/daemon.ts'

/** A stock Helia node configured for loopback only, as in test/dht/fixtures/helia.ts. */
type HeliaNode = ReturnType<typeof createHelia>

async function loopbackHelia (): Promise<HeliaNode> {
  const cfg = libp2pDefaults()
  cfg.addresses = { listen: ['/ip4/127.0.0.1/tcp/0'] }
  cfg.peerDiscovery = []
  const services = cfg.services as Record<string, unknown>
  for (const s of ['autoNAT', 'autoTLS', 'upnp', 'dcutr', 'relay', 'delegatedPeerRouting', 'delegatedContentRouting']) delete services[s]
  services.dht = kadDHT({ clientMode: false, peerInfoMapper: passthroughMapper })
  const helia = createHelia({ libp2p: cfg, http: { delegatedRouters: [], recursiveGateways: [] } } as unknown as Parameters<typeof createHelia>[0])
  await helia.start()
  return helia
}

let helia: HeliaNode
let agora: TestDaemon

beforeAll(async () => {
  helia = await loopbackHelia()
  agora = await spawnDaemon()
})

afterAll(async () => {
  await helia?.stop()
  await stopAll()
})

describe('e2e: interop with a stock Helia node over Bitswap', () => {
  it('default: Helia fetches by CID a file an agora daemon added', async () => {
    const dir = await tempDir()
    const file = join(dir, 'from-agora.bin')
    await writeDeterministicFile(file, 'agora-to-helia', 5 * 1024 * 1024 + 123)
    const { cid } = JSON.parse((await agora.cli(['add', '--json', file])).stdout) as { cid: string }
    await helia.libp2p.dial(multiaddr(agora.info.addresses[0]))
    const chunks: Uint8Array[] = []
    for await (const c of unixfs(helia).cat(CID.parse(cid), { signal: AbortSignal.timeout(60_000) })) chunks.push(c)
    expect(await sha256Hex(chunks)).toBe(await sha256Hex([await readFile(file)]))
  })

  it('behavior: an agora daemon fetches by CID a file the Helia node added', async () => {
    const bytes = deterministicBuffer('helia-to-agora', 3 * 1024 * 1024 + 7)
    const cid = await unixfs(helia).addBytes(bytes)
    const heliaAddr = helia.libp2p.getMultiaddrs().find(a => a.toString().startsWith('/ip4/127.0.0.1/tcp/'))
    expect(heliaAddr).toBeDefined()
    const out = join(await tempDir(), 'from-helia.bin')
    const got = await agora.cli(['get', '--json', cid.toString(), '-o', out, '--provider', String(heliaAddr)])
    expect(got.stderr).toBe('')
    const r = JSON.parse(got.stdout) as { bytes: number, fetch: { providers: Array<{ peer: string, protocol: string }> } }
    expect(r.bytes).toBe(bytes.byteLength)
    expect(r.fetch.providers.find(p => p.peer === helia.libp2p.peerId.toString())?.protocol).toBe('bitswap')
    expect(await sha256Hex([await readFile(out)])).toBe(await sha256Hex([bytes]))
  })
})
