/**
 * Ledger routes of the API (present only when the daemon runs a chain), under `/api/v0/chain/`:
 * queries (status, block, account, stake, subnets, metagraph, escrows), submitting signed
 * transactions (raw bytes, or base64 with `?encoding=base64`), waiting for inclusion, and hotkey
 * transactions that the daemon signs with its own hotkey (weights).
 */
import { randomBytes } from 'node:crypto'
import { InvalidParametersError } from '../../errors.ts'
import { commitHash, isAddress, MAX_TX_BYTES } from '../../ledger/index.ts'
// Unverified decoding of the txs of a stored block (verified when the block was applied):
// not part of the ledger's public surface.
import { decodeTxUnsafe } from '../../ledger/index.ts'
import { plain, readBody } from '../body.ts'
import { query, sendJson } from '../server.ts'
import type { LedgerService, TxBody } from '../../ledger/index.ts'
import type { RequestContext, Route } from '../server.ts'

/** What the ledger routes need. */
export interface LedgerRouteDeps { chain: LedgerService }

function address (ctx: RequestContext, name: string): string {
  const a = query(ctx, name)
  if (a == null || !isAddress(a)) throw new InvalidParametersError(`missing or invalid ?${name}=<SS58 address>`)
  return a
}

function int (ctx: RequestContext, name: string, max = Number.MAX_SAFE_INTEGER): number {
  const s = query(ctx, name)
  const n = Number(s)
  if (s == null || !/^\d+$/.test(s) || !Number.isSafeInteger(n) || n > max) throw new InvalidParametersError(`missing or invalid ?${name}=<integer>`)
  return n
}

function u16s (x: unknown, name: string): number[] {
  if (!Array.isArray(x) || !x.every(v => Number.isInteger(v) && v >= 0 && v <= 65_535)) throw new InvalidParametersError(`${name} must be a list of u16`)
  return x as number[]
}

/** Build a weights transaction body for the daemon's hotkey from a JSON request. */
function weightsBody (chain: LedgerService, req: Record<string, unknown>): { body: TxBody, salt?: string } {
  const netuid = Number(req.netuid)
  if (!Number.isInteger(netuid) || netuid < 0 || netuid > 65_535) throw new InvalidParametersError('netuid must be a u16')
  const versionKey = Number(req.versionKey ?? 0)
  if (!Number.isSafeInteger(versionKey) || versionKey < 0) throw new InvalidParametersError('versionKey must be a non-negative integer')
  const uids = u16s(req.uids, 'uids')
  const values = u16s(req.values, 'values')
  if (req.action === 'set') return { body: { kind: 'setWeights', netuid, uids, values, versionKey } }
  const saltHex = req.salt == null ? randomBytes(32).toString('hex') : String(req.salt)
  if (!/^([0-9a-f]{2}){1,64}$/.test(saltHex)) throw new InvalidParametersError('salt must be 1..64 bytes of hex')
  const salt = new Uint8Array(Buffer.from(saltHex, 'hex'))
  if (req.action === 'commit') return { body: { kind: 'commitWeights', netuid, hash: commitHash(chain.hotkey.address, netuid, uids, values, salt, versionKey) }, salt: saltHex }
  if (req.action === 'reveal') return { body: { kind: 'revealWeights', netuid, uids, values, salt, versionKey }, salt: saltHex }
  throw new InvalidParametersError('action must be set, commit or reveal')
}

