/**
 * The datastore key of a DHT record put to this peer.
 */
import { Key } from 'interface-datastore'
import { base32 } from 'multiformats/bases/base32'

/**
 * Where kad-dht keeps a record put to this peer under `key`, in the node's datastore (the agora
 * DHT's prefix `/dht`, then kad-dht's `/record/` and the key in unpadded lowercase base32), so a
 * service that stops wanting a record can delete it; kad-dht itself keeps records until
 * overwritten.
 */
export function dhtRecordKey (key: Uint8Array): Key {
  return new Key(`/dht/record/${base32.baseEncode(key)}`, false)
}
