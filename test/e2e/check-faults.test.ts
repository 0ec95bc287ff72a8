import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { revisionFiles } from '../helpers/e2e.js';
import { createTestDatabase, makeProject, runCli, type TestDatabase } from '../helpers/harness.js';

// strata check on histories with one deliberate fault each: a down.sql that forgets to undo one
// thing its up.sql did. Each is caught with the revision and the object it leaves.
const BASE = '20261201090000_create_accounts';
const EXTRAS = '20261202090000_audit_and_rls';
const UP_BASE = [
  'create table accounts (id int primary key, owner name not null default current_user, note text);',
  'create function audit() returns trigger language plpgsql as $$ begin return new; end $$;',
].join('\n');
const DOWN_BASE = 'drop function audit();\ndrop table accounts;';
const UP_EXTRAS = [
  "create function account_count() returns bigint language sql stable as 'select count(*) from public.accounts';",
  'create trigger audit before update on accounts for each row execute function audit();',
  'alter table accounts enable row level security;',
  'create policy own_rows on accounts using (owner = current_user);',
  "comment on table accounts is 'one row per account';",
  'create index accounts_owner on accounts (owner);',
  'alter table accounts add column closed_at timestamptz;',
  'grant select on accounts to strata_check_reader;',
].join('\n');
const DOWN_EXTRAS: Record<string, string> = {
  trigger: 'drop trigger audit on accounts;',
  function: 'drop function account_count();',
  rls: 'alter table accounts disable row level security;',
  policy: 'drop policy own_rows on accounts;',
  comment: 'comment on table accounts is null;',
  index: '-- strata:allow drop-index-not-concurrently a test table of no rows\ndrop index accounts_owner;',
  column: 'alter table accounts drop column closed_at;',
  grant: 'revoke select on accounts from strata_check_reader;',
};

let db: TestDatabase | undefined;
test.before(async () => {
  db = await createTestDatabase('check_faults');
  await db?.query(`do $$ begin if not exists (select 1 from pg_roles where rolname = 'strata_check_reader') then create role strata_check_reader; end if; end $$`);
});
test.after(async () => {
  await db?.drop();
});

function project(forgotten: string | undefined) {
  const down = Object.entries(DOWN_EXTRAS).filter(([what]) => what !== forgotten).map(([, sql]) => sql).join('\n');
  return makeProject({ ...revisionFiles(BASE, 'base', UP_BASE, DOWN_BASE), ...revisionFiles(EXTRAS, BASE, UP_EXTRAS, down, ['--! Lint-allow: create-index-not-concurrently a test table of no rows']) });
}

const check = (dir: string, ...flags: string[]) => runCli(['check', '--privileges', ...flags], { cwd: dir, env: { DATABASE_URL: db!.url } });

test('the complete history passes (after dump), with grants compared', async () => {
  if (!db) return;
  const p = project(undefined);
  try {
    const dumped = await runCli(['dump', '--privileges'], { cwd: p.dir, env: { DATABASE_URL: db.url } });
    assert.is(dumped.code, 0, dumped.output);
    const result = await check(p.dir);
    assert.is(result.code, 0, result.output);
  } finally {
    p.remove();
  }
});

const EXPECTED: Record<string, string> = {
  trigger: `down.sql of ${EXTRAS} leaves trigger public.accounts.audit`,
  function: `down.sql of ${EXTRAS} leaves function public.account_count()`,
  rls: `down.sql of ${EXTRAS} leaves table public.accounts changed (rowSecurity false -> true)`,
  policy: `down.sql of ${EXTRAS} leaves policy public.accounts.own_rows`,
  comment: `down.sql of ${EXTRAS} leaves comment on table public.accounts`,
  index: `down.sql of ${EXTRAS} leaves index public.accounts_owner`,
  column: `down.sql of ${EXTRAS} leaves column public.accounts.closed_at`,
  grant: `down.sql of ${EXTRAS} leaves privileges on table public.accounts`,
};

for (const [forgotten, expected] of Object.entries(EXPECTED)) {
  test(`a down.sql that forgets the ${forgotten}: named, exit 1`, async () => {
    if (!db) return;
    const p = project(forgotten);
    try {
      const result = await check(p.dir, '--revisions', `${EXTRAS}..`);
      assert.is(result.code, 1, result.output);
      assert.match(result.stderr, expected);
      assert.match(result.stdout, `round trip ${EXTRAS}: failed`);
    } finally {
      p.remove();
    }
  });
}

test('--live: hand changes to a trigger, a policy, a comment, a function, a grant, a column default are each named', async () => {
  if (!db) return;
  const p = project(undefined);
  try {
    const env = { DATABASE_URL: db.url };
    assert.is((await runCli(['dump', '--privileges'], { cwd: p.dir, env })).code, 0);
    assert.is((await runCli(['up'], { cwd: p.dir, env })).code, 0);
    await db.query(`alter table accounts disable trigger audit;
      alter policy own_rows on accounts using (true);
      comment on table accounts is 'edited in psql';
      create or replace function account_count() returns bigint language sql stable as 'select count(*) + 0 from public.accounts';
      grant insert on accounts to strata_check_reader;
      alter table accounts alter column note set default 'n/a';`);
    const result = await check(p.dir, '--live');
    assert.is(result.code, 1, result.output);
    for (const identity of ['trigger public.accounts.audit', 'policy public.accounts.own_rows', 'comment on table public.accounts',
      'function public.account_count()', 'privileges on table public.accounts', 'column public.accounts.note']) {
      assert.match(result.stderr, `${identity} changed outside strata`);
    }
    // --json: the same as data, grouped under their table
    const json = JSON.parse((await check(p.dir, '--live', '--json')).stdout) as { drift: string; changes: { live: { change: string; identity: string; group: string; fields?: { path: string; before: unknown; after: unknown }[] }[] } };
    assert.is(json.drift, 'found');
    const note = json.changes.live.find((c) => c.identity === 'column public.accounts.note');
    assert.equal(note, { change: 'changed', identity: 'column public.accounts.note', group: 'table public.accounts', fields: [{ path: 'default', before: null, after: "'n/a'::text" }] });
    const groups = json.changes.live.map((c) => c.group);
    assert.equal(groups, [...groups].sort(), 'grouped: one table\'s changes together');
  } finally {
    p.remove();
  }
});

test.run();
