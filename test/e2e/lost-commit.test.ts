import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { expectExit, expectNoText, expectText, resetDatabase } from '../helpers/e2e.js';
import { startDropProxy, type DropProxy } from '../helpers/drop-proxy.js';
import { createTestDatabase, makeProject, runCli, type CliResult } from '../helpers/harness.js';
import { generateHistory, revisionId, writeHistory } from '../helpers/history.js';

// The connection drops after strata sent a COMMIT and before it read the reply (issue 8, item 4):
// the server may have committed or not. Whatever strata then says must be what the database
// holds: the revisions it reports done are recorded, those it reports rolled back are not, and it
// never reports an outcome it could not check. A proxy between strata and the server drops the
// connection at the message that carries a chosen revision.
const db = await createTestDatabase('lostcommit');
const it = db ? test : test.skip;
const projects: Array<ReturnType<typeof makeProject>> = [];
let proxy: DropProxy | undefined;

test.before(async () => {
  if (db) proxy = await startDropProxy(db.url);
});
test.after(async () => {
  for (const p of projects) p.remove();
  await proxy?.close();
  await db?.drop();
});
test.before.each(async () => {
  if (db) await resetDatabase(db);
  proxy?.refuseAfterDrop(false);
});

function project(count: number, body: (i: number) => { up: string; header?: string } = (i) => ({ up: `create table t${i} (id int);\n` })) {
  const p = makeProject();
  projects.push(p);
  writeHistory(p.dir, generateHistory(count, (i) => ({ ...body(i), down: `drop table if exists t${i};\n` })));
  return p;
}

async function recorded(): Promise<string[]> {
  const exists = await db!.query<{ t: string | null }>("select to_regclass('strata.revisions')::text as t");
  if (exists[0]!.t === null) return [];
  return (await db!.query<{ id: string }>('select id from strata.revisions order by id')).map((r) => r.id);
}

const reported = (result: CliResult, verb: 'applied' | 'reverted') => [...result.stdout.matchAll(new RegExp(`^${verb}\\s+(\\S+)`, 'gm'))].map((m) => m[1]!);

/** The message that carries revision `i`'s script (its bookkeeping names it). */
const carrying = (i: number, also = 'commit;') => (query: string) => query.includes(`'${revisionId(i)}'`) && query.includes(also);

/** What strata printed is what the database holds, and the drop happened. */
async function expectTruthAfterUp(result: CliResult, context: string): Promise<string[]> {
  assert.ok(proxy!.dropped(), `${context}: the proxy dropped the connection`);
  expectExit(result, 1, context);
  const truth = await recorded();
  assert.equal(reported(result, 'applied'), truth, `${context}: reported applied = recorded\n${result.output}`);
  expectText(result.stderr, 'the connection was lost after strata sent');
  return truth;
}

it('dropped after the COMMIT of the first revision (a message of its own) reached the server: reported applied and recorded', async () => {
  const p = project(3);
  proxy!.arm(carrying(1), 'after-forwarding');
  const result = await runCli(['up'], { cwd: p.dir, env: { DATABASE_URL: proxy!.url } });
  assert.equal(await expectTruthAfterUp(result, 'first revision'), [revisionId(1)]);
  expectText(result.stderr, `${revisionId(1)} is applied and recorded`);
  expectNoText(result.stderr, 'rolled back');
  // and the next run carries on from there
  const again = await runCli(['up'], { cwd: p.dir, env: { DATABASE_URL: db!.url } });
  expectExit(again, 0);
  expectText(again.stdout, '2 applied');
});

it('dropped in the middle of a run, at a message of several revisions, after or before it reached the server', async () => {
  for (const mode of ['after-forwarding', 'before-forwarding'] as const) {
    for (const at of [3, 6, 9]) {
      await resetDatabase(db!);
      const p = project(12);
      proxy!.arm(carrying(at), mode);
      const result = await runCli(['up'], { cwd: p.dir, env: { DATABASE_URL: proxy!.url } });
      const context = `${mode} at revision ${at}`;
      const truth = await expectTruthAfterUp(result, context);
      if (mode === 'after-forwarding') {
        assert.ok(truth.includes(revisionId(at)), `${context}: the server committed it`);
        expectNoText(result.stderr, 'rolled back');
      } else {
        assert.ok(!truth.includes(revisionId(at)), `${context}: the server never saw it`);
        const first = revisionId(truth.length + 1);
        expectText(result.stderr, `${first} is not recorded, so it was rolled back: the database is as it was before ${first}`);
      }
    }
  }
});

