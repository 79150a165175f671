import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Integration tests start the real CLI (about 1.5 s per command on a 2-core machine).
    testTimeout: 60_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
});
