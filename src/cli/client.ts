/**
 * The CLI's client of a running daemon's API: finds it through `<repo>/api.json`, authenticates
 * with the repo's token, and turns error responses back into named errors.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ApiError } from '../api/index.ts'
import { readApiToken, REPO_FILES } from '../store/index.ts'
import type { DaemonInfo } from '../api/index.ts'

/** A connection to a daemon's API. */
export interface ApiClient {
  info: DaemonInfo
  /** A request; resolves to the response once its status is known (errors thrown as named errors). */
  request: (method: 'GET' | 'POST', path: string, params?: Record<string, string | number | boolean | string[] | undefined>, body?: AsyncIterable<Uint8Array>) => Promise<Response>
  /** A request whose JSON body is returned. */
  json: <T>(method: 'GET' | 'POST', path: string, params?: Record<string, string | number | boolean | string[] | undefined>) => Promise<T>
  /** A request answered with NDJSON; yields each line parsed; a `{ type: 'error' }` line is thrown. */
  lines: (method: 'GET' | 'POST', path: string, params?: Record<string, string | number | boolean | string[] | undefined>) => AsyncGenerator<Record<string, unknown>>
}

async function toError (res: Response): Promise<Error> {
  const text = await res.text()
  try {
    const e = (JSON.parse(text) as { error: { name: string, message: string } }).error
    return new ApiError(e.name, e.message, res.status)
  } catch {
    return new ApiError('ApiError', `daemon answered ${res.status}: ${text.slice(0, 200)}`, res.status)
  }
}

/** Connect to the daemon of `repo` if one is running; undefined if none answers. */
export async function connectDaemon (repo: string, signal?: AbortSignal): Promise<ApiClient | undefined> {
  let info: DaemonInfo
  try {
    info = JSON.parse(await readFile(join(repo, REPO_FILES.api), 'utf8')) as DaemonInfo
  } catch {
    return undefined
  }
  const token = await readApiToken(repo)
  const request: ApiClient['request'] = async (method, path, params = {}, body) => {
    const url = new URL(path, info.api)
    for (const [k, v] of Object.entries(params)) {
      if (v == null) continue
      for (const one of Array.isArray(v) ? v : [v]) url.searchParams.append(k, String(one))
    }
    const res = await fetch(url, {
      method,
      headers: { authorization: `Bearer ${token}` },
      signal,
      ...(body != null ? { body: ReadableStream.from(body), duplex: 'half' } : {})
    } as RequestInit)
    if (!res.ok) throw await toError(res)
    return res
  }
  const client: ApiClient = {
    info,
    request,
    json: async <T>(method: 'GET' | 'POST', path: string, params?: Record<string, string | number | boolean | string[] | undefined>) => await (await request(method, path, params)).json() as T,
    lines: async function * (method, path, params) {
      const res = await request(method, path, params)
      if (res.body == null) return
      let buf = ''
      const dec = new TextDecoder()
      for await (const chunk of res.body) {
        buf += dec.decode(chunk, { stream: true })
        let nl
        while ((nl = buf.indexOf('\n')) !== -1) {
          const line = buf.slice(0, nl)
          buf = buf.slice(nl + 1)
          if (line.trim() === '') continue
          const v = JSON.parse(line) as Record<string, unknown>
          if (v.type === 'error') {
            const e = v.error as { name: string, message: string }
            throw new ApiError(e.name, e.message, 200)
          }
          yield v
        }
      }
    }
  }
  try {
    await client.json('GET', '/api/v0/id')
  } catch (err) {
    // A stale api.json (daemon killed): the repo is usable directly.
    if ((err as Error).name === 'TypeError' || (err as { cause?: { code?: string } }).cause?.code === 'ECONNREFUSED') return undefined
    throw err
  }
  return client
}
