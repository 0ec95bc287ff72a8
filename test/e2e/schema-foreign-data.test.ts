import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { openPglite } from '../../src/db/pglite-database.js';
import type { Database } from '../../src/db/database.js';
import { takeSnapshot } from '../../src/schema/introspect/take-snapshot.js';
import { renderSchema } from '../../src/schema/model/render.js';
import { emptyDatabase, loadSql, roundTrip, schemaDatabases, snapshotOf, type SchemaDatabases } from '../helpers/schema-roundtrip.js';

// The foreign-data family on PostgreSQL: wrappers, servers, user mappings, foreign tables and their
// columns and constraints, loaded, snapshot, dumped, the dump loaded into an empty database and
// snapshot again (roundTrip); the same snapshot on PGlite; secret options kept out of all of it.
let dbs: SchemaDatabases | undefined;
let pglite: Database | undefined;
test.before(async () => {
  dbs = await schemaDatabases('foreign_data');
});
test.after(async () => {
  await dbs?.drop();
  await pglite?.close();
});

const FAMILY_SQL = `
  create function check_options(text[], oid) returns void language plpgsql as $$ begin end $$;
  create foreign data wrapper files validator check_options options (debug 'true', "Mode" 'it''s');
  create server archive type 'files' version '2.1' foreign data wrapper files options (host 'archive.example', port '5432');
  create server plain foreign data wrapper files;
  create user mapping for public server archive options ("user" 'reader');
  create user mapping for current_user server plain;
  create schema remote;
  create foreign table remote.orders (
    id integer options (column_name 'order_id') not null,
    code text collate "C" default 'x',
    total numeric(12, 2),
    doubled numeric generated always as (total * 2) stored
  ) server archive options (schema_name 'public', table_name 'orders');
  alter foreign table remote.orders add constraint orders_total_check check (total >= 0);
  create foreign table remote.empty () server plain;
  create view remote.big_orders as select id, total from remote.orders where total > 100;
  comment on foreign data wrapper files is 'file access';
  comment on server archive is 'the archive';
  comment on foreign table remote.orders is 'orders kept elsewhere';
  comment on column remote.orders.code is 'a code';
`;

test('wrappers, servers, user mappings and foreign tables round-trip through the dump, in dependency order', async () => {
  if (!dbs) return;
  const { snapshot, dump } = await roundTrip(dbs, FAMILY_SQL);
  assert.equal(snapshot.unmodelled, []);
  const order = ['CREATE OR REPLACE FUNCTION public.check_options', 'create foreign data wrapper files validator public.check_options options ("Mode" \'it\'\'s\', debug \'true\');',
    "create server archive type 'files' version '2.1' foreign data wrapper files options (host 'archive.example', port '5432');",
    'create user mapping for public server archive options ("user" \'reader\');', 'create user mapping for postgres server plain;',
    'create foreign table remote.orders (', 'create view remote.big_orders', 'alter foreign table remote.orders add constraint orders_total_check CHECK ((total >= (0)::numeric));'];
  let at = -1;
  for (const text of order) {
    const found = dump.indexOf(text);
    assert.ok(found > at, `${text} after what comes before it\n--- dump\n${dump}`);
    at = found;
  }
  assert.ok(dump.includes(`    id integer options (column_name 'order_id') not null,\n    code text collate pg_catalog."C" default 'x'::text,`), dump);
  assert.ok(dump.includes("comment on foreign data wrapper files is 'file access';"), dump);
  const columns = snapshot.objects.filter((o) => o.parent === 'foreign table remote.orders' && o.kind === 'column').map((o) => o.identity);
  assert.equal(columns, ['column remote.orders.code', 'column remote.orders.doubled', 'column remote.orders.id', 'column remote.orders.total']);
  const server = snapshot.objects.find((o) => o.identity === 'server archive')!;
  assert.equal(server.attributes, { wrapper: 'files', type: 'files', version: '2.1', options: { host: 'archive.example', port: '5432' } });
  assert.equal(server.dependsOn, ['foreign-data wrapper files']);
});

test('the same snapshot on PGlite (PostgreSQL 18) as on PostgreSQL 15', async () => {
  if (!dbs) return;
  await emptyDatabase(dbs.first);
  await loadSql(dbs.first, FAMILY_SQL);
  const onPostgres = await snapshotOf(dbs.first);
  pglite ??= await openPglite(undefined);
  const loaded = await pglite.runScript(FAMILY_SQL.replace('current_user', 'postgres'));
  assert.ok(loaded.ok, JSON.stringify(loaded));
  const onPglite = await takeSnapshot(pglite, { excludedSchemas: ['strata'], privileges: false, serverVersionNum: pglite.serverVersionNum });
  assert.equal(onPglite, onPostgres);
});

