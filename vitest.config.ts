import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { defineConfig } from 'vitest/config';

/**
 * The longest files, longest first (measured on CI, in seconds), so that two workers end
 * together. Without a timing cache (a fresh CI clone) vitest would start the biggest files
 * first, and the crash sweeps are small files that run for minutes: started last, they
 * left one worker alone for the final two minutes.
 */
const LONGEST_FIRST = [
  'test/integration/crash-ews.test.ts', // 160
  'test/integration/crash-graph.test.ts', // 120
  'test/integration/servers/cyrus-migrate.test.ts', // 100
  'test/integration/crash-imap.test.ts', // 90
  'test/integration/servers/mailutils-migrate.test.ts', // 84
  'test/integration/crash-pop3.test.ts', // 75
  'test/integration/ews-migrate.test.ts', // 52
  'test/integration/account-backoff.test.ts', // 49
  'test/integration/graph-migrate.test.ts', // 45
  'test/integration/daemon.test.ts', // 45
  'test/integration/pop3-identity.test.ts', // 45
];

class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (file: TestSpecification) => {
      const at = LONGEST_FIRST.findIndex((name) => file.moduleId.endsWith(name));
      return at === -1 ? LONGEST_FIRST.length : at;
    };
    const sorted = await super.sort(files);
    return sorted.map((file, order) => ({ file, order })).sort((a, b) => rank(a.file) - rank(b.file) || a.order - b.order).map(({ file }) => file);
  }
}

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Integration tests start real Dovecot/Redis servers; give them room but keep the suite bounded.
    testTimeout: 120_000,
    hookTimeout: 60_000,
    // Two cores: run files in parallel but not more than the machine can carry.
    maxWorkers: 2,
    sequence: { sequencer: LongestFirst },
    // .ci/run reads the counts from the JSON report; 'default' keeps the human output.
    reporters: ['default', 'json'],
    outputFile: { json: '.vitest-results.json' },
  },
});
