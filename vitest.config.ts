import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Integration tests start real Dovecot/Redis servers; give them room but keep the suite bounded.
    testTimeout: 120_000,
    hookTimeout: 60_000,
    // Two cores: run files in parallel but not more than the machine can carry.
    maxWorkers: 2,
    // .ci/run reads the counts from the JSON report; 'default' keeps the human output.
    reporters: ['default', 'json'],
    outputFile: { json: '.vitest-results.json' },
  },
});
