/**
 * An attacker in its own process: many bare libp2p nodes (tcp, noise, yamux; a fresh identity
 * each), one connection each to the target, and on every connection streams of our fetch
 * protocol that ask for every leaf of a file and then never read (the stream is paused, so no
 * yamux window update ever goes back and the target can send 256 KiB per stream, no more).
 *
 * Run with the project's node: `node never-read-peer.ts <target multiaddr with /p2p> <root cid>`.
 * Commands on stdin, one a line; each answers one line on stdout:
 * - `connect <n>`: n more connections, each from a new peer id -> `CONNECTED <total>`
 * - `attack <streams>`: on every connection, `streams` streams that WANT every leaf and never
 *   read -> `ATTACKED <streams opened> <wants sent>`
 * - `stop` (or stdin closing): closes everything and exits -> `STOPPED`
 */
import { createInterface } from 'node:readline'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import * as dagPb from '@ipld/dag-pb'
import { tcp } from '@libp2p/tcp'
import { byteStream } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { CID } from 'multiformats/cid'
import { FETCH_PROTOCOL } from '../../src/dht/constants.ts'
import { BLOCK, decodeResponse, encodeWant, FrameReader } from '../../src/dht/wire.ts'
import type { Libp2p, Stream } from '@libp2p/interface'

const [target, rootArg] = process.argv.slice(2)
const addr = multiaddr(target)
const root = CID.parse(rootArg)
const nodes: Libp2p[] = []
const streams: Stream[] = []
let leaves: CID[] | undefined

async function node (): Promise<Libp2p> {
  const n = await createLibp2p({
    addresses: { listen: [] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionManager: { maxConnections: 10 }
  })
  await n.start()
  nodes.push(n)
  return n
}

/** The leaves of the root, asked for (and read) like an honest peer would. */
async function listLeaves (n: Libp2p): Promise<CID[]> {
  const s = await n.dialProtocol(addr, FETCH_PROTOCOL)
  s.send(encodeWant([root]))
  const reader = new FrameReader(byteStream(s, { maxBufferSize: 4 * 1024 * 1024 }), 4 * 1024 * 1024)
  const body = await reader.next(30_000)
  if (body == null) throw new Error('the target closed the stream')
  const msg = decodeResponse(body)
  if (msg.type !== BLOCK) throw new Error(`the target does not have ${root}`)
  await s.close()
  return dagPb.decode(msg.bytes.subarray()).Links.map(l => l.Hash)
}

async function connect (count: number): Promise<void> {
  // one after the other: libp2p resets inbound connections beyond 10 pending handshakes
  for (let i = 0; i < count; i++) {
    const n = await node()
    await n.dial(addr)
  }
  leaves ??= await listLeaves(nodes[0])
}

async function attack (perConnection: number): Promise<number> {
  const wants = leaves ?? []
  let sent = 0
  await Promise.all(nodes.map(async n => {
    for (let i = 0; i < perConnection; i++) {
      const s = await n.dialProtocol(addr, FETCH_PROTOCOL)
      s.pause()
      s.send(encodeWant(wants))
      streams.push(s)
      sent += wants.length
    }
  }))
  return sent
}

async function stop (): Promise<void> {
  for (const s of streams) s.abort(new Error('attacker done'))
  await Promise.all(nodes.map(async n => { await n.stop() }))
  process.stdout.write('STOPPED\n')
  process.exit(0)
}

const lines = createInterface({ input: process.stdin })
lines.on('close', () => { stop().catch(() => {}) })
lines.on('line', (line) => {
  const [cmd, arg] = line.trim().split(/\s+/)
  const run = async (): Promise<void> => {
    if (cmd === 'connect') {
      await connect(Number(arg))
      process.stdout.write(`CONNECTED ${nodes.length}\n`)
    } else if (cmd === 'attack') {
      const sent = await attack(Number(arg))
      process.stdout.write(`ATTACKED ${streams.length} ${sent}\n`)
    } else if (cmd === 'stop') {
      await stop()
    }
  }
  run().catch((err: Error) => {
    process.stdout.write(`ERROR ${err.name}: ${err.message}\n`)
  })
})
