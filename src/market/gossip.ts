/**
 * Market gossip: the listing topic, whose messages are listing envelopes, and the fraud topic,
 * whose messages are fraud reports. Every message is validated before gossipsub delivers or
 * forwards it.
 */
import { TopicValidatorResult } from '@libp2p/gossipsub'
import { logger } from '@libp2p/logger'
import { MAX_LISTING_BYTES } from './constants.ts'
import { RecordTooLargeError } from './errors.ts'
import { MAX_FRAUD_REPORT_BYTES } from './fraud.ts'
import { listingErrorVerdict } from './record.ts'
import type { AddResult } from './listing-index-types.ts'
import type { Message, TopicValidatorFn } from '@libp2p/gossipsub'
import type { PeerId } from '@libp2p/interface'

const log = logger('agora:market:gossip')

/** The gossipsub topic of listing announcements. */
export const MARKET_TOPIC = 'agora/market/listings/1'

/** The gossipsub topic of fraud reports (fraud.ts). */
export const FRAUD_TOPIC = 'agora/market/fraud/1'

/** What happened to an incoming fraud report: verified now, or the very report we hold. */
export type ReportStatus = 'verified' | 'known'

/**
 * The fraud topic's validator. Policy: size first; a report that is malformed, badly signed or
 * false (its chunk decrypts) is `reject`ed; one we cannot check now (unknown listing, content
 * not fetched, checks busy) is `ignore`d; a verified one, or the exact report we hold, is
 * accepted and forwarded.
 */
export function fraudTopicValidator (receive: (bytes: Uint8Array, from: string) => Promise<ReportStatus>): TopicValidatorFn {
  return async (peer: PeerId, message: Message) => {
    try {
      if (message.data.length > MAX_FRAUD_REPORT_BYTES) throw new RecordTooLargeError(`fraud report of ${message.data.length} bytes, the limit is ${MAX_FRAUD_REPORT_BYTES}`)
      await receive(message.data, peer.toString())
      return TopicValidatorResult.Accept
    } catch (err) {
      const name = (err as Error).name
      const reject = name === 'FraudReportError' || listingErrorVerdict(err) === 'reject'
      log('%s fraud report from %p - %e', reject ? 'reject' : 'ignore', peer, err)
      return reject ? TopicValidatorResult.Reject : TopicValidatorResult.Ignore
    }
  }
}

/** What happened to an incoming listing: the index's status, or `queued` while the index loads. */
export type IngestStatus = AddResult['status'] | 'queued'

/** Takes listing bytes from the network: verifies them and feeds the index (throws when refused). */
export type ListingIngest = (bytes: Uint8Array, from: string) => Promise<IngestStatus>

/**
 * The topic validator. Policy: size first (before any decoding), then the ingest (signature,
 * schema, expiry, sequence); refusals map through `listingErrorVerdict`, so forged or malformed
 * listings are `reject`ed (the sender's score drops) and stale or expired ones `ignore`d. A
 * listing we already hold is `ignore`d too, so re-announcements stop at peers that know them.
 */
export function listingTopicValidator (ingest: ListingIngest): TopicValidatorFn {
  return async (peer: PeerId, message: Message) => {
    const data = message.data
    try {
      if (data.length > MAX_LISTING_BYTES) throw new RecordTooLargeError(`announcement of ${data.length} bytes, the limit is ${MAX_LISTING_BYTES}`)
      const status = await ingest(data, peer.toString())
      return status === 'unchanged' ? TopicValidatorResult.Ignore : TopicValidatorResult.Accept
    } catch (err) {
      const verdict = listingErrorVerdict(err)
      log('%s listing from %p - %e', verdict, peer, err)
      return verdict === 'reject' ? TopicValidatorResult.Reject : TopicValidatorResult.Ignore
    }
  }
}
