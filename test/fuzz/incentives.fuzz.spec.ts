/**
 * Fuzzing the probe report decoders (signed reports and report batches from other validators):
 * mutations of real signed reports and batches, payload mutations re-signed with the real key
 * (so they reach the field checks), batch fields replaced, and random bytes.
 */
import * as dagCbor from '@ipld/dag-cbor'
import * as ed from '@noble/ed25519'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createReportBatch, encodeProbeResult, openProbeReport, openReportBatch, reportSigningBytes, signProbeReport } from '../../src/incentives/probe-report.ts'
import { ResultCode } from '../../src/incentives/probe-result.ts'
import { probe } from '../fixtures/incentives/simulate.ts'
import { decodeOrNamedAsync, fuzzBudget } from './budget.ts'
import { hostileBytes, mutatedMap } from './mutate.ts'

const budget = fuzzBudget(3)

/** probe-report.ts contract: every refusal of bytes is one of these. */
const REPORT_ERRORS = ['ProbeReportTooLargeError', 'InvalidProbeReportError', 'InvalidReportSignatureError']

const secret = new Uint8Array(32).fill(42)
const hotkey = await ed.getPublicKeyAsync(secret)
const ok = await signProbeReport(probe(ResultCode.OK, { round: 5, startedAt: 1_700_000_000_000, validatorHotkey: hotkey }), secret)
const failed = await signProbeReport(probe(ResultCode.DIAL_FAILED, { round: 5, startedAt: 1_700_000_000_000, validatorHotkey: hotkey }), secret)
const batch = await createReportBatch(5, hotkey, [ok, failed])

/** A report whose payload map was mutated and then signed with the validator's key. */
const resigned = mutatedMap(ok.payload).map(p => dagCbor.encode({ p, s: ed.sign(reportSigningBytes(p), secret) }))

describe('fuzz: probe reports', () => {
  it('openProbeReport: hostile reports open to a result whose canonical encoding is the signed payload, or a named error', async () => {
    await fc.assert(fc.asyncProperty(fc.oneof(hostileBytes(ok.bytes, failed.bytes), mutatedMap(ok.bytes), resigned), async bytes => {
      const r = await decodeOrNamedAsync(async () => openProbeReport(bytes), REPORT_ERRORS)
      if (r == null) return
      expect(encodeProbeResult(r.result)).toEqual(r.payload)
    }), budget.params(200))
  }, budget.timeout)

  it('openReportBatch: hostile batches open to the same batch bytes, or a named error', async () => {
    // batch fields replaced by anything (round −1, 1.5, a 31-byte validator, …) must be refused by name
    const fields = fc.record({
      v: fc.constantFrom<unknown>(1, 2, 'x'),
      round: fc.oneof(fc.constant<unknown>(5), fc.integer(), fc.double({ noDefaultInfinity: true, noNaN: true }), fc.string()),
      validator: fc.oneof(fc.constant<unknown>(hotkey), fc.uint8Array({ maxLength: 40 })),
      reports: fc.oneof(fc.constant<unknown>([ok.bytes]), fc.constant([]), fc.array(fc.oneof(hostileBytes(ok.bytes), fc.integer()), { maxLength: 2 }))
    }).map(f => dagCbor.encode(f))
    await fc.assert(fc.asyncProperty(fc.oneof(hostileBytes(batch.bytes), mutatedMap(batch.bytes), fields), async bytes => {
      const b = await decodeOrNamedAsync(async () => openReportBatch(bytes), REPORT_ERRORS)
      if (b == null) return
      expect(b.bytes).toEqual(bytes)
      expect(b.reports.every(r => r.result.round === b.round)).toBe(true)
    }), budget.params(200))
  }, budget.timeout)

  it('finding: a batch whose round is negative or whose validator is 31 bytes is InvalidProbeReportError, not RangeError', async () => {
    // createReportBatch checks its arguments with RangeError; openReportBatch passed decoded fields straight to it
    const negative = dagCbor.encode({ v: 1, round: -1, validator: hotkey, reports: [] })
    const short = dagCbor.encode({ v: 1, round: 5, validator: new Uint8Array(31), reports: [] })
    await expect(openReportBatch(negative)).rejects.toHaveProperty('name', 'InvalidProbeReportError')
    await expect(openReportBatch(short)).rejects.toHaveProperty('name', 'InvalidProbeReportError')
  })
})
