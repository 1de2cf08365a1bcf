import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { statusOf } from '../../src/api/index.ts'
import { testDaemon } from './helpers.ts'

let d: Awaited<ReturnType<typeof testDaemon>>
let auth: Record<string, string>

beforeAll(async () => {
  d = await testDaemon()
  auth = { authorization: `Bearer ${d.node.repo.apiToken}` }
})
afterAll(async () => { await d?.close() })

async function body (res: Response): Promise<unknown> { return res.json() }

describe('api', () => {
  it('default: with the repo token, /api/v0/id answers with this peer', async () => {
    const res = await fetch(`${d.info.api}/api/v0/id`, { headers: auth })
    expect(res.status).toBe(200)
    expect(await body(res)).toMatchObject({ peerId: d.info.peerId, online: true })
  })

  it('behavior: no token or a wrong token is 401 UnauthorizedError', async () => {
    const variants: Array<Record<string, string>> = [{}, { authorization: 'Bearer nope' }, { authorization: d.node.repo.apiToken }]
    for (const headers of variants) {
      const res = await fetch(`${d.info.api}/api/v0/id`, { headers })
      expect(res.status).toBe(401)
      expect(await body(res)).toMatchObject({ error: { name: 'UnauthorizedError' } })
    }
  })

  it('behavior: error names map to HTTP statuses', async () => {
    const cases: Array<[string, string, number, string]> = [
      ['GET', '/api/v0/ls?arg=not-a-cid', 400, 'InvalidCidError'],
      ['GET', '/api/v0/ls', 400, 'InvalidParametersError'],
      ['GET', '/api/v0/nope', 404, 'RouteNotFoundError'],
      ['GET', '/api/v0/repo/gc', 405, 'MethodNotAllowedError'],
      ['POST', '/api/v0/pin/rm?arg=bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy', 404, 'NotPinnedError'],
      ['POST', '/api/v0/add?path=relative/path', 400, 'InvalidParametersError'],
      ['POST', '/api/v0/swarm/connect?arg=nonsense', 400, 'InvalidParametersError']
    ]
    for (const [method, path, status, name] of cases) {
      const res = await fetch(`${d.info.api}${path}`, { method, headers: auth })
      expect({ path, status: res.status, body: await body(res) }).toMatchObject({ path, status, body: { error: { name } } })
    }
    expect(statusOf(Object.assign(new Error('x'), { name: 'NoProvidersError' }))).toBe(504)
    expect(statusOf(new Error('anything else'))).toBe(500)
  })

  it('behavior: a CID nobody provides fails with 504 NoProvidersError within the timeout instead of hanging', async () => {
    const res = await fetch(`${d.info.api}/api/v0/cat?arg=bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy&timeout=500`, { headers: auth, signal: AbortSignal.timeout(20_000) })
    expect(res.status).toBe(504)
    expect(await body(res)).toMatchObject({ error: { name: 'NoProvidersError' } })
  })

  it('behavior: add by path streams NDJSON ending in the root CID, and pin/ls lists it', async () => {
    const file = join(d.dir, 'hello.txt')
    await writeFile(file, 'hello world\n')
    const res = await fetch(`${d.info.api}/api/v0/add?path=${encodeURIComponent(file)}&profile=unixfs-v0-2015`, { method: 'POST', headers: auth })
    expect(res.headers.get('content-type')).toBe('application/x-ndjson')
    const lines = (await res.text()).trim().split('\n').map(l => JSON.parse(l) as Record<string, unknown>)
    // The ipfs_cid fixture value for "hello world\n".
    expect(lines.at(-1)).toMatchObject({ type: 'done', cid: 'QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o', size: 12, pinned: true })
    const pins = await body(await fetch(`${d.info.api}/api/v0/pin/ls`, { headers: auth })) as { pins: Array<{ cid: string }> }
    expect(pins.pins.map(p => p.cid)).toContain('QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o')
  })

  it('behavior: add of a request body imports the streamed bytes', async () => {
    const res = await fetch(`${d.info.api}/api/v0/add?profile=unixfs-v0-2015`, { method: 'POST', headers: auth, body: 'hello world\n' })
    const last = (await res.text()).trim().split('\n').map(l => JSON.parse(l) as Record<string, unknown>).at(-1)
    expect(last).toMatchObject({ type: 'done', cid: 'QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o' })
  })
})
