import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createTestDatabase, makeProject, runCli, type TestDatabase } from '../helpers/harness.js';

// strata check of a longer history on a server proves it on two temporary shadow databases at
// once (round-trip-shadows.ts): the entries still come in revision order, a fault in either half
// is named, and both shadows are dropped after.

let target: TestDatabase | undefined;
test.before(async () => {
  target = await createTestDatabase('check_two_shadows');
});
test.after(async () => {
  await target?.drop();
});

const COUNT = 30;
const id = (k: number) => `2026010100${String(Math.floor(k / 60)).padStart(2, '0')}${String(k % 60).padStart(2, '0')}_t${k}`;

/** COUNT revisions, each a table with an index; `faulty` down.sql files forget the index */
function history(faulty: readonly number[]): Record<string, string> {
  const files: Record<string, string> = {};
  for (let k = 1; k <= COUNT; k++) {
    files[`migrations/${id(k)}/up.sql`] = `--! Parent: ${k === 1 ? 'base' : id(k - 1)}\n\ncreate table t${k} (id int primary key, v text);\ncreate index t${k}_v on t${k} (v);\n`;
    files[`migrations/${id(k)}/down.sql`] = faulty.includes(k) ? `drop table t${k} cascade;\ncreate index t${k - 1}_extra on t${k - 1} (v);\n` : `drop index t${k}_v;\ndrop table t${k};\n`;
  }
  return files;
}

async function shadowsLeft(output: string): Promise<string[]> {
  const names = [...output.matchAll(/strata_shadow_[0-9a-f]+/g)].map((m) => m[0]);
  const rows = await target!.query<{ datname: string }>('select datname from pg_database where datname = any($1)', [names]);
  return rows.map((r) => r.datname);
}

test('a 30-revision history is proven on two shadows at once, its entries in order; both are dropped after', async () => {
  if (!target) return;
  const project = makeProject(history([]));
  try {
    const env = { DATABASE_URL: target.url, SHADOW_DATABASE_URL: undefined };
    assert.is((await runCli(['dump'], { cwd: project.dir, env })).code, 0);
    const result = await runCli(['check'], { cwd: project.dir, env });
    assert.is(result.code, 0, result.output);
    // one line names both
    const shadows = result.stderr.split('\n').filter((l) => l.includes('shadow database'));
    assert.is(shadows.length, 1, result.stderr);
    assert.match(shadows[0]!, /^strata: shadow databases: strata_shadow_[0-9a-f]+ and strata_shadow_[0-9a-f]+, temporary databases on /);
    const trips = result.stdout.split('\n').filter((l) => l.startsWith('round trip '));
    assert.equal(trips, Array.from({ length: COUNT }, (_, k) => `round trip ${id(k + 1)}: ok`));
    assert.match(result.stdout, 'schema.sql: current');
    assert.equal(await shadowsLeft(result.output), []);
  } finally {
    project.remove();
  }
});

test('a fault in each half is named, and the first does not hide the second', async () => {
  if (!target) return;
  const project = makeProject(history([3, 27]));
  try {
    const env = { DATABASE_URL: target.url, SHADOW_DATABASE_URL: undefined };
    const result = await runCli(['check', '--json'], { cwd: project.dir, env });
    assert.is(result.code, 1, result.output);
    const report = JSON.parse(result.stdout) as { roundTrips: Array<{ id: string; result: string }>; problems: Array<{ message: string }> };
    const failed = report.roundTrips.filter((t) => t.result === 'failed').map((t) => t.id);
    assert.equal(failed, [id(3), id(27)]);
    const ids = report.roundTrips.map((t) => t.id);
    assert.equal(ids, [...ids].sort(), 'in revision order');
    const messages = report.problems.map((p) => p.message);
    assert.ok(messages.includes(`down.sql of ${id(3)} leaves index public.t2_extra`), messages.join('\n'));
    assert.ok(messages.includes(`down.sql of ${id(27)} leaves index public.t26_extra`), messages.join('\n'));
    assert.equal(await shadowsLeft(result.output), []);
  } finally {
    project.remove();
  }
});

test.run();
