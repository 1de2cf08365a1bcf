import type { CommandDef } from '../command.ts'

/** `agora yuma run <file.json>`: run cases in the vectors format and print their outputs. */
const run: CommandDef = {
  name: 'run',
  description: 'run an epoch, a sequence or a whole vectors file and print the outputs (the vectors format: src/yuma/vectors.ts)',
  positionals: [{ name: 'file', description: 'JSON: an epoch input, a {initial, steps} sequence, a case, or a vectors file with cases', required: true }],
  options: {
    case: { type: 'string', valueName: '<name>', description: 'only the case with this name (or whose name contains it)' },
    plot: { type: 'string', valueName: '<out.svg>', description: 'write an SVG of incentive and dividends per uid across the epochs of the (first) case' }
  },
  // Lazy loading: the Yuma tools load when the command runs, not for `--help`.
  run: async (ctx) => (await import('../yuma-run.ts')).yumaRun(ctx)
}

/** The yuma commands. */
export const yumaCommands: CommandDef[] = [
  {
    name: 'yuma',
    description: 'Yuma consensus: compute subnet epochs exactly as the chain does',
    subCommands: [run]
  }
]
