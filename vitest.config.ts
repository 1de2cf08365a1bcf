import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    setupFiles: ['./test/setup.ts'],
    globalSetup: ['./test/global-setup.ts'],
    // Two workers even on 2 cores (the default there is one): the e2e files, one at a time,
    // spend most of their time waiting on blocks and timers, so unit files run beside them.
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['test/**/*.spec.ts'], exclude: ['test/e2e/**'], testTimeout: 30_000 }
      },
      {
        extends: true,
        test: { name: 'e2e', include: ['test/e2e/**/*.spec.ts'], testTimeout: 180_000, hookTimeout: 120_000, fileParallelism: false }
      }
    ]
  }
})
