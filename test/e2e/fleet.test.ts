import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { findPgBinary, startCluster, type Cluster } from '../../bench/cluster.js';
import { LOCK_CLASS } from '../../src/executor/advisory-lock.js';
import { EXAMPLE_IDS, exampleProject, expectExit, expectNoText, expectText } from '../helpers/e2e.js';
import { adminUrl, runCli, type CliResult } from '../helpers/harness.js';

// strata up --targets (issue 14): 50 databases over two clusters (the main one and one this file
// starts), one made to fail (its orders table exists already, so the third revision fails) and one
// whose migration lock another session holds; --parallel 8.
const COUNT = 50;
const FAILING = 'db07';
const LOCKED = 'db33';
const PASSWORD = 'Fl33tSecretPw';
const prefix = `strata_test_fleet_${process.pid}`;
const names = Array.from({ length: COUNT }, (_, i) => `db${String(i + 1).padStart(2, '0')}`);

let cluster: Cluster | undefined;
let root: string | undefined;
let main: pg.Client | undefined;
try {
  main = new pg.Client({ connectionString: adminUrl });
  await main.connect();
  findPgBinary('initdb');
  root = mkdtempSync(path.join(os.tmpdir(), 'strata-fleet-'));
  chmodSync(root, 0o755);
  cluster = await startCluster(root);
} catch (error) {
  if (process.env.CI) throw error;
  console.warn(`SKIP: needs the PostgreSQL server and a throwaway cluster: ${(error as Error).message}`);
}
const isReady = cluster !== undefined && main !== undefined;
const project = exampleProject();
const mainUrl = (database: string) => { const url = new URL(adminUrl); url.pathname = `/${database}`; return url.toString(); };
/** even targets on the main cluster, odd ones on the second; a few URLs carry a password (trust auth ignores it) */
const targetUrl = (name: string, index: number) => {
  const database = `${prefix}_${name}`;
  const url = index % 2 === 0 ? mainUrl(database) : cluster!.url(database);
  return index % 10 === 0 ? url.replace('postgres@', `postgres:${PASSWORD}@`) : url;
};
const clientOf = async (name: string) => {
  const client = new pg.Client({ connectionString: targetUrl(name, names.indexOf(name)).replace(`:${PASSWORD}`, '') });
  await client.connect();
  return client;
};

async function appliedOf(name: string): Promise<string[]> {
  const client = await clientOf(name);
  try {
    const found = await client.query<{ found: boolean }>("select to_regclass('strata.revisions') is not null as found");
    if (!found.rows[0]!.found) return [];
    return (await client.query<{ id: string }>('select id from strata.revisions order by id')).rows.map((r) => r.id);
  } finally {
    await client.end();
  }
}

const targetsFile = path.join(project.dir, 'targets.txt');
let lockHolder: pg.Client | undefined;
if (isReady) {
  // one small template per cluster, copied 25 times each: cheaper than 50 empty databases made from template1
  await main!.query(`create database ${prefix}_tpl`);
  cluster!.sql('postgres', `create database ${prefix}_tpl`);
  for (const [i, name] of names.entries()) {
    const create = `create database ${prefix}_${name} template ${prefix}_tpl`;
    if (i % 2 === 0) await main!.query(create);
    else cluster!.sql('postgres', create);
  }
  const failing = await clientOf(FAILING);
  await failing.query('create table orders (id int)');
  await failing.end();
  writeFileSync(targetsFile, ['# the fleet of this test', '', ...names.map((name, i) => `${name}=${targetUrl(name, i)}`), ''].join('\n'));
}

test.after(async () => {
  await lockHolder?.end().catch(() => {});
  project.remove();
  if (main) {
    for (const name of [...names, 'tpl', 'tenants']) await main.query(`drop database if exists ${prefix}_${name} with (force)`).catch(() => {});
    await main.end();
  }
  cluster?.stop('immediate');
  if (root) rmSync(root, { recursive: true, force: true });
});

const strata = (...args: string[]): Promise<CliResult> => runCli(args, { cwd: project.dir, timeoutMs: 180_000 });

function summaryRow(output: string, name: string): string[] {
  const line = output.split('\n').find((l) => l.startsWith(`${name} `));
  assert.ok(line, `no summary row for ${name} in\n${output}`);
  return line.trim().split(/\s{2,}/);
}

const head = EXAMPLE_IDS.at(-1)!;

