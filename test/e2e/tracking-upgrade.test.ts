import { test } from 'uvu';
import * as assert from 'uvu/assert';
import pg from 'pg';
import { resolveConfig } from '../../src/config.js';
import type { Database } from '../../src/db/database.js';
import { openDatabase } from '../../src/db/open-database.js';
import { connectPostgres } from '../../src/db/pg-database.js';
import { recordEventSql, recordUpStatement, trackingSchemaSql } from '../../src/db/tracking.js';
import { TRACKING_VERSION } from '../../src/db/tracking-schema.js';
import { LOCK_CLASS } from '../../src/executor/advisory-lock.js';
import { loadRevisions } from '../../src/revision/load-revisions.js';
import { events, expectExit, expectNoText, expectText, projectWithDatabase, revisionFiles, snapshot } from '../helpers/e2e.js';
import { makeProject, runCli } from '../helpers/harness.js';
import { hasPsql, runPsqlScript } from '../helpers/psql.js';

/**
 * The versioned tracking schema on databases that exist: one made by a strata from before the
 * versions (version 1: no marker) is upgraded in place by the first writing command, under the
 * run's lock, once, and recorded; the read-only commands never upgrade it; a schema newer than
 * this strata is refused by every writer and left as it is.
 */
const R1 = '20261101090000_create_customers';
const R2 = '20261102090000_create_orders';
const R3 = '20261103090000_add_notes';
const R4 = '20261104090000_add_mood';
const files = {
  ...revisionFiles(R1, 'base', 'create table customers (id int primary key);\n', 'drop table customers;\n', ['--! Tags: v1.0']),
  ...revisionFiles(R2, R1, 'create table orders (id int primary key);\n', 'drop table orders;\n', ['--! Message: Orders']),
  ...revisionFiles(R3, R2, 'alter table orders add column note text;\n', 'alter table orders drop column note;\n'),
  ...revisionFiles(R4, R3, "alter table customers add column mood text default 'ok';\n", 'alter table customers drop column mood;\n'),
};
const { db, project, env, run } = await projectWithDatabase('tracking_upgrade', files);
const it = db ? test : test.skip;

/**
 * The tracking schema as a strata from before the versions left it: version 1's DDL, `ids` applied
 * (their SQL run, their rows and `up` events written by the same bookkeeping), and one failed event.
 */
async function makeVersionOne(database: Database, projectDir: string, ids: readonly string[]): Promise<void> {
  const set = loadRevisions(resolveConfig({ cwd: projectDir, env: {} }));
  assert.equal(set.problems, []);
  const created = await database.runScript(trackingSchemaSql('strata'));
  assert.ok(created.ok, 'version 1 created');
  for (const id of ids) {
    const revision = set.revisions.find((r) => r.id === id)!;
    const record = {
      id, parent: revision.parent, message: revision.message ?? null, tags: revision.tags, upChecksum: revision.up.checksum,
      downChecksum: revision.down.checksum, downText: revision.down.text, actor: 'old@strata',
    };
    const applied = await database.runScript(`begin;\n${revision.up.body}\n${recordUpStatement('strata', record)}\ncommit;`);
    assert.ok(applied.ok, `${id} applied as version 1`);
  }
  const failed = recordEventSql('strata', { action: 'up', revisionId: R3, ok: false, durationMs: 4, actor: 'old@strata', error: { sqlstate: '42601', message: 'syntax error' } });
  await database.query(failed.text, failed.values);
}

async function serverVersionOne(ids: readonly string[] = [R1, R2]): Promise<void> {
  const database = await connectPostgres(db!.url);
  try {
    await makeVersionOne(database, project.dir, ids);
  } finally {
    await database.close();
  }
}

interface Queryable {
  query<R = Record<string, unknown>>(text: string, values?: unknown[]): Promise<R[]>;
}

