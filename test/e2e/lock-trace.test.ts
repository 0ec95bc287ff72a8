import { cpSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { revisionFiles } from '../helpers/e2e.js';
import { createTestDatabase, fixturesDir, makeProject, repoRoot, runCli, type CliResult } from '../helpers/harness.js';

/**
 * strata check --locks over histories of many kinds of DDL: every lock PostgreSQL takes on a
 * relation that existed before the revision, and every rewrite, is what lint/lock-levels.ts
 * predicts, or one it says it cannot name exactly; none it did not predict or predicted wrongly.
 */
const db = await createTestDatabase('lock_trace');
const it = db ? test : test.skip;
test.after(async () => {
  await db?.drop();
});

interface Trace {
  revisions: Array<{ id: string; locks: Array<{ line: number; label: string; relation: string; mode: string | null; isRewritten: boolean; verdict: string; why: string | null }>; untraced: unknown[] }>;
  mismatches: number;
}

async function traceOf(files: Record<string, string> | string): Promise<{ trace: Trace; result: CliResult }> {
  const project = makeProject(typeof files === 'string' ? {} : files);
  try {
    if (typeof files === 'string') cpSync(files, path.join(project.dir, 'migrations'), { recursive: true });
    // the shadows are temporary databases on the test's server
    const result = await runCli(['check', '--locks', '--json'], { cwd: project.dir, env: { DATABASE_URL: db!.url }, timeoutMs: 120_000 });
    const report = JSON.parse(result.stdout) as { locks?: Trace | string };
    assert.type(report.locks, 'object', `a lock trace in\n${result.stdout.slice(0, 2000)}\n${result.stderr}`);
    return { trace: report.locks as Trace, result };
  } finally {
    project.remove();
  }
}

function expectNoMismatch(trace: Trace, what: string): void {
  const bad = trace.revisions.flatMap((r) => r.locks.filter((l) => l.verdict === 'wrong' || l.verdict === 'unpredicted').map((l) => `${r.id}:${l.line} ${l.label} ${l.relation} ${l.mode}: ${l.why}`));
  assert.equal(bad, [], `${what}: locks and rewrites lint did not predict, or predicted otherwise`);
  assert.is(trace.mismatches, 0);
}

const find = (trace: Trace, id: string, label: string, relation: string) =>
  trace.revisions.find((r) => r.id === id)?.locks.filter((l) => l.label === label && l.relation === relation) ?? [];

const B1 = '20261101090000_tables';
const B2 = '20261102090000_many_kinds';
const B3 = '20261103090000_outside_transactions';
const KINDS = {
  ...revisionFiles(B1, 'base', `create table users (id int primary key, email text, name text, n int);
create table orders (id int primary key, user_id int references users (id), total int);
create table big (id int, v text);
create sequence counter;
create materialized view user_count as select count(*) as n from users;
create table events (id int, at date) partition by range (at);
create table events_2026 partition of events for values from ('2026-01-01') to ('2027-01-01');
insert into users values (1, 'a@example.com', 'a', 1), (2, 'b@example.com', 'b', 2);
insert into orders values (1, 1, 10);
insert into big select g, 'x' from generate_series(1, 100) g;
`, 'drop table events;\ndrop materialized view user_count;\ndrop sequence counter;\ndrop table big;\ndrop table orders;\ndrop table users;\n'),
  ...revisionFiles(B2, B1, `create index users_email on users (email);
alter table users add column age int;
alter table users add column created timestamptz default now();
alter table users add column token text default md5(random()::text);
alter table users alter column n type bigint;
alter table users alter column name set not null;
alter table users add constraint users_n_positive check (n > 0) not valid;
alter table users validate constraint users_n_positive;
alter table orders add constraint orders_user_again foreign key (user_id) references users (id) not valid;
alter table orders validate constraint orders_user_again;
alter table users set (fillfactor = 80);
alter table users alter column email set statistics 500;
comment on table users is 'people';
comment on column users.email is 'their address';
create function touch() returns trigger language plpgsql as $$ begin return new; end $$;
create trigger users_touch before update on users for each row execute function touch();
alter table users disable trigger users_touch;
lock table orders in share mode;
insert into orders values (2, 2, 20);
update users set n = 3 where id = 1;
delete from orders where id = 2;
select count(*) from users;
create view user_names as select name from users;
refresh materialized view user_count;
alter sequence counter restart with 10;
alter table big rename to big_table;
truncate big_table;
reindex table users;
cluster users using users_pkey;
alter table orders alter column total set default 0;
create table child_users (extra int) inherits (users);
alter table events detach partition events_2026;
alter table users drop column age;
drop index users_email;
drop view user_names;
drop table child_users;
`, ''),
  ...revisionFiles(B3, B2, `create index concurrently users_name on users (name);
vacuum users;
vacuum full big_table;
analyze users;
alter table users add column z int;
begin;
alter table orders add column note text;
insert into orders values (3, 1, 30);
commit;
`, '', ['--! Transaction: off']),
};

it('a history of many kinds of DDL: every lock and rewrite as lint predicts', async () => {
  const { trace } = await traceOf(KINDS);
  expectNoMismatch(trace, 'many kinds');
  // the trace is real: what PostgreSQL is known to do is there
  assert.equal(find(trace, B2, 'CREATE INDEX', 'public.users').map((l) => l.mode), ['ShareLock']);
  const added = trace.revisions.find((r) => r.id === B2)!.locks.filter((l) => l.label === 'ALTER TABLE' && l.relation === 'public.users');
  assert.ok(added.some((l) => l.line === 6 && l.mode === 'AccessExclusiveLock' && l.isRewritten), 'a volatile default rewrites the table');
  assert.ok(added.some((l) => l.line === 4 && !l.isRewritten), 'a nullable column without a default does not');
  assert.ok(find(trace, B2, 'TRUNCATE TABLE', 'public.big_table').some((l) => l.isRewritten && l.mode === 'AccessExclusiveLock'), 'renamed earlier in the revision, found by its new name');
  assert.ok(find(trace, B2, 'REFRESH MATERIALIZED VIEW', 'public.user_count').some((l) => l.mode === 'AccessExclusiveLock' && l.isRewritten));
  assert.ok(find(trace, B3, 'VACUUM', 'public.big_table').some((l) => l.isRewritten), 'VACUUM FULL outside a transaction: its rewrite is traced');
  assert.ok(find(trace, B3, 'ALTER TABLE', 'public.orders').some((l) => l.mode === 'AccessExclusiveLock'), 'inside the revision\'s own block');
});

// not the repository's own migrations/ (a user following the README adds revisions there): example-history is its copy
it('the fixture histories: no lock or rewrite lint did not predict', async () => {
  const histories = ['example-history', 'shadow-history', 'bad-base'].map((name) => path.join(fixturesDir, name))
    .filter((dir) => readdirSync(dir).some((name) => /^\d{14}_/.test(name)));
  for (const dir of histories) {
    const { trace } = await traceOf(dir);
    assert.ok(trace.revisions.length > 0, dir);
    expectNoMismatch(trace, path.relative(repoRoot, dir));
  }
});

test.run();
