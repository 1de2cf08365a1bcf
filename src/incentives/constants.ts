/**
 * Signature and hash domains, sizes and time units of the validator core. Every signature or
 * hash over structured bytes starts with one of these domain strings, so a value made for one
 * purpose can never be replayed as another. The domains are entries of the one table,
 * src/signing.ts `DOMAINS`, whose layout is `varint(len(domain)) ‖ domain ‖ bytes`.
 */
import { DOMAINS } from '../signing.ts'

/** Domain of a validator's signature over one probe report. */
export const PROBE_REPORT_DOMAIN = DOMAINS.probeReport.domain

/** Domain of the hash that draws a task's byte range from the secret nonce (tasks.ts). */
export const TASK_RANGE_DOMAIN = DOMAINS.taskRange.domain

/** Domain of the hash that gives a validator its point in the task keyspace (tasks.ts). */
export const TASK_POINT_DOMAIN = DOMAINS.taskPoint.domain

/** Domain of a validator's signature over its round record. */
export const ROUND_RECORD_DOMAIN = DOMAINS.roundRecord.domain

/** Domain of the commitment to a round's secret nonce. */
export const NONCE_COMMITMENT_DOMAIN = DOMAINS.nonceCommitment.domain

/** Domain of the keys that draw a round's eligible listings from its seed (draw.ts). */
export const ELIGIBLE_DRAW_DOMAIN = DOMAINS.eligibleDraw.domain

/** Version of the probe report encoding (field `v`). */
export const PROBE_REPORT_VERSION = 1

/**
 * Largest signed probe report accepted, checked before decoding.
 * Policy: a report is ~400 bytes of fields; 4 KiB leaves room and bounds the decoder's work.
 */
export const MAX_SIGNED_REPORT_BYTES = 4096

/** Largest signed round record accepted, checked before decoding. */
export const MAX_ROUND_RECORD_BYTES = 1024

/** Largest report batch accepted, checked before decoding (4096 reports of the maximum size). */
export const MAX_REPORT_BATCH_BYTES = 16 * 1024 * 1024

/** Length of an ed25519 public key (a hotkey) in bytes. */
export const HOTKEY_LENGTH = 32

/** Length of an ed25519 signature in bytes. */
export const SIGNATURE_LENGTH = 64

/** Length of the validator's per-round secret nonce in bytes. */
export const NONCE_LENGTH = 32

/** Time units in milliseconds. */
export const second = 1000
export const minute = 60 * second
export const hour = 60 * minute
export const day = 24 * hour

/** One mebibyte. */
export const MiB = 1024 * 1024