test('grants on wrappers, servers and foreign tables round-trip with --privileges', async () => {
  if (!dbs) return;
  const { snapshot } = await roundTrip(dbs, `${FAMILY_SQL}
    grant usage on foreign data wrapper files to public; grant usage on foreign server archive to public; grant select on remote.orders to public; grant update (code) on remote.orders to public;`, { privileges: true });
  const grants = snapshot.objects.filter((o) => o.kind === 'privileges' && o.identity !== 'privileges on schema public').map((o) => o.identity);
  assert.equal(grants, ['privileges on column remote.orders.code', 'privileges on foreign table remote.orders', 'privileges on foreign-data wrapper files', 'privileges on server archive']);
});

test("a server on an extension's wrapper needs the extension; the wrapper is the extension's and stays out", async () => {
  if (!dbs) return;
  const { snapshot, dump } = await roundTrip(dbs, "create extension postgres_fdw; create server remote foreign data wrapper postgres_fdw options (host 'db.example', dbname 'app');");
  assert.ok(!snapshot.objects.some((o) => o.kind === 'foreign-data wrapper'), 'no wrapper in the snapshot');
  assert.equal(snapshot.objects.find((o) => o.identity === 'server remote')?.dependsOn, ['extension postgres_fdw']);
  assert.ok(dump.indexOf('create extension') < dump.indexOf('create server remote'), dump);
});

test('secret options: never in the snapshot nor the dump, each listed by name as a secret option', async () => {
  if (!dbs) return;
  const secrets = ['Wr4pper-pw', 'S3rver-pw', 'M4pping-pw', 'T4ble-key', 'C0lumn-tok'];
  await emptyDatabase(dbs.first);
  await loadSql(dbs.first, `create foreign data wrapper w options (secret '${secrets[0]}', debug 'on');
    create server s foreign data wrapper w options (host 'h', SSLPassword '${secrets[1]}');
    create user mapping for public server s options ("user" 'u', password '${secrets[2]}');
    create foreign table t (id integer options (access_token '${secrets[4]}')) server s options (private_key '${secrets[3]}');`);
  const snapshot = await snapshotOf(dbs.first);
  const text = JSON.stringify(snapshot) + renderSchema(snapshot, { head: null });
  for (const secret of secrets) assert.ok(!text.includes(secret), `${secret} in the snapshot or the dump`);
  assert.equal(snapshot.unmodelled.map((u) => `${u.kind}: ${u.identity}`), [
    'secret option: column public.t.id: access_token', 'secret option: foreign table public.t: private_key', 'secret option: foreign-data wrapper w: secret',
    'secret option: server s: sslpassword', 'secret option: user mapping for public server s: password']);
  assert.ok(snapshot.unmodelled.every((u) => /^[0-9a-f]{16}$/.test(u.digest ?? '')), 'each with a digest');
  assert.equal(snapshot.objects.find((o) => o.identity === 'server s')?.attributes.options, { host: 'h' });
  // the same value gives the same digest (a change is seen), another value another
  await loadSql(dbs.second, `create foreign data wrapper w options (secret '${secrets[0]}', debug 'on'); create server s foreign data wrapper w options (host 'h', sslpassword 'other');`);
  const other = await snapshotOf(dbs.second);
  const digest = (s: typeof snapshot, identity: string) => s.unmodelled.find((u) => u.identity === identity)?.digest;
  assert.is(digest(other, 'foreign-data wrapper w: secret'), digest(snapshot, 'foreign-data wrapper w: secret'));
  assert.is.not(digest(other, 'server s: sslpassword'), digest(snapshot, 'server s: sslpassword'));
  await emptyDatabase(dbs.second);
});

test('a foreign table that is a partition is named as not modelled', async () => {
  if (!dbs) return;
  await emptyDatabase(dbs.first);
  await loadSql(dbs.first, `create foreign data wrapper w; create server s foreign data wrapper w;
    create table events (at date, note text) partition by range (at);
    create foreign table events_old partition of events for values from ('2000-01-01') to ('2020-01-01') server s;`);
  const snapshot = await snapshotOf(dbs.first);
  assert.equal(snapshot.unmodelled, [{ kind: 'foreign table partition or inheritance', identity: 'public.events_old' }]);
});

test.run();
