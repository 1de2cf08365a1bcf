/**
 * `GET /debug/metrics/prometheus` on a real daemon (a dev chain and the market in this process):
 * behind the API token; the text format with libp2p's metrics, the process's and Agora's gauges,
 * read at scrape time; labels with bounded values only.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { privateKeyFromProtobuf } from '@libp2p/crypto/keys'
import { afterEach, describe, expect, it } from 'vitest'
import { startDaemon } from '../../src/api/index.ts'
import { devAccount, devGenesis, hotkeyAddress, LEDGER, ledgerService, parseGenesis } from '../../src/ledger/index.ts'
import { marketService } from '../../src/market/index.ts'
import { initRepo } from '../../src/store/index.ts'

const cleanup: Array<() => Promise<void>> = []
afterEach(async () => { for (const c of cleanup.splice(0).reverse()) await c() })

/** name → value of each unlabelled sample, and every label value seen. */
function parse (text: string): { values: Map<string, number>, types: Map<string, string>, labelValues: string[] } {
  const values = new Map<string, number>()
  const types = new Map<string, string>()
  const labelValues: string[] = []
  for (const line of text.split('\n')) {
    const t = /^# TYPE (\S+) (\S+)$/.exec(line)
    if (t != null) { types.set(t[1], t[2]); continue }
    if (line === '' || line.startsWith('#')) continue
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/.exec(line)
    expect(m, line).not.toBeNull()
    if (m?.[3] != null) for (const lv of m[3].matchAll(/="((?:[^"\\]|\\.)*)"/g)) labelValues.push(lv[1])
    else if (m != null) values.set(m[1], Number(m[4]))
  }
  return { values, types, labelValues }
}

describe('api: prometheus metrics', () => {
  it('behavior: behind the token, the chain height and market gauges read at scrape time next to libp2p\'s and the process\'s, no label names a peer or a CID', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'agora-metrics-'))
    cleanup.push(async () => rm(dir, { recursive: true, force: true }))
    const repo = join(dir, 'repo')
    await initRepo(repo)
    const hotkey = hotkeyAddress(privateKeyFromProtobuf(await readFile(join(repo, 'identity.key'))))
    const genesis = parseGenesis(devGenesis(hotkey, devAccount().address, 100))
    const d = await startDaemon({
      repo,
      services: [ledgerService({ genesis, authority: true }), marketService()],
      config: { addresses: { listen: ['/ip4/127.0.0.1/tcp/0'], api: '127.0.0.1:0', gateway: '127.0.0.1:0' }, swarm: { network: 'lan' } }
    })
    cleanup.push(async () => d.stop())
    const url = new URL('/debug/metrics/prometheus', d.info.api)
    expect((await fetch(url)).status).toBe(401)

    const chain = d.node.services.require(LEDGER)
    const before = chain.ledger.status().height
    const res = await fetch(url, { headers: { authorization: `Bearer ${d.node.repo.apiToken}` } })
    const after = chain.ledger.status().height
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toContain('text/plain')
    const text = await res.text()
    const { values, types, labelValues } = parse(text)
    const height = values.get('agora_chain_height') ?? -1
    expect(height).toBeGreaterThanOrEqual(before)
    expect(height).toBeLessThanOrEqual(after)
    expect(values.get('agora_chain_authority')).toBe(1)
    expect(values.get('agora_peers_connected')).toBe(0)
    expect(values.get('agora_market_fraud_reports')).toBe(0)
    expect(types.get('agora_market_catalogue_listings_total')).toBe('counter')
    expect(types.get('agora_market_purchases')).toBe('gauge')
    expect(types.get('agora_process_cpu_user_seconds_total')).toBe('counter')
    expect([...types.keys()].some(n => n.startsWith('libp2p_'))).toBe(true)
    // no peer id (12D3Koo…, Qm…) and no CID (bafy…, bafk…) as a label value
    expect(labelValues.filter(v => /^(12D3Koo|Qm[1-9A-HJ-NP-Za-km-z]{44}|baf[ykz])/.test(v))).toEqual([])
  })

  it('behavior: metrics.listen serves the metrics on loopback without the token, and nothing else there', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'agora-metrics-'))
    cleanup.push(async () => rm(dir, { recursive: true, force: true }))
    const d = await startDaemon({ repo: join(dir, 'r'), config: { addresses: { listen: ['/ip4/127.0.0.1/tcp/0'], api: '127.0.0.1:0', gateway: '127.0.0.1:0' }, metrics: { listen: '127.0.0.1:0' }, swarm: { network: 'lan' } } })
    cleanup.push(async () => d.stop())
    expect(d.info.metrics).toMatch(/^http:\/\/127\.0\.0\.1:\d+/)
    const res = await fetch(new URL('/debug/metrics/prometheus', d.info.metrics))
    expect(res.status).toBe(200)
    expect(await res.text()).toContain('# TYPE agora_peers_connected gauge')
    // the API's other routes are not there
    expect((await fetch(new URL('/api/v0/id', d.info.metrics), { method: 'POST' })).status).toBe(404)
    // an address others can reach is refused, also when given to the library rather than in config.json
    await expect(startDaemon({ repo: join(dir, 'r2'), config: { addresses: { listen: ['/ip4/127.0.0.1/tcp/0'], api: '127.0.0.1:0', gateway: '127.0.0.1:0' }, metrics: { listen: '0.0.0.0:0' } } }))
      .rejects.toMatchObject({ name: 'InvalidParametersError', message: expect.stringContaining('loopback') })
  })

  it('behavior: a fetch between two daemons counts the bytes served on one and fetched on the other', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'agora-metrics-'))
    cleanup.push(async () => rm(dir, { recursive: true, force: true }))
    const config = { addresses: { listen: ['/ip4/127.0.0.1/tcp/0'], api: '127.0.0.1:0', gateway: '127.0.0.1:0' }, swarm: { network: 'lan' as const } }
    const [a, b] = await Promise.all(['a', 'b'].map(async n => startDaemon({ repo: join(dir, n), config })))
    cleanup.push(async () => { await a.stop(); await b.stop() })
    // 1,000 bytes: one raw block under the default profile, so the block bytes are the file's
    await writeFile(join(dir, 'one.bin'), new Uint8Array(1000).fill(9))
    const { cid } = await a.node.add(join(dir, 'one.bin'))
    await b.node.connect(a.node.network.libp2p.getMultiaddrs()[0].toString())
    expect((await b.node.fetch(cid))?.bytesFetched).toBe(1000)
    const scrape = async (d: typeof a): Promise<Map<string, number>> => {
      const text = await (await fetch(new URL('/debug/metrics/prometheus', d.info.api), { headers: { authorization: `Bearer ${d.node.repo.apiToken}` } })).text()
      const out = new Map<string, number>()
      for (const m of text.matchAll(/^(agora_[a-z_]+(?:\{outcome="[a-z]+"\})?) (\S+)$/gm)) out.set(m[1], Number(m[2]))
      return out
    }
    const served = await scrape(a)
    expect(served.get('agora_served_blocks_total')).toBe(1)
    expect(served.get('agora_served_bytes_total')).toBe(1000)
    const fetched = await scrape(b)
    expect(fetched.get('agora_fetched_bytes_total')).toBe(1000)
    expect(fetched.get('agora_fetches_total{outcome="ok"}')).toBe(1)
  })
})