it('dropped after the record of a Transaction: off revision was sent: reported applied and recorded', async () => {
  const p = project(3, (i) => ({ up: `create table t${i} (id int);\n`, header: i === 2 ? '--! Transaction: off' : '' }));
  proxy!.arm(carrying(2, 'insert into "strata".revisions'), 'after-forwarding');
  const result = await runCli(['up'], { cwd: p.dir, env: { DATABASE_URL: proxy!.url } });
  assert.equal(await expectTruthAfterUp(result, 'Transaction: off'), [revisionId(1), revisionId(2)]);
  expectText(result.stderr, 'every statement took effect', `${revisionId(2)} is applied and recorded`);
});

it('dropped while the server is still working on the message: strata waits for the old session before it reads', async () => {
  const p = project(3, (i) => ({ up: i === 1 ? 'create table t1 (id int);\nselect pg_sleep(0.8);\n' : `create table t${i} (id int);\n` }));
  proxy!.arm(carrying(1), 'after-forwarding');
  const result = await runCli(['up'], { cwd: p.dir, env: { DATABASE_URL: proxy!.url } });
  assert.equal(await expectTruthAfterUp(result, 'slow commit'), [revisionId(1)]);
  expectText(result.stderr, `${revisionId(1)} is applied and recorded`);
});

it('a down whose COMMIT was sent: reported reverted and its record removed', async () => {
  const p = project(4);
  expectExit(await runCli(['up'], { cwd: p.dir, env: { DATABASE_URL: db!.url } }), 0);
  proxy!.arm(carrying(3, 'delete from "strata".revisions'), 'after-forwarding');
  const result = await runCli(['down', '-2'], { cwd: p.dir, env: { DATABASE_URL: proxy!.url } });
  assert.ok(proxy!.dropped());
  expectExit(result, 1);
  const truth = await recorded();
  assert.equal(truth, [revisionId(1), revisionId(2)]);
  assert.equal(reported(result, 'reverted'), [revisionId(4), revisionId(3)], result.output);
  expectText(result.stderr, `${revisionId(3)} is reverted and its record removed`);
});

it('the server cannot be reached again: the outcome is unknown, and strata says so instead of guessing', async () => {
  const p = project(3);
  proxy!.refuseAfterDrop(true);
  proxy!.arm(carrying(1), 'after-forwarding');
  const result = await runCli(['up'], { cwd: p.dir, env: { DATABASE_URL: proxy!.url } });
  assert.ok(proxy!.dropped());
  expectExit(result, 1);
  expectText(result.stderr, `the connection was lost after strata sent the COMMIT of ${revisionId(1)}, so whether it committed is unknown (reconnecting failed`, 'check strata status before running again');
  expectNoText(result.stderr, 'rolled back', 'not recorded');
  assert.equal(reported(result, 'applied'), []);
  assert.equal(await recorded(), [revisionId(1)], 'it had in fact committed');
});


it('--single-transaction: dropped at the COMMIT of the whole run, after or before it reached the server: all or nothing, as reported', async () => {
  for (const mode of ['after-forwarding', 'before-forwarding'] as const) {
    await resetDatabase(db!);
    const p = project(4);
    proxy!.arm((query) => query.trim() === 'commit', mode);
    const result = await runCli(['up', '--single-transaction'], { cwd: p.dir, env: { DATABASE_URL: proxy!.url } });
    const truth = await expectTruthAfterUp(result, `--single-transaction, ${mode}`);
    assert.equal(truth.length, mode === 'after-forwarding' ? 4 : 0, mode);
    expectText(result.stderr, mode === 'after-forwarding' ? 'all 4 are done' : `${revisionId(1)} is not recorded, so it was rolled back`);
  }
});

test.run();
