import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connectPostgres } from '../../src/db/pg-database.js';
import { openPglite } from '../../src/db/pglite-database.js';
import { takeSnapshot } from '../../src/schema/introspect/take-snapshot.js';
import type { SchemaObject, Snapshot } from '../../src/schema/model/snapshot.js';
import { adminQuery } from '../helpers/harness.js';
import { emptyDatabase, loadSql, roundTrip, schemaDatabases, snapshotOf, type SchemaDatabases } from '../helpers/schema-roundtrip.js';

// Snapshots of subscriptions: those that reach no publisher are read and round-trip through the
// dump (made WITH (connect = false): nothing here connects to the publisher they name); the others
// are named as not modelled, with why; a session that may not read their connections (not a
// superuser) reads no subscription and names each.
let dbs: SchemaDatabases | undefined;
const reader = `strata_sub_reader_${process.pid}`;
test.before(async () => {
  dbs = await schemaDatabases('subscriptions');
  if (dbs) await adminQuery(`create role ${reader} login`);
});
test.after(async () => {
  if (dbs) await emptyDatabase(dbs.first);
  await dbs?.drop();
  if (dbs) await adminQuery(`drop role if exists ${reader}`);
});

const INERT = "with (connect = false, slot_name = none, enabled = false";
const SUBSCRIPTIONS_SQL = `
  create subscription plain connection 'host=localhost dbname=postgres' publication orders_pub ${INERT});
  create subscription "Tuned Feed" connection 'host=localhost port=5432 dbname=postgres application_name=''it\\''s''' publication b_pub, a_pub
    ${INERT}, binary = true, streaming = on, two_phase = true, disable_on_error = true, synchronous_commit = 'remote_write');
  comment on subscription plain is 'from the orders database';
`;

const byIdentity = (snapshot: Snapshot, identity: string): SchemaObject => {
  const found = snapshot.objects.find((o) => o.identity === identity);
  assert.ok(found, `${identity} in ${snapshot.objects.map((o) => o.identity).join(', ')}`);
  return found!;
};

test('subscriptions that reach no publisher: read, and a round trip through the dump', async () => {
  if (!dbs) return;
  const { snapshot, dump } = await roundTrip(dbs, SUBSCRIPTIONS_SQL);
  assert.equal(snapshot.unmodelled, []);
  const tuned = byIdentity(snapshot, 'subscription "Tuned Feed"');
  assert.equal(tuned.attributes, {
    connection: "host=localhost port=5432 dbname=postgres application_name='it\\'s'", publications: ['a_pub', 'b_pub'], binary: true, streaming: 'on', twoPhase: true,
    disableOnError: true, synchronousCommit: 'remote_write', passwordRequired: true, runAsOwner: false, origin: 'any', failover: false,
  });
  // a backslash in the connection: an E'' literal, which means the same whatever standard_conforming_strings is
  assert.is(tuned.create, "create subscription \"Tuned Feed\" connection E'host=localhost port=5432 dbname=postgres application_name=''it\\\\''s''' publication a_pub, b_pub"
    + " with (connect = false, slot_name = none, enabled = false, binary = true, streaming = 'on', two_phase = true, disable_on_error = true, synchronous_commit = 'remote_write');");
  assert.is(tuned.schema, null);
  assert.match(dump, "create subscription plain connection 'host=localhost dbname=postgres' publication orders_pub with (connect = false, slot_name = none, enabled = false);\ncomment on subscription plain is 'from the orders database';");
});

test('a subscription with a replication slot, or with a password in its connection, is named as not modelled, with why', async () => {
  if (!dbs) return;
  await emptyDatabase(dbs.first);
  await loadSql(dbs.first, `
    create subscription slotted connection 'host=localhost dbname=postgres' publication p with (connect = false, slot_name = 'slotted_slot', enabled = false);
    create subscription secret connection 'host=localhost dbname=postgres password=hunter2' publication p ${INERT});
    create subscription in_url connection 'postgresql://someone:hunter2@localhost/postgres' publication p ${INERT});
  `);
  const snapshot = await snapshotOf(dbs.first);
  assert.equal(snapshot.objects.filter((o) => o.kind === 'subscription'), []);
  assert.equal(snapshot.unmodelled.map((u) => u.kind), ['subscription', 'subscription', 'subscription']);
  const [url, secret, slotted] = snapshot.unmodelled.map((u) => u.identity);
  assert.match(url!, /^in_url \(its connection holds a password: strata writes no secrets/);
  assert.match(secret!, /^secret \(its connection holds a password/);
  assert.match(slotted!, /^slotted \(it has a replication slot/);
  assert.not.match(JSON.stringify(snapshot), 'hunter2');
});

test('a session that is not a superuser reads no subscription (nor fails): each is named', async () => {
  if (!dbs) return;
  await emptyDatabase(dbs.first);
  await loadSql(dbs.first, SUBSCRIPTIONS_SQL);
  const url = new URL(dbs.first.url);
  url.username = reader;
  const db = await connectPostgres(url.toString());
  try {
    const snapshot = await takeSnapshot(db, { excludedSchemas: ['strata'], privileges: false, serverVersionNum: db.serverVersionNum });
    assert.equal(snapshot.objects.filter((o) => o.kind === 'subscription' || o.parent?.startsWith('subscription ')), []);
    assert.equal(snapshot.unmodelled, [
      { kind: 'subscription', identity: '"Tuned Feed" (its connection is readable only by a superuser)' },
      { kind: 'subscription', identity: 'plain (its connection is readable only by a superuser)' },
    ]);
  } finally {
    await db.close();
  }
});

test('PGlite (PostgreSQL 18, which cannot create a subscription) reads its catalogs all the same', async () => {
  const embedded = await openPglite(undefined);
  try {
    const snapshot = await takeSnapshot(embedded, { excludedSchemas: ['strata'], privileges: false, serverVersionNum: embedded.serverVersionNum });
    assert.equal(snapshot.unmodelled, []);
  } finally {
    await embedded.close();
  }
});

test.run();
