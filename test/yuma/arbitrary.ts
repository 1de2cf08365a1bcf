/**
 * fast-check generators of epoch inputs: small subnets where every mask, fallback and branch of
 * the Yuma epoch is reachable (inactive validators, outdated and recently-registered columns, zero
 * stake, ties, an owner, commit-reveal, both bond variants, liquid alpha with any steepness).
 */
import fc from 'fast-check'
import type { EpochInput } from '../../src/yuma/index.ts'

/** A sorted sparse row over n uids with u16 values (zeros included: they are stored on chain). */
const row = (n: number): fc.Arbitrary<Array<[number, number]>> =>
  fc.uniqueArray(fc.integer({ min: 0, max: n - 1 }), { maxLength: n })
    .chain(js => fc.tuple(...js.sort((a, b) => a - b).map(j => fc.tuple(fc.constant(j), fc.oneof(fc.constant(0), fc.constant(65535), fc.integer({ min: 0, max: 65535 }))))))
    .map(r => r as Array<[number, number]>)

/** Every field of an epoch input, hyperparameters included. */
export type FullInput = Required<Omit<EpochInput, 'commitBlocks' | 'weights' | 'bonds' | 'ownerUid'>> & {
  weights: Array<Array<[number, number]>>
  bonds: Array<Array<[number, number]>>
  ownerUid: number | null
  commitBlocks?: Array<number | null>
}

/**
 * A random epoch input of 1..maxN uids: half of the time anything goes (masks everywhere), half of
 * the time a working subnet (active permitted validators, miners registered long ago), so that
 * consensus, incentive and bonds are non-trivial.
 */
export function epochInput (maxN = 8): fc.Arbitrary<FullInput> {
  return fc.oneof(anyInput(maxN, false), anyInput(maxN, true))
}

function anyInput (maxN: number, working: boolean): fc.Arbitrary<FullInput> {
  const perUid = <T>(n: number, a: fc.Arbitrary<T>): fc.Arbitrary<T[]> => fc.array(a, { minLength: n, maxLength: n })
  return fc.integer({ min: 1, max: maxN }).chain(n => fc.record({
    stake: fc.array(fc.oneof(fc.constant(0n), fc.bigInt({ min: 1n, max: 1000n }), fc.bigInt({ min: 1n, max: 10n ** 15n })), { minLength: n, maxLength: n }),
    weights: fc.array(row(n), { minLength: n, maxLength: n }),
    bonds: fc.array(row(n), { minLength: n, maxLength: n }),
    validatorPermits: perUid(n, working ? fc.boolean().map(b => b || n > 1) : fc.boolean()),
    lastUpdate: perUid(n, working ? fc.integer({ min: 90, max: 120 }) : fc.integer({ min: 0, max: 120 })),
    blockAtRegistration: perUid(n, working ? fc.integer({ min: 0, max: 95 }) : fc.integer({ min: 0, max: 100 })),
    currentBlock: working ? fc.integer({ min: 120, max: 140 }) : fc.integer({ min: 0, max: 140 }),
    raoEmission: fc.oneof(fc.constant(1_000_000_000n), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n })),
    tempo: fc.integer({ min: 0, max: 50 }),
    activityCutoff: working ? fc.integer({ min: 20, max: 100 }) : fc.integer({ min: 0, max: 100 }),
    lastMechanismStepBlock: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 120 })),
    kappa: fc.oneof(fc.constant(32767), fc.integer({ min: 0, max: 65535 })),
    bondsPenalty: fc.oneof(fc.constant(65535), fc.constant(0), fc.integer({ min: 0, max: 65535 })),
    bondsMovingAverage: fc.oneof(fc.constant(900_000), fc.integer({ min: 0, max: 1_000_000 })),
    yuma3: fc.boolean(),
    liquidAlpha: fc.boolean(),
    alphaLow: fc.integer({ min: 0, max: 65535 }),
    alphaHigh: fc.integer({ min: 0, max: 65535 }),
    alphaSigmoidSteepness: fc.oneof(fc.constant(1000), fc.integer({ min: -32768, max: 32767 })),
    maxAllowedValidators: fc.integer({ min: 0, max: n + 1 }),
    stakeThreshold: fc.oneof(fc.constant(0n), fc.bigInt({ min: 0n, max: 500n })),
    ownerUid: fc.oneof(fc.constant(null), fc.integer({ min: 0, max: n - 1 })),
    commitBlocks: fc.option(fc.array(fc.option(fc.integer({ min: 0, max: 120 }), { nil: null }), { minLength: n, maxLength: n }), { nil: undefined })
  }).map(x => {
    const [lo, hi] = x.alphaLow <= x.alphaHigh ? [x.alphaLow, x.alphaHigh] : [x.alphaHigh, x.alphaLow]
    const out: FullInput = { ...x, alphaLow: lo, alphaHigh: hi }
    if (x.commitBlocks === undefined) delete out.commitBlocks
    return out
  }))
}
