import { createHash } from 'node:crypto'
import * as dagCbor from '@ipld/dag-cbor'
import * as ed from '@noble/ed25519'
import { describe, expect, it } from 'vitest'
import { createReportBatch, encodeProbeResult, openProbeReport, openReportBatch, reportSigningBytes, signProbeReport } from '../../src/incentives/probe-report.ts'
import { assertProbeResult, DEFAULT_PROBE_LIMITS, OUTCOME_OF, Outcome, probeDeadlines, ResultCode } from '../../src/incentives/probe-result.ts'
import { probe } from '../fixtures/incentives/simulate.ts'
import type { ProbeResultCode } from '../../src/incentives/probe-result.ts'

const secret = new Uint8Array(32).fill(42)
const other = new Uint8Array(32).fill(43)

async function sample (code: ProbeResultCode = ResultCode.OK, round = 5): Promise<ReturnType<typeof probe>> {
  return probe(code, { round, startedAt: 1_700_000_000_000, validatorHotkey: await ed.getPublicKeyAsync(secret) })
}

describe('probe results', () => {
  it('default: the closed list of codes and how each counts', () => {
    expect(Object.keys(ResultCode)).toEqual([
      'OK', 'TIMEOUT_NO_PROGRESS', 'TIMEOUT_MAX_DURATION', 'DIAL_FAILED', 'NOT_ADVERTISED', 'PROTOCOL_UNSUPPORTED',
      'REFUSED', 'CONTENT_VERIFICATION_FAILED', 'PROOF_MISMATCH', 'RANGE_UNSATISFIABLE', 'VALIDATOR_SIDE_ERROR'
    ])
    expect(OUTCOME_OF.VALIDATOR_SIDE_ERROR).toBe(Outcome.EXCLUDED)
    expect(OUTCOME_OF.CONTENT_VERIFICATION_FAILED).toBe(Outcome.INTEGRITY_FAILURE)
    expect(OUTCOME_OF.PROOF_MISMATCH).toBe(Outcome.INTEGRITY_FAILURE)
    expect(OUTCOME_OF.TIMEOUT_MAX_DURATION).toBe(Outcome.AVAILABILITY_FAILURE)
    expect(OUTCOME_OF.OK).toBe(Outcome.SUCCESS)
  })

  it('behavior: the maximum duration grows with size at the throughput floor', () => {
    // 1 MiB at 256 KiB/s is 4 s, plus the 10 s base.
    expect(probeDeadlines(1024 * 1024)).toEqual({ noProgressMs: 20_000, maxDurationMs: 14_000 })
    // 64 MiB: 256 s + 10 s.
    expect(probeDeadlines(64 * 1024 * 1024).maxDurationMs).toBe(266_000)
    expect(probeDeadlines(0, { ...DEFAULT_PROBE_LIMITS, baseMaxDurationMs: 1 }).maxDurationMs).toBe(1)
  })

  it('behavior: a result whose code contradicts its evidence is rejected', async () => {
    const ok = await sample()
    expect(() => { assertProbeResult({ ...ok, verify: false }) }).toThrow(expect.objectContaining({ name: 'InvalidProbeReportError' }))
    expect(() => { assertProbeResult({ ...ok, bytes: ok.rangeLen - 1 }) }).toThrow(expect.objectContaining({ name: 'InvalidProbeReportError' }))
    const bad = await sample(ResultCode.CONTENT_VERIFICATION_FAILED)
    expect(() => { assertProbeResult({ ...bad, verify: true }) }).toThrow(expect.objectContaining({ name: 'InvalidProbeReportError' }))
    expect(() => { assertProbeResult({ ...ok, resultCode: 'MAYBE' }) }).toThrow(expect.objectContaining({ name: 'InvalidProbeReportError' }))
    expect(() => { assertProbeResult({ ...ok, ttfbMs: 1.5 }) }).toThrow(expect.objectContaining({ name: 'InvalidProbeReportError' }))
    expect(() => { assertProbeResult({ ...ok, minerHotkey: new Uint8Array(31) }) }).toThrow(expect.objectContaining({ name: 'InvalidProbeReportError' }))
  })
})

