import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { KIND_PRIORITY } from '../../src/declare/identities.js';
import { planMigration, renderMigration, type MigrationPlan } from '../../src/declare/plan-migration.js';
import type { ObjectKind, SchemaObject, Snapshot } from '../../src/schema/model/snapshot.js';

// planMigration on snapshots written by hand: order, refusals, suggestions, the transaction mode, the text.
function o(kind: ObjectKind, qualified: string, fields: Partial<SchemaObject> = {}): SchemaObject {
  const parts = qualified.split('.');
  return { kind, identity: `${kind} ${qualified}`, schema: parts.length > 1 ? parts[0]! : null, name: parts[parts.length - 1]!, dependsOn: [], attributes: {}, create: '', ...fields };
}
const snapshot = (...objects: SchemaObject[]): Snapshot => ({ objects: [...objects].sort((a, b) => (a.identity < b.identity ? -1 : 1)), unmodelled: [] });
const column = (table: string, name: string, type = 'integer', extra: Partial<SchemaObject['attributes']> = {}): SchemaObject =>
  o('column', `${table}.${name}`, { parent: `table ${table}`, dependsOn: [`table ${table}`], attributes: { type, collation: null, notNull: false, default: null, generated: null, identity: null, storage: null, ...extra } });
const table = (name: string, columns: string[]): SchemaObject => o('table', name, {
  dependsOn: ['schema public'],
  attributes: { partitioned: false, unlogged: false, partitionKey: null, partitionOf: null, partitionBound: null, inherits: [], options: [], rowSecurity: false, forceRowSecurity: false, replicaIdentity: 'default' },
  create: `create table ${name} (\n${columns.map((c) => `    ${c}`).join(',\n')}\n);`,
});
const schemaPublic = o('schema', 'public');
function sqlOf(plan: MigrationPlan, side: 'up' | 'down' = 'up'): string[] {
  if (!plan.ok) throw new Error(`refused: ${JSON.stringify(plan.refused)}`);
  return plan[side].map((s) => s.sql);
}

const customers = [table('public.customers', ['id integer not null']), column('public.customers', 'id'),
  o('constraint', 'public.customers.customers_pkey', { parent: 'table public.customers', dependsOn: ['column public.customers.id', 'table public.customers'], attributes: { type: 'primary key', definition: 'PRIMARY KEY (id)', valid: true, replicaIdentity: false, clustered: false }, create: 'alter table public.customers add constraint customers_pkey PRIMARY KEY (id);' })];
const orders = [table('public.orders', ['id integer', 'customer_id integer']), column('public.orders', 'id'), column('public.orders', 'customer_id'),
  o('constraint', 'public.orders.orders_customer_fk', { parent: 'table public.orders', dependsOn: ['column public.orders.customer_id', 'constraint public.customers.customers_pkey', 'table public.orders'],
    attributes: { type: 'foreign key', definition: 'FOREIGN KEY (customer_id) REFERENCES public.customers(id)', valid: true, replicaIdentity: false, clustered: false },
    create: 'alter table public.orders add constraint orders_customer_fk FOREIGN KEY (customer_id) REFERENCES public.customers(id);' })];

test('tables before the foreign keys between them; drops the other way round', () => {
  const plan = planMigration(snapshot(schemaPublic), snapshot(schemaPublic, ...customers, ...orders));
  const up = sqlOf(plan);
  const at = (start: string) => up.findIndex((s) => s.startsWith(start));
  assert.ok(at('create table public.customers') < at('alter table public.customers add constraint customers_pkey'));
  assert.ok(at('alter table public.customers add constraint customers_pkey') < at('alter table public.orders add constraint orders_customer_fk'));
  assert.ok(at('create table public.orders') < at('alter table public.orders add constraint orders_customer_fk'));
  assert.equal(sqlOf(plan, 'down'), ['drop table public.orders;', 'drop table public.customers;']);
});

test('a foreign key added to a table that exists is added NOT VALID, then validated', () => {
  const [withoutFk] = [orders.slice(0, 3)];
  const up = sqlOf(planMigration(snapshot(schemaPublic, ...customers, ...withoutFk), snapshot(schemaPublic, ...customers, ...orders)));
  assert.equal(up, [
    'alter table public.orders add constraint orders_customer_fk FOREIGN KEY (customer_id) REFERENCES public.customers(id) not valid;',
    'alter table public.orders validate constraint orders_customer_fk;',
  ]);
});

test('a column declared between existing ones is refused by name, with the hint to declare it last', () => {
  const before = snapshot(schemaPublic, table('public.t', ['a integer', 'b integer']), column('public.t', 'a'), column('public.t', 'b'));
  const after = snapshot(schemaPublic, table('public.t', ['a integer', 'new integer', 'b integer']), column('public.t', 'a'), column('public.t', 'new'), column('public.t', 'b'));
  const plan = planMigration(before, after);
  assert.ok(!plan.ok);
  if (!plan.ok) assert.equal(plan.refused.map((r) => [r.identity, /declare it after the last column \(b\)/.test(r.reason)]), [['column public.t.new', true]]);
});

