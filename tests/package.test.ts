// The published tarball works for both module systems: a scratch project installs `npm pack`'s output
// and loads the package and its /testing entry with import and with require.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = new URL('..', import.meta.url).pathname;
const scratch = mkdtempSync(join(tmpdir(), 'ass-pack-'));
const run = (cmd: string, args: string[], cwd: string) =>
  execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('npm pack tarball', () => {
  it('installs and loads with import and require, main entry and /testing', () => {
    run('npm', ['pack', '--pack-destination', scratch, '--silent'], root);
    const tarball = readdirSync(scratch).find((f) => f.endsWith('.tgz'));
    expect(tarball).toBeDefined();
    writeFileSync(join(scratch, 'package.json'), JSON.stringify({ name: 'scratch', private: true }));
    run(
      'npm',
      ['install', '--no-audit', '--no-fund', '--prefer-offline', join(scratch, tarball as string)],
      scratch,
    );

    writeFileSync(
      join(scratch, 'esm.mjs'),
      `import { InMemorySessionStore, SessionCodec, SessionValidationError } from 'agent-session-store';
import { describeSessionStoreConformance } from 'agent-session-store/testing';
const store = new InMemorySessionStore();
const s = await store.set('a', { metadata: { n: 1 } });
let code = '';
try { await store.get(''); } catch (e) { code = e instanceof SessionValidationError ? e.code : 'wrong'; }
console.log(JSON.stringify({ v: s.version, n: SessionCodec.fromJSON(SessionCodec.toJSON(s)).metadata.n, kit: typeof describeSessionStoreConformance, code }));
`,
    );
    writeFileSync(
      join(scratch, 'cjs.cjs'),
      `const { InMemorySessionStore, isSessionValidationError, SessionConflictError } = require('agent-session-store');
const { describeSessionStoreConformance } = require('agent-session-store/testing');
const { staleSuffixError } = require('agent-session-store/backend');
// One copy of each class across entries: an error built by a /backend helper is the root's class.
if (!(staleSuffixError('a', 1, 0) instanceof SessionConflictError)) throw new Error('two copies of SessionConflictError');
const store = new InMemorySessionStore();
store.set('a', { metadata: { n: 2 } }).then(async (s) => {
  let code = '';
  try { await store.get(''); } catch (e) { code = isSessionValidationError(e) ? e.code : 'wrong'; }
  console.log(JSON.stringify({ v: s.version, n: s.metadata.n, kit: typeof describeSessionStoreConformance, code }));
});
`,
    );
    // The conformance kit, loaded from the tarball, passes against the store loaded from the tarball,
    // under another runner (node:test), from both module systems.
    writeFileSync(
      join(scratch, 'kit.test.mjs'),
      `import { describe, it } from 'node:test';
import { InMemorySessionStore } from 'agent-session-store';
import { describeSessionStoreConformance } from 'agent-session-store/testing';
describeSessionStoreConformance('memory from the tarball (ESM)', ({ now, options }) => new InMemorySessionStore({ ...options, now }), { clock: 'manual', describe, it });
`,
    );
    writeFileSync(
      join(scratch, 'kit.test.cjs'),
      `const { describe, it } = require('node:test');
const { InMemorySessionStore } = require('agent-session-store');
const { describeSessionStoreConformance } = require('agent-session-store/testing');
describeSessionStoreConformance('memory from the tarball (CJS)', ({ now, options }) => new InMemorySessionStore({ ...options, now }), { clock: 'manual', describe, it });
`,
    );
    const kit = run('node', ['--test', '--test-reporter=spec', 'kit.test.mjs', 'kit.test.cjs'], scratch);
    expect(kit).toMatch(/ℹ fail 0/);
    expect(Number(/ℹ pass (\d+)/.exec(kit)?.[1])).toBeGreaterThanOrEqual(2 * 43);
    expect(JSON.parse(run('node', ['esm.mjs'], scratch))).toEqual({
      v: 1,
      n: 1,
      kit: 'function',
      code: 'SESSION_VALIDATION',
    });
    expect(JSON.parse(run('node', ['cjs.cjs'], scratch))).toEqual({
      v: 1,
      n: 2,
      kit: 'function',
      code: 'SESSION_VALIDATION',
    });
  }, 180_000);
});