describe('signed probe reports', () => {
  it('default: sign then open gives back the same result', async () => {
    const r = await sample()
    const signed = await signProbeReport(r, secret)
    const opened = await openProbeReport(signed.bytes)
    expect(opened.result).toEqual(r)
    expect(opened.signature).toEqual(signed.signature)
  })

  it('behavior: the signature covers varint(18) ‖ "agora-probe-report" ‖ canonical dag-cbor payload', async () => {
    const r = await sample()
    const signed = await signProbeReport(r, secret)
    const msg = Buffer.concat([Buffer.from([18]), Buffer.from('agora-probe-report'), Buffer.from(encodeProbeResult(r))])
    expect(Buffer.from(reportSigningBytes(signed.payload))).toEqual(msg)
    expect(await ed.verifyAsync(signed.signature, msg, r.validatorHotkey)).toBe(true)
    // The payload is the dag-cbor map of the fields plus v = 1.
    expect(dagCbor.decode(signed.payload)).toEqual({ v: 1, ...r })
  })

  it('behavior: any flipped bit of a signed report makes it fail to open', async () => {
    const signed = await signProbeReport(await sample(), secret)
    for (let i = 0; i < signed.bytes.length; i++) {
      const t = Uint8Array.from(signed.bytes)
      t[i] ^= 0x01
      await expect(openProbeReport(t)).rejects.toSatisfy((e: Error) => ['InvalidReportSignatureError', 'InvalidProbeReportError'].includes(e.name))
    }
  })

  it('behavior: a report signed by another key, or re-signed under another domain, is rejected', async () => {
    const r = await sample()
    await expect(signProbeReport(r, other)).rejects.toHaveProperty('name', 'InvalidProbeReportError')
    const payload = encodeProbeResult(r)
    const wrongDomain = await ed.signAsync(Buffer.concat([Buffer.from([13]), Buffer.from('agora-listing'), payload]), secret)
    await expect(openProbeReport(dagCbor.encode({ p: payload, s: wrongDomain }))).rejects.toHaveProperty('name', 'InvalidReportSignatureError')
    const byOther = await ed.signAsync(reportSigningBytes(payload), other)
    await expect(openProbeReport(dagCbor.encode({ p: payload, s: byOther }))).rejects.toHaveProperty('name', 'InvalidReportSignatureError')
  })

  it('behavior: the size limit is checked before decoding, and junk is a named error', async () => {
    await expect(openProbeReport(new Uint8Array(5000).fill(0xff))).rejects.toHaveProperty('name', 'ProbeReportTooLargeError')
    await expect(openProbeReport(new Uint8Array([0xff, 0x00]))).rejects.toHaveProperty('name', 'InvalidProbeReportError')
    await expect(openProbeReport(dagCbor.encode({ p: new Uint8Array(3), s: new Uint8Array(64) }))).rejects.toHaveProperty('name', 'InvalidProbeReportError')
    const r = await sample()
    const extra = dagCbor.encode({ ...r, v: 1, extra: 1 })
    const sig = await ed.signAsync(reportSigningBytes(extra), secret)
    await expect(openProbeReport(dagCbor.encode({ p: extra, s: sig }))).rejects.toHaveProperty('name', 'InvalidProbeReportError')
  })

  it('behavior: a batch has the dag-cbor sha2-256 CID of its bytes and opens back', async () => {
    const pub = await ed.getPublicKeyAsync(secret)
    const reports = [await signProbeReport(await sample(), secret), await signProbeReport(await sample(ResultCode.DIAL_FAILED), secret)]
    const batch = await createReportBatch(5, pub, reports)
    // CIDv1 = 0x01, dag-cbor = 0x71, sha2-256 = 0x12, 32 bytes = 0x20, then the digest.
    const digest = createHash('sha256').update(batch.bytes).digest()
    expect(Buffer.from(batch.cid.bytes)).toEqual(Buffer.concat([Buffer.from([0x01, 0x71, 0x12, 0x20]), digest]))
    const opened = await openReportBatch(batch.bytes)
    expect(opened.cid.equals(batch.cid)).toBe(true)
    expect(opened.reports.map(x => x.result)).toEqual(reports.map(x => x.result))
    await expect(createReportBatch(6, pub, reports)).rejects.toHaveProperty('name', 'InvalidProbeReportError')
    const tampered = Uint8Array.from(batch.bytes)
    tampered[tampered.length - 10] ^= 0x40
    await expect(openReportBatch(tampered)).rejects.toSatisfy((e: Error) => ['InvalidReportSignatureError', 'InvalidProbeReportError'].includes(e.name))
  })
})
