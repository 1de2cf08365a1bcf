/**
 * A validator's report batches are stored, pinned and announced by CID; another peer fetches one
 * over the network and opens every signed report in it; only the last `keep` stay pinned.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as ed from '@noble/ed25519'
import { afterEach, describe, expect, it } from 'vitest'
import { createReportBatch, openReportBatch, signProbeReport } from '../../src/incentives/probe-report.ts'
import { ResultCode } from '../../src/incentives/probe-result.ts'
import { ReportArchive } from '../../src/incentives/report-archive.ts'
import { createNode } from '../../src/node.ts'
import { probe } from '../fixtures/incentives/simulate.ts'
import type { ReportBatch } from '../../src/incentives/probe-report.ts'
import type { ReportArchiveComponents } from '../../src/incentives/report-archive.ts'
import type { AgoraNode } from '../../src/node.ts'

const secret = new Uint8Array(32).fill(7)
const nodes: AgoraNode[] = []
const dirs: string[] = []

afterEach(async () => {
  for (const n of nodes.splice(0)) await n.stop()
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true })
})

async function node (repo?: string): Promise<AgoraNode> {
  repo ??= await mkdtemp(join(tmpdir(), 'agora-archive-'))
  if (!dirs.includes(repo)) dirs.push(repo)
  const n = await createNode({ repo, config: { addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] }, swarm: { network: 'lan' } }, network: { bitswap: false, initialQuerySelfInterval: 100 } })
  nodes.push(n)
  return n
}

/** The archive's components on a node: its repo's stores and its pinning. */
function parts (n: AgoraNode): ReportArchiveComponents {
  return { datastore: n.repo.datastore, blockstore: n.repo.blockstore, content: n }
}

async function batch (round: number): Promise<ReportBatch> {
  const validatorHotkey = await ed.getPublicKeyAsync(secret)
  const results = [ResultCode.OK, ResultCode.TIMEOUT_NO_PROGRESS].map(code => probe(code, { round, startedAt: 1_700_000_000_000 + round, validatorHotkey }))
  return createReportBatch(round, validatorHotkey, await Promise.all(results.map(async r => signProbeReport(r, secret))))
}

describe('report archive', { timeout: 60_000 }, () => {
  it('default: a published batch is fetched by CID from another peer and every report in it opens', async () => {
    const validator = await node()
    const archive = new ReportArchive(parts(validator))
    const b = await batch(3)
    expect(await archive.publish([b])).toEqual([{ round: 3, cid: b.cid.toString(), reports: 2 }])
    expect(await validator.store.pins.has(b.cid)).toBe(true)

    const auditor = await node()
    const result = await auditor.fetch(b.cid, { providers: [validator.id().addresses[0]] })
    expect(result?.blocksFetched).toBe(1)
    const chunks: Uint8Array[] = []
    for await (const c of auditor.repo.blockstore.get(b.cid)) chunks.push(c)
    const opened = await openReportBatch(Buffer.concat(chunks))
    expect(opened.round).toBe(3)
    expect(opened.reports.map(r => r.result.resultCode)).toEqual(['OK', 'TIMEOUT_NO_PROGRESS'])
  })

  it('behavior: only the last `keep` batches stay pinned, across a restart', async () => {
    const repo = await mkdtemp(join(tmpdir(), 'agora-archive-'))
    let n = await node(repo)
    const batches = [await batch(1), await batch(2), await batch(3)]
    const archive = new ReportArchive(parts(n), 2)
    await archive.publish(batches.slice(0, 2))
    await archive.publish(batches.slice(2))
    expect((await archive.list()).map(e => e.round)).toEqual([2, 3])
    expect(await n.store.pins.has(batches[0].cid)).toBe(false)
    expect(await n.store.pins.has(batches[1].cid)).toBe(true)
    await n.stop()
    nodes.splice(nodes.indexOf(n), 1)
    n = await node(repo)
    expect((await new ReportArchive(parts(n), 2).list()).map(e => e.cid)).toEqual([batches[1].cid.toString(), batches[2].cid.toString()])
  })
})
