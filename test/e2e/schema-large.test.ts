import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Database } from '../../src/db/database.js';
import { openPglite } from '../../src/db/pglite-database.js';
import { takeSnapshot } from '../../src/schema/introspect/take-snapshot.js';
import { diffSnapshots, formatChange } from '../../src/schema/model/diff.js';
import { renderSchema } from '../../src/schema/model/render.js';
import { roundTrip, schemaDatabases, type SchemaDatabases } from '../helpers/schema-roundtrip.js';

// A large schema written for the tests: hundreds of tables across schemas, with every common
// kind at once (enums, domains, identity and generated columns, foreign keys, partitions, RLS
// policies, triggers, views, comments). The round trip must hold for all of it, and PGlite must
// read the same snapshot as PostgreSQL 15.
let dbs: SchemaDatabases | undefined;
let pglite: Database | undefined;
test.before(async () => {
  dbs = await schemaDatabases('large');
});
test.after(async () => {
  await dbs?.drop();
  await pglite?.close();
});

function largeSchema(tablesPerSchema: number): string {
  const lines: string[] = [];
  for (const schema of ['sales', 'stock', 'people']) {
    lines.push(
      `create schema ${schema};`,
      `create type ${schema}.state as enum ('new', 'active', 'archived');`,
      `create domain ${schema}.money_cents as bigint check (value >= 0);`,
      `create function ${schema}.touch() returns trigger language plpgsql as $$ begin new.updated_at := now(); return new; end $$;`,
    );
    for (let i = 1; i <= tablesPerSchema; i++) {
      const table = `${schema}.t${i}`;
      lines.push(`create table ${table} (
        id bigint generated always as identity primary key,
        ${i > 1 ? `parent_id bigint references ${schema}.t${i - 1} (id) on delete set null,` : ''}
        state ${schema}.state not null default 'new',
        price ${schema}.money_cents not null default 0,
        quantity integer not null default 1 check (quantity > 0),
        total bigint generated always as (price * quantity) stored,
        owner name not null default current_user,
        updated_at timestamptz not null default now(),
        unique (owner, id)
      );`);
      lines.push(`create index t${i}_state on ${table} (state) where state <> 'archived';`);
      if (i % 5 === 0) lines.push(`alter table ${table} enable row level security;`, `create policy own_rows on ${table} using (owner = current_user);`);
      if (i % 7 === 0) lines.push(`create trigger touch before update on ${table} for each row execute function ${schema}.touch();`);
      if (i % 10 === 0) lines.push(`create view ${schema}.v${i} as select id, state, total from ${table} where state = 'active';`, `comment on view ${schema}.v${i} is 'active rows of t${i}';`);
      if (i % 25 === 0) lines.push(`comment on column ${table}.total is 'price times quantity';`);
    }
    lines.push(
      `create table ${schema}.events (at timestamptz not null, kind text not null, payload jsonb) partition by range (at);`,
      ...[1, 2, 3].map((m) => `create table ${schema}.events_2026_0${m} partition of ${schema}.events for values from ('2026-0${m}-01') to ('2026-0${m + 1}-01');`),
      `create table ${schema}.events_default partition of ${schema}.events default;`,
      `create index events_kind on ${schema}.events (kind);`,
    );
  }
  return lines.join('\n');
}

test('a 300-table schema with every common kind: the dump recreates the same snapshot', async () => {
  if (!dbs) return;
  const { snapshot } = await roundTrip(dbs, largeSchema(100));
  const count = (kind: string) => snapshot.objects.filter((o) => o.kind === kind).length;
  assert.ok(count('table') >= 300 + 15, `tables: ${count('table')}`);
  assert.is(count('policy'), 60);
  assert.is(count('view'), 30);
  assert.equal(snapshot.unmodelled, []);
});

test('PGlite reads the same snapshot of it as PostgreSQL 15 (60 tables)', async () => {
  if (!dbs) return;
  const sql = largeSchema(20);
  const { snapshot: server } = await roundTrip(dbs, sql);
  pglite = await openPglite(undefined);
  const loaded = await pglite.runScript(sql);
  if (!loaded.ok) throw new Error(loaded.error.message);
  const embedded = await takeSnapshot(pglite, { excludedSchemas: ['strata'], privileges: false, serverVersionNum: pglite.serverVersionNum });
  assert.equal(diffSnapshots(server, embedded).map((c) => formatChange(c)), []);
  assert.is(renderSchema(embedded, { head: null }), renderSchema(server, { head: null }));
});

test.run();
