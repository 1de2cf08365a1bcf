import neostandard from 'neostandard'
import { agoraPlugin } from './eslint/boundaries.ts'

export default [
  ...neostandard({ ts: true, ignores: ['node_modules/**', 'coverage/**', 'dist/**'] }),
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname }
    },
    rules: {
      curly: ['error', 'multi-line'],
      'no-console': 'error',
      'max-depth': ['warn', 4],
      'max-nested-callbacks': ['warn', 4],
      'max-lines': ['warn', { max: 400, skipBlankLines: true, skipComments: true }],
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/only-throw-error': 'error',
      '@typescript-eslint/return-await': ['error', 'in-try-catch'],
      '@typescript-eslint/consistent-type-imports': ['error', { prefer: 'type-imports', fixStyle: 'separate-type-imports' }]
    }
  },
  {
    // The architecture (eslint/boundaries.ts): folders through their index, the layer table, no
    // import circle. Errors, so `npm test` (which lints) fails on a breach.
    files: ['src/**/*.ts'],
    plugins: { agora: agoraPlugin },
    rules: { 'agora/boundaries': 'error', 'agora/no-import-cycle': 'error' }
  },
  {
    files: ['src/cli/**/*.ts', 'bench/**/*.ts', 'examples/**/*.ts', 'test/**/*.ts'],
    rules: { 'no-console': 'off' }
  },
  {
    files: ['src/yuma/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['node:*', 'libp2p', '@libp2p/*'] }],
      'no-restricted-properties': ['error',
        { object: 'Math', property: 'random', message: 'yuma is deterministic' },
        { object: 'Math', property: 'exp', message: 'yuma uses fixed point' },
        { object: 'Math', property: 'log', message: 'yuma uses fixed point' },
        { object: 'Math', property: 'pow', message: 'yuma uses fixed point' },
        { object: 'Date', property: 'now', message: 'yuma is pure' }]
    }
  },
  {
    // the helper thread's plumbing: no I/O, and the result is the same bits with or without it
    files: ['src/yuma/threads.ts', 'src/yuma/threads-worker.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['node:*', '!node:worker_threads', '!node:os', 'libp2p', '@libp2p/*'] }]
    }
  }
]
