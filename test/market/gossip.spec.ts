import { describe, expect, it } from 'vitest'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { listingTopicValidator } from '../../src/market/gossip.ts'
import { InvalidSignatureError, MalformedRecordError, RecordExpiredError, StaleListingError, UnknownLicenseError } from '../../src/market/errors.ts'
import type { IngestStatus } from '../../src/market/gossip.ts'
import type { Message } from '@libp2p/gossipsub'

const peer = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
const msg = (data: Uint8Array): Message => ({ type: 'unsigned', topic: 't', data })

describe('listing topic validator', () => {
  it('default: a new, updated or revoked listing is accepted (delivered and forwarded); a known one is ignored (not forwarded again)', async () => {
    for (const status of ['added', 'updated', 'revoked', 'queued'] as IngestStatus[]) {
      expect(await listingTopicValidator(async () => status)(peer, msg(new Uint8Array(10)))).toBe('accept')
    }
    expect(await listingTopicValidator(async () => 'unchanged')(peer, msg(new Uint8Array(10)))).toBe('ignore')
  })

  it('behavior: an oversized message is rejected before the ingest sees it', async () => {
    let called = false
    const v = listingTopicValidator(async () => { called = true; return 'added' })
    // 64 KiB is the listing limit (MAX_LISTING_BYTES); one byte more is refused
    expect(await v(peer, msg(new Uint8Array(64 * 1024 + 1)))).toBe('reject')
    expect(called).toBe(false)
    expect(await v(peer, msg(new Uint8Array(64 * 1024)))).toBe('accept')
  })

  it('behavior: forged or malformed listings are rejected (the sender is penalised); expired or superseded ones are ignored', async () => {
    const verdict = async (err: Error): Promise<string> => listingTopicValidator(async () => { throw err })(peer, msg(new Uint8Array(1)))
    expect(await verdict(new InvalidSignatureError('x'))).toBe('reject')
    expect(await verdict(new MalformedRecordError('x'))).toBe('reject')
    expect(await verdict(new UnknownLicenseError('x'))).toBe('reject')
    expect(await verdict(new RecordExpiredError('x'))).toBe('ignore')
    expect(await verdict(new StaleListingError('x'))).toBe('ignore')
  })
})
