/**
 * A sequence of epochs with state carried forward, as the chain carries it between epochs:
 * the stored bonds and the new validator permits of one epoch are the next epoch's inputs.
 */
import { epoch } from './epoch.ts'
import { InvalidEpochInputError } from './errors.ts'
import { filterU16Row } from './rows.ts'
import type { EpochInput, EpochOutput, SparseRowInput } from './types.ts'

/** One step: fields that replace the state's, plus edits of the stored bonds made first. */
export interface SequenceStep extends Partial<EpochInput> {
  /** Remove these uids' columns from every stored bond row (`do_reset_bonds`). */
  resetBondColumns?: readonly number[]
  /** Empty these uids' stored bond rows (what `replace_neuron` does to its own row). */
  clearBondRows?: readonly number[]
}

/**
 * Run `steps` in order from `initial`. Before each epoch the step's fields replace the state's
 * and `resetBondColumns` / `clearBondRows` edit the stored bonds; after it, `bonds` ←
 * `storedBonds` and `validatorPermits` ← `newValidatorPermits`. `lastMechanismStepBlock` is not
 * advanced (the chain's own tests call the epoch directly); pass it in a step to model the scheduler.
 */
export function runSequence (initial: Partial<EpochInput>, steps: readonly SequenceStep[]): EpochOutput[] {
  if (!Array.isArray(steps)) throw new InvalidEpochInputError('steps must be an array')
  let state: Partial<EpochInput> = { ...initial }
  const outputs: EpochOutput[] = []
  for (const [s, step] of steps.entries()) {
    const { resetBondColumns, clearBondRows, ...fields } = step
    state = { ...state, ...fields }
    const n = state.stake?.length ?? 0
    let bonds: SparseRowInput[] = (state.bonds ?? Array.from({ length: n }, () => [])).slice()
    if (resetBondColumns != null) {
      const drop = new Set(resetBondColumns)
      bonds = bonds.map(row => filterU16Row(row, j => !drop.has(j)))
    }
    for (const i of clearBondRows ?? []) {
      if (!Number.isInteger(i) || i < 0 || i >= bonds.length) throw new InvalidEpochInputError(`step ${s}: clearBondRows lists ${String(i)}, not a uid`)
      bonds[i] = []
    }
    const out = epoch({ ...state, bonds } as EpochInput)
    outputs.push(out)
    state = { ...state, bonds: out.storedBonds, validatorPermits: out.newValidatorPermits }
  }
  return outputs
}
