/**
 * The listing index's cache of envelopes.
 */

/** A least-recently-used map of byte arrays within a total size. */
export class ByteCache {
  private readonly map = new Map<string, Uint8Array>()
  private bytes = 0
  private readonly capacity: number
  constructor (capacity: number) { this.capacity = capacity }

  get (key: string): Uint8Array | undefined {
    const v = this.map.get(key)
    if (v == null) return undefined
    this.map.delete(key)
    this.map.set(key, v)
    return v
  }

  set (key: string, value: Uint8Array): void {
    this.delete(key)
    if (value.byteLength > this.capacity) return
    this.map.set(key, value)
    this.bytes += value.byteLength
    for (const [k, v] of this.map) {
      if (this.bytes <= this.capacity) break
      this.map.delete(k)
      this.bytes -= v.byteLength
    }
  }

  delete (key: string): void {
    const v = this.map.get(key)
    if (v == null) return
    this.map.delete(key)
    this.bytes -= v.byteLength
  }
}