/** What marks the version: the version row (null: no tracking_version table, version 1) and whether revisions.replaces exists. */
async function layout(database: Queryable): Promise<{ version: number | null; hasReplaces: boolean }> {
  const query = <R>(text: string) => database.query<R>(text);
  const [marker] = await query<{ found: boolean }>("select to_regclass('strata.tracking_version') is not null as found");
  const version = marker!.found ? (await query<{ version: number }>('select version from strata.tracking_version'))[0]!.version : null;
  const [column] = await query<{ found: boolean }>(
    "select exists (select from information_schema.columns where table_schema = 'strata' and table_name = 'revisions' and column_name = 'replaces') as found");
  return { version, hasReplaces: column!.found };
}

const revisionRows = (database: Queryable) =>
  database.query('select id, parent, message, tags, up_checksum, down_checksum, down_sql, applied_at, applied_by, duration_ms from strata.revisions order by id');
const eventRows = (database: Queryable) =>
  database.query<{ id: string; action: string; revision_id: string; ok: boolean; actor: string; details: Record<string, unknown> | null }>(
    'select id::text, at, action, revision_id, ok, duration_ms, actor, db_user, error, details from strata.events order by id');

it('up upgrades a version-1 tracking schema in place: rows kept, the new column there, the upgrade recorded as an event', async () => {
  await serverVersionOne();
  assert.equal(await layout(db!), { version: null, hasReplaces: false }, 'made as version 1');
  const revisionsBefore = await revisionRows(db!);
  const eventsBefore = await eventRows(db!);

  const result = await run('up');
  expectExit(result, 0);
  assert.match(result.stdout, new RegExp(`^applied\\s+${R3}[\\s\\S]*^applied\\s+${R4}`, 'm'));
  expectText(result.stderr, `upgraded the tracking schema "strata" from version 1 to ${TRACKING_VERSION}`);

  assert.equal(await layout(db!), { version: TRACKING_VERSION, hasReplaces: true });
  const revisionsAfter = await revisionRows(db!);
  assert.equal(revisionsAfter.slice(0, 2), revisionsBefore, 'the rows of version 1 are kept as they were');
  assert.equal(revisionsAfter.map((r) => r.id), [R1, R2, R3, R4]);
  const replaces = await db!.query<{ replaces: string[] }>('select replaces from strata.revisions order by id');
  assert.equal(replaces.map((r) => r.replaces), [[], [], [], []], 'old rows get the default');

  const eventsAfter = await eventRows(db!);
  assert.equal(eventsAfter.slice(0, eventsBefore.length), eventsBefore, 'the old events are kept as they were');
  const added = eventsAfter.slice(eventsBefore.length);
  assert.equal(added.map((e) => [e.action, e.revision_id, e.ok]), [
    ['upgrade', `tracking v1 -> v${TRACKING_VERSION}`, true], ['up', R3, true], ['up', R4, true],
  ], 'the upgrade first, then the revisions');
  assert.equal(added[0]!.details, { from: 1, to: TRACKING_VERSION });
  assert.match(added[0]!.actor, /@/);

  const log = await run('log', '--json');
  expectExit(log, 0);
  const logged = (JSON.parse(log.stdout) as { events: Array<{ action: string; details: unknown }> }).events;
  assert.equal(logged.map((e) => e.action), ['up', 'up', 'upgrade', 'up', 'up', 'up']);

  // the next run finds it at the version it knows: nothing more to upgrade
  expectExit(await run('down', R2), 0);
  expectExit(await run('up'), 0);
  assert.equal((await events(db!)).filter((e) => e.action === 'upgrade').length, 1);
});

it('status, log, history and current read a version-1 schema and leave it as it is', async () => {
  await serverVersionOne();
  const before = { ...(await snapshot(db!)), layout: await layout(db!), events: await eventRows(db!) };

  const status = await run('status', '--json');
  expectExit(status, 0);
  const report = JSON.parse(status.stdout) as { current: string; counts: Record<string, number> };
  assert.equal([report.current, report.counts.applied, report.counts.pending], [R2, 2, 2]);
  const log = await run('log');
  expectExit(log, 0);
  expectText(log.stdout, R2, 'failed');
  const history = await run('history');
  expectExit(history, 0);
  expectText(history.stdout, R1, R4);
  const current = await run('current');
  expectExit(current, 0);
  expectText(current.stdout, R2);
  const script = await run('sql', 'up');
  expectExit(script, 0);

  assert.equal({ ...(await snapshot(db!)), layout: await layout(db!), events: await eventRows(db!) }, before, 'nothing was written');
});