test('destructive statements are marked, and refused when not allowed', () => {
  const before = snapshot(schemaPublic, table('public.t', ['a integer', 'b integer']), column('public.t', 'a'), column('public.t', 'b'));
  const after = snapshot(schemaPublic, table('public.t', ['a integer']), column('public.t', 'a'));
  const plan = planMigration(before, after);
  assert.ok(plan.ok && plan.up[0]!.destructive === 'drops column b of public.t and its values');
  assert.ok(plan.ok && renderMigration(plan.up) === '-- strata: destructive: drops column b of public.t and its values\nalter table public.t drop column b;\n');
  const refused = planMigration(before, after, { destructive: false });
  assert.ok(!refused.ok && refused.refused[0]!.identity === 'column public.t.b' && /not allowed/.test(refused.refused[0]!.reason));
});

test('objects of kinds strata does not model are refused by name when they differ, listed when both sides have them', () => {
  const plan = planMigration({ objects: [schemaPublic], unmodelled: [] }, { objects: [schemaPublic], unmodelled: [{ kind: 'publication', identity: 'pub' }] });
  assert.ok(!plan.ok && plan.refused.some((r) => r.kind === 'publication' && /does not model publication/.test(r.reason)));
  const same = planMigration({ objects: [schemaPublic], unmodelled: [{ kind: 'cast', identity: 'cast (a as b)' }] }, { objects: [schemaPublic], unmodelled: [{ kind: 'cast', identity: 'cast (a as b)' }] });
  assert.ok(same.ok && same.up.length === 0 && same.notCompared.length === 1);
});

test('a rename hint that names nothing is refused; a drop and an add that look alike are suggested as a rename', () => {
  const before = snapshot(schemaPublic, table('public.t', ['a integer', 'note text']), column('public.t', 'a'), column('public.t', 'note', 'text'));
  const after = snapshot(schemaPublic, table('public.t', ['a integer', 'remark text']), column('public.t', 'a'), column('public.t', 'remark', 'text'));
  const bad = planMigration(before, after, { renames: [{ kind: 'column', from: 'column public.t.nope', to: 'column public.t.remark' }] });
  assert.ok(!bad.ok && bad.refused.some((r) => /does not have/.test(r.reason)));
  // the last column: dropping and adding it is exact, so it is planned, with the suggestion
  const plan = planMigration(before, after);
  assert.ok(plan.ok && plan.renameSuggestions.length === 1 && plan.renameSuggestions[0]!.from === 'column public.t.note' && plan.renameSuggestions[0]!.to === 'column public.t.remark');
  const renamed = planMigration(before, after, { renames: [{ kind: 'column', from: 'column public.t.note', to: 'column public.t.remark' }] });
  assert.equal(sqlOf(renamed), ['alter table public.t rename column note to remark;']);
  assert.equal(sqlOf(renamed, 'down'), ['alter table public.t rename column remark to note;']);
});

test('an enum value added and used by the same revision makes it Transaction: off', () => {
  const mood = (labels: string[]) => o('type', 'public.mood', { dependsOn: ['schema public'], attributes: { type: 'enum', labels }, create: `create type public.mood as enum (${labels.map((l) => `'${l}'`).join(', ')});` });
  const t = (def: string | null) => [table('public.t', [`m public.mood${def ? ` default ${def}` : ''}`]), column('public.t', 'm', 'public.mood', { default: def })];
  const grown = planMigration(snapshot(schemaPublic, mood(['a']), ...t(null)), snapshot(schemaPublic, mood(['a', 'b']), ...t(null)));
  assert.ok(grown.ok && grown.transaction === 'on');
  const used = planMigration(snapshot(schemaPublic, mood(['a']), ...t(null)), snapshot(schemaPublic, mood(['a', 'b']), ...t("'b'::public.mood")));
  assert.equal(sqlOf(used), ["alter type public.mood add value 'b' after 'a';", "alter table public.t alter column m set default 'b'::public.mood;"]);
  assert.ok(used.ok && used.transaction === 'off');
});

test('every kind of object can be created and dropped (none passed over)', () => {
  for (const kind of Object.keys(KIND_PRIORITY) as ObjectKind[]) {
    if (kind === 'column' || kind === 'sequence owned by' || kind === 'comment' || kind === 'privileges' || kind === 'default privileges') continue;
    const object = o(kind, kind === 'schema' || kind === 'extension' || kind === 'event trigger' ? 'x' : kind === 'constraint' || kind === 'trigger' || kind === 'rule' || kind === 'policy' ? 'public.t.x' : kind === 'function' || kind === 'procedure' || kind === 'aggregate' ? 'public.x(integer)' : 'public.x',
      { create: `create ${kind} x;`, attributes: kind === 'aggregate' ? { arguments: 'integer' } : {}, ...(['constraint', 'trigger', 'rule', 'policy', 'index'].includes(kind) ? { parent: 'table public.t' } : {}) });
    const plan = planMigration(snapshot(schemaPublic), snapshot(schemaPublic, object));
    assert.ok(plan.ok && plan.up.length > 0 && plan.down.length > 0, `${kind}: ${JSON.stringify(plan)}`);
  }
});

test('the text: a blank line between groups, one statement per line group', () => {
  const text = renderMigration([
    { sql: 'create table a ();', identity: 'table a', group: 'table a' },
    { sql: 'create index i on a (x);', identity: 'index i', group: 'table a' },
    { sql: 'create table b ();', identity: 'table b', group: 'table b' },
  ]);
  assert.is(text, 'create table a ();\ncreate index i on a (x);\n\ncreate table b ();\n');
  assert.is(renderMigration([]), '');
});

test.run();