(isReady ? test : test.skip)('up --targets: 50 databases on two clusters, one failing and one locked, --parallel 8', async () => {
  lockHolder = await clientOf(LOCKED);
  await lockHolder.query('select pg_advisory_lock($1, hashtext($2))', [LOCK_CLASS, 'strata']);
  const result = await strata('up', '--targets', 'targets.txt', '--parallel', '8', '--lock-timeout', '1');
  expectExit(result, 1);
  expectNoText(result.output, PASSWORD);
  // live lines are prefixed with the target's name
  expectText(result.stdout, `[db01] applied  ${EXAMPLE_IDS[0]}`, `[db50] applied  ${head}`);
  expectText(result.stderr, `[${FAILING}] migrations/${EXAMPLE_IDS[2]}/up.sql:`, `[${FAILING}] `, 'relation "orders" already exists');
  expectText(result.stderr, `[${LOCKED}] waiting up to 1 s for the migration lock`, `[${LOCKED}] error: gave up after 1 s waiting for the migration lock on schema strata`);
  expectText(result.stdout, 'target  from', `${COUNT} targets: 48 ok, 1 failed, 1 unavailable`);
  assert.equal(summaryRow(result.stdout, 'db01').slice(0, 4), ['db01', 'base', head, '5']);
  assert.equal(summaryRow(result.stdout, FAILING).slice(0, 4), [FAILING, 'base', EXAMPLE_IDS[1], '2']);
  assert.equal(summaryRow(result.stdout, FAILING).at(-1), 'failed');
  assert.equal(summaryRow(result.stdout, LOCKED).slice(0, 4), [LOCKED, 'base', 'base', '0']);
  assert.equal(summaryRow(result.stdout, LOCKED).at(-1), 'unavailable');
  for (const name of names) {
    const expected = name === FAILING ? EXAMPLE_IDS.slice(0, 2) : name === LOCKED ? [] : EXAMPLE_IDS;
    assert.equal(await appliedOf(name), expected, name);
  }
});

(isReady ? test : test.skip)('status --targets: where each one is, as a table and as JSON', async () => {
  const text = await strata('status', '--targets', 'targets.txt', '--parallel', '8');
  expectExit(text, 0);
  expectNoText(text.output, PASSWORD);
  assert.equal(summaryRow(text.stdout, 'db02'), ['db02', head, '0', '0', '0', 'ok']);
  assert.equal(summaryRow(text.stdout, FAILING), [FAILING, EXAMPLE_IDS[1], '3', '0', '0', 'ok']);
  assert.equal(summaryRow(text.stdout, LOCKED), [LOCKED, 'base', '5', '0', '0', 'ok']);
  expectText(text.stdout, `${COUNT} targets: 48 at head (${head})`);
  const json = await strata('status', '--targets', 'targets.txt', '--json');
  expectExit(json, 0);
  expectNoText(json.output, PASSWORD);
  const report = JSON.parse(json.stdout) as { ok: boolean; head: string; targets: Array<{ name: string; current: string; database: string; counts: { pending: number } }> };
  assert.is(report.head, head);
  assert.is(report.targets.length, COUNT);
  assert.equal(report.targets.find((t) => t.name === FAILING)!.counts.pending, 3);
  assert.ok(report.targets[0]!.database.includes('postgres:***@'), report.targets[0]!.database);
});

(isReady ? test : test.skip)('up --targets --json, then --fail-fast: no new target starts after the failure, and those are named', async () => {
  const json = await strata('up', '--targets', 'targets.txt', '--parallel', '8', '--lock-timeout', '0', '--json');
  expectExit(json, 1);
  expectNoText(json.output, PASSWORD);
  const report = JSON.parse(json.stdout) as { ok: boolean; reason: string; counts: Record<string, number>; targets: Array<{ name: string; status: string; from: string; to: string; applied: number; failure: { sqlstate: string } | null; problems: Array<{ code: string }> }> };
  assert.is(report.reason, 'failed');
  assert.equal(report.counts, { ok: 48, invalid: 0, failed: 1, unavailable: 1, interrupted: 0, 'not-started': 0 });
  const failing = report.targets.find((t) => t.name === FAILING)!;
  assert.equal([failing.status, failing.from, failing.to, failing.applied, failing.failure?.sqlstate], ['failed', EXAMPLE_IDS[1], EXAMPLE_IDS[1], 0, '42P07']);
  assert.equal(report.targets.find((t) => t.name === LOCKED)!.problems.map((p) => p.code), ['LOCK_TIMEOUT']);
  assert.equal(report.targets.find((t) => t.name === 'db01')!.applied, 0);

  // one at a time: db01..db06 are at head already, db07 fails, nothing after it starts
  const fast = await strata('up', '--targets', 'targets.txt', '--parallel', '1', '--fail-fast');
  expectExit(fast, 1);
  expectText(fast.stdout, `${COUNT} targets: 6 ok, 1 failed, 43 not-started`, `not started: db08, db09, `);
  assert.equal(summaryRow(fast.stdout, 'db08'), ['db08', '-', '-', '-', '-', 'not-started']);
  await lockHolder!.end();
  lockHolder = undefined;
});