it('the upgrade happens under the run lock: runners waiting for it leave the schema at version 1; two at once upgrade it once', async () => {
  await serverVersionOne([R1]);
  const holder = new pg.Client({ connectionString: db!.url });
  await holder.connect();
  await holder.query('select pg_advisory_lock($1, hashtext($2))', [LOCK_CLASS, 'strata']);
  let released = false;
  try {
    const first = runCli(['up', R3], { cwd: project.dir, env });
    const second = runCli(['up'], { cwd: project.dir, env });
    for (let i = 0; ; i++) {
      const [waiting] = await db!.query<{ n: number }>(
        "select count(*)::int as n from pg_stat_activity where datname = current_database() and application_name = 'strata' and wait_event_type = 'Lock'");
      if (waiting!.n === 2) break;
      if (i > 200) throw new Error('the two runners never waited for the lock');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.equal(await layout(db!), { version: null, hasReplaces: false }, 'nothing upgraded before the lock');
    await holder.end();
    released = true;
    const results = await Promise.all([first, second]);
    for (const result of results) expectExit(result, 0);
    assert.is(results.filter((r) => r.stderr.includes('upgraded the tracking schema')).length, 1, 'one of them upgraded it');
  } finally {
    if (!released) await holder.end();
  }
  assert.equal(await layout(db!), { version: TRACKING_VERSION, hasReplaces: true });
  const rows = await events(db!);
  assert.is(rows.filter((e) => e.action === 'upgrade').length, 1, 'one upgrade event');
  assert.equal(rows.filter((e) => e.action === 'up' && e.ok).map((e) => e.revision_id), [R1, R2, R3, R4], 'each revision applied once');
});

it('stamp upgrades in the same transaction as its records', async () => {
  await serverVersionOne([R1]);
  const result = await run('stamp', R3);
  expectExit(result, 0);
  assert.equal(await layout(db!), { version: TRACKING_VERSION, hasReplaces: true });
  assert.equal((await events(db!)).slice(-3).map((e) => [e.action, e.revision_id]), [
    ['upgrade', `tracking v1 -> v${TRACKING_VERSION}`], ['stamp', R2], ['stamp', R3],
  ]);
});

it('strata sql up against a version-1 schema prints the upgrade; the script run through psql upgrades and records it', async () => {
  await serverVersionOne();
  const script = await run('sql', 'up');
  expectExit(script, 0);
  expectText(script.stdout, `-- the tracking schema, upgraded from version 1 to ${TRACKING_VERSION}`,
    'alter table "strata".revisions add column replaces', `update "strata".tracking_version set version = ${TRACKING_VERSION}`, "values ('upgrade', ");
  assert.ok(script.stdout.indexOf('tracking_version') < script.stdout.indexOf(`revision 1 of 2: ${R3}`), 'the upgrade before the first revision');
  expectNoText(script.stdout, 'create schema');
  assert.equal(await layout(db!), { version: null, hasReplaces: false }, 'printing it changed nothing');

  const offline = await run('sql', 'up', '--from', R2);
  expectExit(offline, 0);
  expectNoText(offline.stdout, 'tracking_version', 'upgraded from');

  if (!hasPsql()) return;
  const ran = await runPsqlScript(db!.url, script.stdout);
  assert.is(ran.code, 0, `psql failed:\n${ran.stderr}`);
  assert.equal(await layout(db!), { version: TRACKING_VERSION, hasReplaces: true });
  const upgrade = (await eventRows(db!)).filter((e) => e.action === 'upgrade');
  assert.is(upgrade.length, 1);
  assert.match(upgrade[0]!.actor, /\(strata sql\)$/);
  expectExit(await run('up'), 0);
  assert.is((await events(db!)).filter((e) => e.action === 'upgrade').length, 1, 'strata up finds it upgraded');
});

it('a tracking schema newer than this strata: every writer refuses (TRACKING_TOO_NEW) and leaves it untouched; readers still work', async () => {
  expectExit(await run('up', R2), 0);
  await db!.query(`update strata.tracking_version set version = ${TRACKING_VERSION + 1}`);
  const before = { ...(await snapshot(db!)), revisions: await revisionRows(db!), events: await eventRows(db!) };

  for (const args of [['up'], ['down'], ['redo'], ['stamp', R4]]) {
    const result = await run(...args, '--json');
    expectExit(result, 1, args.join(' '));
    const report = JSON.parse(result.stdout) as { ok: boolean; reason: string; problems: Array<{ code: string; message: string; hint: string }> };
    assert.equal([report.ok, report.reason, report.problems[0]!.code], [false, 'unavailable', 'TRACKING_TOO_NEW'], args.join(' '));
    expectText(report.problems[0]!.message, `version ${TRACKING_VERSION + 1}`, `(version ${TRACKING_VERSION})`);
    expectText(report.problems[0]!.hint, 'upgrade strata');
  }
  const text = await run('up');
  expectExit(text, 1);
  expectText(text.stderr, `is at version ${TRACKING_VERSION + 1}, newer than this strata knows`, 'upgrade strata');
  const script = await run('sql', 'up');
  expectExit(script, 2, 'strata sql refuses too');
  assert.is(script.stdout, '');
  expectText(script.stderr, 'newer than this strata knows');

  expectExit(await run('status'), 0);
  expectExit(await run('log'), 0);
  expectExit(await run('history'), 0);
  assert.equal({ ...(await snapshot(db!)), revisions: await revisionRows(db!), events: await eventRows(db!) }, before, 'untouched');
});

test('embedded (PGlite): up upgrades a version-1 tracking schema in place, status before it does not', async () => {
  const embedded = makeProject(files);
  const embeddedEnv = { DATABASE_URL: undefined };
  const config = resolveConfig({ cwd: embedded.dir, env: { ...process.env, DATABASE_URL: undefined } });
  const withEmbedded = async <T>(fn: (database: Database) => Promise<T>): Promise<T> => {
    const open = await openDatabase(config, { command: 'test' });
    if (!open.ok) throw new Error(open.problems.map((p) => p.message).join('; '));
    const opened = open.opened;
    try {
      return await fn(opened.db);
    } finally {
      await opened.close();
    }
  };
  try {
    await withEmbedded((database) => makeVersionOne(database, embedded.dir, [R1, R2]));
    const status = await runCli(['status', '--json'], { cwd: embedded.dir, env: embeddedEnv, timeoutMs: 60_000 });
    expectExit(status, 0);
    assert.is((JSON.parse(status.stdout) as { current: string }).current, R2);
    assert.equal(await withEmbedded((database) => layout(database)), { version: null, hasReplaces: false }, 'status did not upgrade');

    const up = await runCli(['up'], { cwd: embedded.dir, env: embeddedEnv, timeoutMs: 60_000 });
    expectExit(up, 0);
    expectText(up.stderr, `upgraded the tracking schema "strata" from version 1 to ${TRACKING_VERSION}`);
    await withEmbedded(async (database) => {
      assert.equal(await layout(database), { version: TRACKING_VERSION, hasReplaces: true });
      const rows = await database.query<{ action: string; revision_id: string; ok: boolean }>('select action, revision_id, ok from strata.events order by id');
      assert.equal(rows.map((e) => [e.action, e.revision_id, e.ok]), [
        ['up', R1, true], ['up', R2, true], ['up', R3, false], ['upgrade', `tracking v1 -> v${TRACKING_VERSION}`, true], ['up', R3, true], ['up', R4, true],
      ]);
      const ids = await database.query<{ id: string }>('select id from strata.revisions order by id');
      assert.equal(ids.map((r) => r.id), [R1, R2, R3, R4]);
    });
  } finally {
    embedded.remove();
  }
});

test.run();
