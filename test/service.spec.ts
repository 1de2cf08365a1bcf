/**
 * The typed service registry and the order check of a node's services: keys carry their
 * service's type, `require` names what is missing, and a service listed before one it needs is
 * refused naming both.
 */
import { describe, expect, it } from 'vitest'
import { checkServiceOrder } from '../src/node.ts'
import { ServiceRegistry, serviceKey } from '../src/service.ts'
import type { NodeService, NodeServiceFactory, ServiceKey } from '../src/service.ts'

interface Counter extends NodeService { count: number }
const COUNTER = serviceKey<Counter>('counter')
const OTHER = serviceKey<NodeService>('other')

function counter (): Counter {
  return { name: 'counter', count: 3, start: () => {}, stop: () => {} }
}

function factory (key: ServiceKey<NodeService>, deps: { requires?: Array<ServiceKey<NodeService>>, optional?: Array<ServiceKey<NodeService>> } = {}): NodeServiceFactory {
  return { key, ...deps, create: () => ({ name: key.name, start: () => {}, stop: () => {} }) }
}

describe('service registry', () => {
  it('default: get returns the service of a key, typed; require throws ServiceNotFoundError for a missing one', () => {
    const r = new ServiceRegistry()
    expect(r.get(COUNTER)).toBeUndefined()
    const c = counter()
    r.register(COUNTER, c)
    // typed: `count` is read without a cast
    expect(r.get(COUNTER)?.count).toBe(3)
    expect(r.require(COUNTER)).toBe(c)
    expect(() => r.require(OTHER)).toThrow(expect.objectContaining({ name: 'ServiceNotFoundError', message: 'no other service runs on this node' }))
    expect(r.list()).toEqual([c])
  })

  it('behavior: a key registered twice is refused', () => {
    const r = new ServiceRegistry()
    r.register(COUNTER, counter())
    expect(() => { r.register(COUNTER, counter()) }).toThrow(expect.objectContaining({ name: 'ServiceOrderError' }))
  })
})

describe('service order', () => {
  it('default: services that need only earlier ones pass, optional keys may be absent', () => {
    expect(() => { checkServiceOrder([factory(OTHER), factory(COUNTER, { requires: [OTHER] })]) }).not.toThrow()
    expect(() => { checkServiceOrder([factory(COUNTER, { optional: [OTHER] })]) }).not.toThrow()
    expect(() => { checkServiceOrder([]) }).not.toThrow()
  })

  it('behavior: a required service that is missing or comes later is refused, naming both', () => {
    expect(() => { checkServiceOrder([factory(COUNTER, { requires: [OTHER] })]) })
      .toThrow(expect.objectContaining({ name: 'ServiceOrderError', message: 'service counter requires the other service, which is not given' }))
    expect(() => { checkServiceOrder([factory(COUNTER, { requires: [OTHER] }), factory(OTHER)]) })
      .toThrow(expect.objectContaining({ name: 'ServiceOrderError', message: 'service counter requires the other service, which comes after it: list other first' }))
    expect(() => { checkServiceOrder([factory(COUNTER, { optional: [OTHER] }), factory(OTHER)]) })
      .toThrow(expect.objectContaining({ name: 'ServiceOrderError', message: 'service counter uses the other service, which comes after it: list other first' }))
    expect(() => { checkServiceOrder([factory(OTHER), factory(OTHER)]) })
      .toThrow(expect.objectContaining({ name: 'ServiceOrderError', message: 'two services are registered as other' }))
  })
})
