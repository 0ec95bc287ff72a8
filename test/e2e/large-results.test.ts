import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { expectExit, resetDatabase } from '../helpers/e2e.js';
import { createTestDatabase, makeProject, runCli } from '../helpers/harness.js';
import { generateHistory, writeHistory } from '../helpers/history.js';

// Rows a revision's statements return are nobody's business: strata reads them off the wire and
// drops them (issue 8, item 16). Measured as the strata process's peak RSS against a run whose
// revisions return nothing; buffering them would cost hundreds of MB.
const db = await createTestDatabase('results');
const it = db ? test : test.skip;
const projects: Array<ReturnType<typeof makeProject>> = [];
const ALLOWED_GROWTH_MB = 64;

test.after(async () => {
  for (const p of projects) p.remove();
  await db?.drop();
});

/** `strata up` of `bodies` (one revision each) in a new project; its peak RSS in MB. */
async function peakOfUp(bodies: Array<{ up: string; header?: string }>, env: Record<string, string | undefined>): Promise<number> {
  const p = makeProject();
  projects.push(p);
  writeHistory(p.dir, generateHistory(bodies.length, (i) => ({ up: bodies[i - 1]!.up, down: '', header: bodies[i - 1]!.header })));
  const probe = path.join(p.dir, 'peak-rss.cjs');
  writeFileSync(probe, "process.on('exit', () => require('node:fs').writeSync(2, `\\npeak-rss-kb ${process.resourceUsage().maxRSS}\\n`));\n");
  const result = await runCli(['up'], { cwd: p.dir, env: { ...env, NODE_OPTIONS: `--require ${probe}` }, timeoutMs: 180_000 });
  expectExit(result, 0, 'up');
  const kb = Number(/peak-rss-kb (\d+)/.exec(result.stderr)?.[1]);
  assert.ok(kb > 0, result.stderr);
  return kb / 1024;
}

const ROWS = 2_000_000;
const wide = (rows: number) => `select g, repeat('x', 100) as padding, now() as at from generate_series(1, ${rows}) g`;

it(`${ROWS.toLocaleString('en')} rows from a revision's statements cost no memory: a trailing SELECT, COPY TO STDOUT, Transaction: off, a batch`, async () => {
  const env = { DATABASE_URL: db!.url };
  await resetDatabase(db!);
  const baseline = await peakOfUp([{ up: 'create table quiet (id int);\n' }, { up: 'select 1;\n' }, { up: 'select 2;\n' }], env);
  const cases = [
    { what: 'a trailing SELECT', bodies: [{ up: `create table t (id int);\n${wide(ROWS)};\n` }] },
    { what: 'COPY ... TO STDOUT', bodies: [{ up: `copy (${wide(ROWS)}) to stdout;\n` }] },
    { what: 'a Transaction: off revision', bodies: [{ up: `${wide(ROWS)};\nselect 1;\n`, header: '--! Transaction: off' }] },
    // after the first revision, quick ones share a message
    { what: 'revisions in one message', bodies: [{ up: 'select 1;\n' }, ...Array.from({ length: 4 }, () => ({ up: `${wide(ROWS / 4)};\n` }))] },
  ];
  for (const c of cases) {
    await resetDatabase(db!);
    const peak = await peakOfUp(c.bodies, env);
    assert.ok(peak < baseline + ALLOWED_GROWTH_MB, `${c.what}: peak RSS ${peak.toFixed(0)} MB, a run without rows ${baseline.toFixed(0)} MB`);
  }
});

/**
 * PGlite's own memory (the WASM heap) dwarfs any difference in RSS; kept rows would be JavaScript
 * objects, so there the run gets a small JavaScript heap: a run that kept a million rows would not fit.
 */
test('the embedded database (PGlite): rows are not kept either (a million rows within a 128 MB JavaScript heap)', async () => {
  const p = makeProject();
  projects.push(p);
  writeHistory(p.dir, generateHistory(3, (i) => ({ up: ['create table t (id int);\n', `${wide(1_000_000)};\n`, `select 1;\n${wide(1_000_000)};\n`][i - 1]!, down: '', header: i === 3 ? '--! Transaction: off' : '' })));
  const result = await runCli(['up'], { cwd: p.dir, env: { DATABASE_URL: undefined, NODE_OPTIONS: '--max-old-space-size=128' }, timeoutMs: 180_000 });
  expectExit(result, 0, 'up');
});

test.run();