function queryRoutes ({ chain }: LedgerRouteDeps): Route[] {
  const l = chain.ledger
  return [
    { method: 'GET', path: '/api/v0/chain/status', handler: async (ctx) => { sendJson(ctx.res, plain({ ...l.status(), stateRoot: l.stateRoot(), authority: l.genesis.authority, isAuthority: l.isAuthority, hotkey: chain.hotkey.address, globals: l.globals(), blockTimeMs: l.genesis.params.blockTimeMs })) } },
    {
      method: 'GET',
      path: /^\/api\/v0\/chain\/block\/(\d{1,15})$/,
      handler: async (ctx) => {
        const n = Number(ctx.params[0])
        const b = await l.getBlock(n, { signal: ctx.signal })
        if (b == null) throw new InvalidParametersError(`no block ${n} (head is ${l.status().height})`)
        const txs = b.txs.map(t => { const { stx } = decodeTxUnsafe(t); return { hash: stx.hash, signer: stx.tx.signer, nonce: stx.tx.nonce, body: stx.tx.body } })
        sendJson(ctx.res, plain({ height: n, hash: b.hash, header: b.header, txs }))
      }
    },
    {
      method: 'GET',
      path: '/api/v0/chain/account',
      handler: async (ctx) => {
        const a = address(ctx, 'address')
        sendJson(ctx.res, plain({ height: l.status().height, address: a, balance: l.balance(a), nonce: l.nonce(a), nextNonce: l.nextNonce(a), stakes: l.stakesOf(a) }))
      }
    },
    {
      method: 'GET',
      path: '/api/v0/chain/stake',
      handler: async (ctx) => { sendJson(ctx.res, plain({ hotkey: query(ctx, 'hotkey'), coldkey: query(ctx, 'coldkey'), stake: l.stake(address(ctx, 'hotkey'), address(ctx, 'coldkey')) })) }
    },
    {
      method: 'GET',
      path: '/api/v0/chain/hotkey',
      handler: async (ctx) => {
        const h = l.hotkey(address(ctx, 'address'))
        sendJson(ctx.res, plain({ address: query(ctx, 'address'), ...(h ?? { owner: null, total: 0n, stakes: [] }), registrations: l.subnets().filter(s => l.uidOf(s.netuid, query(ctx, 'address') as string) !== undefined).map(s => s.netuid) }))
      }
    },
    { method: 'GET', path: '/api/v0/chain/subnets', handler: async (ctx) => { sendJson(ctx.res, plain({ subnets: l.subnets(), lockCost: l.lockCostAt(l.genesis.params, l.status().height + 1) })) } },
    {
      method: 'GET',
      path: '/api/v0/chain/subnet',
      handler: async (ctx) => {
        const netuid = int(ctx, 'netuid', 65_535)
        const s = l.subnet(netuid)
        if (s == null) throw new InvalidParametersError(`no subnet ${netuid}`)
        sendJson(ctx.res, plain({ height: l.status().height, subnet: s, metagraph: l.metagraph(netuid) }))
      }
    },
    {
      method: 'GET',
      path: '/api/v0/chain/escrows',
      handler: async (ctx) => { sendJson(ctx.res, plain({ escrows: l.escrowsFor(address(ctx, 'seller'), (query(ctx, 'state') ?? 'open') as 'open') })) }
    },
    {
      method: 'GET',
      path: '/api/v0/chain/escrow',
      handler: async (ctx) => {
        const id = query(ctx, 'id') ?? ''
        if (!/^[0-9a-f]{64}$/.test(id)) throw new InvalidParametersError('missing or invalid ?id=<escrow id, 64 hex>')
        const e = l.escrow(id)
        if (e == null) throw new InvalidParametersError(`no escrow ${id}`)
        sendJson(ctx.res, plain({ id, ...e }))
      }
    }
  ]
}

function txRoutes ({ chain }: LedgerRouteDeps): Route[] {
  const wait = async (ctx: RequestContext, hash: string): Promise<{ block: number }> => {
    const t = query(ctx, 'timeout')
    return chain.waitForTx(hash, { signal: ctx.signal, timeoutMs: t == null ? undefined : int(ctx, 'timeout', 3_600_000) })
  }
  return [
    {
      method: 'POST',
      path: '/api/v0/chain/submit',
      handler: async (ctx) => {
        const base64 = query(ctx, 'encoding') === 'base64'
        // Policy: size first (base64 is 4/3 of the bytes), before decoding anything.
        const raw = await readBody(ctx, base64 ? Math.ceil(MAX_TX_BYTES / 3) * 4 + 4 : MAX_TX_BYTES)
        const bytes = base64 ? new Uint8Array(Buffer.from(new TextDecoder().decode(raw).trim(), 'base64')) : raw
        const { hash } = await chain.submit(bytes, { signal: ctx.signal })
        sendJson(ctx.res, query(ctx, 'wait') === 'true' ? { hash, ...await wait(ctx, hash) } : { hash })
      }
    },
    {
      method: 'POST',
      path: '/api/v0/chain/wait',
      handler: async (ctx) => {
        const hash = query(ctx, 'hash') ?? ''
        if (!/^[0-9a-f]{64}$/.test(hash)) throw new InvalidParametersError('missing or invalid ?hash=<tx hash, 64 hex>')
        sendJson(ctx.res, { hash, ...await wait(ctx, hash) })
      }
    },
    {
      method: 'POST',
      path: '/api/v0/chain/weights',
      handler: async (ctx) => {
        let req: Record<string, unknown>
        try {
          req = JSON.parse(new TextDecoder().decode(await readBody(ctx, 256 * 1024))) as Record<string, unknown>
        } catch (err) {
          if ((err as Error).name === 'BodyTooLargeError') throw err
          throw new InvalidParametersError('the body must be JSON: { action, netuid, uids, values, versionKey, salt? }', { cause: err })
        }
        const { body, salt } = weightsBody(chain, req ?? {})
        const signer = chain.hotkey.address
        const bytes = chain.hotkey.sign({ chainId: chain.ledger.genesis.chainId, signer, nonce: chain.ledger.nextNonce(signer), body })
        const { hash } = await chain.submit(bytes, { signal: ctx.signal })
        const included = query(ctx, 'wait') === 'true' ? await wait(ctx, hash) : {}
        sendJson(ctx.res, { hash, hotkey: signer, kind: body.kind, ...(salt != null ? { salt } : {}), ...(body.kind === 'commitWeights' ? { commit: Buffer.from(body.hash).toString('hex') } : {}), ...included })
      }
    }
  ]
}

/** Routes under `/api/v0/chain/`. */
export function ledgerRoutes (deps: LedgerRouteDeps): Route[] {
  return [...queryRoutes(deps), ...txRoutes(deps)]
}
