/**
 * The ledger's one signature verifier (see the policy in keys.ts): ed25519 through Node's
 * bundled OpenSSL (`node:crypto`, RFC 8032 strict), which is the project's one verifier,
 * owned by src/signing.ts. The main thread and the verification workers (verify-worker.ts)
 * both check signatures with this function, over bytes `signingBytes` made.
 */
export { verifySigningBytes as verify } from '../signing.ts'
