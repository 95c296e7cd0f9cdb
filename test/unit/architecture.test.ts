import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot, runNodeScript } from '../support/cli.js';

// The layering rules live in scripts/check-deps.mjs (also run by `npm run lint`); this test
// keeps them enforced by `npm test` and proves the checker can actually fail.

const script = path.join(repoRoot, 'scripts', 'check-deps.mjs');
const tempDirs: string[] = [];

async function fixtureTree(files: Record<string, string>): Promise<string> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'mailferry-deps-'));
  tempDirs.push(root);
  for (const [name, content] of Object.entries(files)) {
    await fs.mkdir(path.dirname(path.join(root, name)), { recursive: true });
    await fs.writeFile(path.join(root, name), content);
  }
  return root;
}

afterAll(async () => {
  await Promise.all(tempDirs.map((d) => fs.rm(d, { recursive: true, force: true })));
});

describe('dependency direction', () => {
  it('holds for the real src tree', async () => {
    const result = await runNodeScript(script, []);
    expect(result.stdout + result.stderr).toMatch(/^dependency rules: OK \(\d+ files\)$/m);
    expect(result.code).toBe(0);
  });

  it('reports each violating file and rule, and nothing else', async () => {
    const root = await fixtureTree({
      'src/connectors/types.ts': 'export interface Folder { path: string }\nexport const KINDS = [1];\n',
      'src/connectors/imap/bad-connector.ts':
        "// import { Queue } from 'bullmq'  <- comments do not count\nimport { Queue } from 'bullmq';\nimport { plan } from '../../jobs/plan.js';\n",
      'src/connectors/imap/good-connector.ts': "import { ImapFlow } from 'imapflow';\nimport type { Folder } from '../types.js';\n",
      'src/mapping/good-map.ts': "import type { Folder } from '../connectors/types.js';\nimport { other } from './other.js';\n",
      'src/mapping/other.ts': 'export const other = 1;\n',
      'src/mapping/bad-map.ts': "import fs from 'node:fs';\nimport { KINDS } from '../connectors/types.js';\n",
      'src/state/bad-state.ts': "import { client } from '../connectors/imap/good-connector.js';\n",
      'src/state/good-state.ts': "import type { Folder } from '../connectors/types.js';\nimport { Redis } from 'ioredis';\n",
      'src/jobs/plan.ts': "export const plan = 1;\nconst m = await import('../cli/main.js');\n",
      'src/jobs/env-reader.ts': "export const url = process.env['REDIS_URL'];\n",
      'src/jobs/raw-redis.ts': "import type { Redis } from 'ioredis';\nexport const peek = (redis: Redis) => redis.hgetall('mailferry:x');\n",
      'src/jobs/state-user.ts': "import { RunStore } from '../state/good-state.js';\nexport const runs = (ctx: { redis: unknown }) => ctx.redis;\n",
      'src/config/env-ok.ts': 'export const url = process.env.REDIS_URL;\n',
      'src/cli/main.ts': "import { plan } from '../jobs/plan.js';\nexport const home = process.env.HOME;\n",
    });
    const result = await runNodeScript(script, ['--root', root]);
    expect(result.code).toBe(1);
    const lines = result.stdout.trim().split('\n');
    const report = lines.filter((l) => l.startsWith('src/')).sort();
    expect(report).toEqual([
      expect.stringMatching(/^src\/connectors\/imap\/bad-connector\.ts: imports \.\.\/\.\.\/jobs\/plan\.js \(connectors-independent/),
      expect.stringMatching(/^src\/connectors\/imap\/bad-connector\.ts: imports bullmq \(connectors-independent/),
      expect.stringMatching(/^src\/jobs\/env-reader\.ts: reads process\.env \(env-in-config/),
      expect.stringMatching(/^src\/jobs\/plan\.ts: imports \.\.\/cli\/main\.js \(cli-on-top/),
      expect.stringMatching(/^src\/jobs\/raw-redis\.ts: imports ioredis \(redis-through-state/),
      expect.stringMatching(/^src\/jobs\/raw-redis\.ts: sends commands on redis \(redis-through-state/),
      expect.stringMatching(/^src\/mapping\/bad-map\.ts: imports \.\.\/connectors\/types\.js \(mapping-pure/),
      expect.stringMatching(/^src\/mapping\/bad-map\.ts: imports node:fs \(mapping-pure/),
      expect.stringMatching(/^src\/state\/bad-state\.ts: imports \.\.\/connectors\/imap\/good-connector\.js \(state-no-workers/),
    ]);
  });

  it('passes a clean fixture tree', async () => {
    const root = await fixtureTree({
      'src/connectors/types.ts': 'export interface Folder { path: string }\n',
      'src/mapping/map.ts': "import type { Folder } from '../connectors/types.js';\n",
    });
    const result = await runNodeScript(script, ['--root', root]);
    expect(result.stdout.trim()).toBe('dependency rules: OK (2 files)');
    expect(result.code).toBe(0);
  });
});