(isReady ? test : test.skip)('a bad targets file is refused with file:line and the fix, before any database is opened, its passwords hidden', async () => {
  project.write('bad-targets.txt', [
    '# comment',
    `good=${targetUrl('db01', 0)}`,
    `good=${targetUrl('db02', 1)}`,
    `mysql://root:${PASSWORD}@somewhere/db`,
    `tenant=${targetUrl('db03', 2)} schema=strata_a colour=blue`,
    `x=postgres://u:pass word@127.0.0.1/db`,
  ].join('\n'));
  const result = await strata('up', '--targets', 'bad-targets.txt');
  expectExit(result, 2);
  expectNoText(result.output, PASSWORD, 'pass word', 'word@127');
  expectText(result.stderr,
    "bad-targets.txt:3: error: target 'good' is listed twice (first at bad-targets.txt:2)",
    'bad-targets.txt:4: error: the target URL must be a postgres:// or postgresql:// URL',
    "bad-targets.txt:5: error: unknown option 'colour=' after the URL",
    'bad-targets.txt:6: error:', 'a space in a password is written %20',
    '4 problems found');
  const missing = await strata('status', '--targets', 'nope.txt');
  expectExit(missing, 2);
  expectText(missing.stderr, 'targets file nope.txt does not exist');
  const both = await strata('up', '--targets', 'targets.txt', '--targets-query', 'select 1');
  expectExit(both, 2);
  const down = await strata('down', '--targets', 'targets.txt');
  expectExit(down, 2);
  expectText(down.stderr, 'strata down does not take --targets');
});

(isReady ? test : test.skip)('--targets-query lists the fleet from a catalog database; schema= and search_path= give each tenant of one database its own schemas', async () => {
  const tenants = `${prefix}_tenants`;
  await main!.query(`create database ${tenants}`);
  const catalog = new pg.Client({ connectionString: mainUrl(tenants) });
  await catalog.connect();
  try {
    await catalog.query('create schema tenant_a; create schema tenant_b; create table fleet (name text, url text, schema text, search_path text)');
    await catalog.query('insert into fleet values ($1, $2, $3, $4), ($5, $2, $6, $7)', ['a', mainUrl(tenants), 'strata_a', 'tenant_a', 'b', 'strata_b', 'tenant_b']);
    const env = { DATABASE_URL: mainUrl(tenants) };
    const query = 'select name, url, schema, search_path from fleet order by name';
    // a target revision applies to each database: +1 is the next pending revision of each
    const first = await runCli(['up', '+1', '--targets-query', query], { cwd: project.dir, env });
    expectExit(first, 0);
    assert.equal(summaryRow(first.stdout, 'a').slice(0, 4), ['a', 'base', EXAMPLE_IDS[0], '1']);
    const up = await runCli(['up', '--targets-query', query], { cwd: project.dir, env });
    expectExit(up, 0);
    expectText(up.stdout, '2 targets: 2 ok');
    assert.equal(summaryRow(up.stdout, 'b').slice(0, 4), ['b', EXAMPLE_IDS[0], head, '4']);
    const tables = await catalog.query<{ name: string }>("select n.nspname || '.' || c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace where c.relname in ('orders', 'revisions') order by 1");
    assert.equal(tables.rows.map((r) => r.name), ['strata_a.revisions', 'strata_b.revisions', 'tenant_a.orders', 'tenant_b.orders']);
    const wrong = await runCli(['status', '--targets-query', 'select name, url as address from fleet'], { cwd: project.dir, env });
    expectExit(wrong, 2);
    expectText(wrong.stderr, "--targets-query returned the columns 'name', 'address'; expected url, or name and url");
    // the same tenants written as lines of a targets file, search_path in the URL for one of them
    project.write('tenants.txt', `a=${mainUrl(tenants)} schema=strata_a search_path=tenant_a\nb=${mainUrl(tenants)}?options=-csearch_path%3Dtenant_b schema=strata_b\n`);
    const status = await strata('status', '--targets', 'tenants.txt');
    expectExit(status, 0);
    expectText(status.stdout, `2 targets: 2 at head (${head})`);
    project.write('one-tenant.txt', `a=${mainUrl(tenants)} schema=strata_a search_path=tenant_a\n`);
    expectText((await strata('status', '--targets', 'one-tenant.txt')).stdout, `1 target: 1 at head (${head})`);
    // a revision whose recorded checksum no longer matches the file: that tenant is 'invalid', exit 1
    await catalog.query('update strata_b.revisions set up_checksum = $1 where id = $2', ['0'.repeat(64), EXAMPLE_IDS[1]]);
    const edited = await strata('status', '--targets', 'tenants.txt');
    expectExit(edited, 1);
    assert.equal(summaryRow(edited.stdout, 'b'), ['b', head, '0', '1', '0', 'invalid']);
    expectText(edited.stdout, 'edited or missing revisions on b: strata status --database-url <its URL> lists them');
    const refused = await strata('up', '--targets', 'tenants.txt');
    expectExit(refused, 1);
    assert.equal(summaryRow(refused.stdout, 'b').at(-1), 'invalid');
    expectText(refused.stderr, `[b] migrations/${EXAMPLE_IDS[1]}/up.sql`);
  } finally {
    await catalog.end();
  }
});

test.run();
