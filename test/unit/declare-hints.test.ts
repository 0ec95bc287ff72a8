import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseRenameFlags, resolveRenames } from '../../src/declare/resolve-renames.js';
import { findSchemaHints, type SchemaHint } from '../../src/declare/schema-hints.js';
import type { Json, ObjectKind, SchemaObject, Snapshot } from '../../src/schema/model/snapshot.js';
import { loadSqlParser } from '../../src/sql/parser.js';

// Rename hints: where schema.sql's -- strata:renamed-from comments point (with the project's parser),
// and how they and --rename resolve against two snapshots into the generator's RenameHint.
await loadSqlParser();

function object(kind: ObjectKind, identity: string, name: string, parent?: string, attributes: { [key: string]: Json } = {}): SchemaObject {
  return { kind, identity, schema: kind === 'schema' ? null : 'public', name, ...(parent ? { parent } : {}), dependsOn: [], attributes, create: '' };
}
const snapshot = (...objects: SchemaObject[]): Snapshot => ({ objects: objects.sort((a, b) => (a.identity < b.identity ? -1 : 1)), unmodelled: [] });
const table = (name: string) => object('table', `table public.${name}`, name);
const column = (t: string, name: string) => object('column', `column public.${t}.${name}`, name, `table public.${t}`, { type: 'text' });
const mood = (...labels: string[]) => object('type', 'type public.mood', 'mood', undefined, { type: 'enum', labels });

const hintsOf = (text: string): SchemaHint[] => {
  const found = findSchemaHints(text, 'schema.sql');
  if (!found.ok) throw new Error(JSON.stringify(found.problems));
  return found.hints;
};
const problemsOf = (text: string) => {
  const found = findSchemaHints(text, 'schema.sql');
  return found.ok ? [] : found.problems.map((p) => `${p.line}:${p.column} ${p.message}`);
};

test('a hint above a column, a table, an index, a constraint, a type and an enum label says what it is above', () => {
  const hints = hintsOf(`-- a table of the shop
-- strata:renamed-from purchases
create table public.orders (
    id bigint not null,
    -- strata:renamed-from "Note"
    remark text
);
-- strata:renamed-from orders_by_day
CREATE INDEX orders_by_date ON public.orders USING btree (id);
-- strata:renamed-from orders_id_key
alter table public.orders add constraint orders_pkey PRIMARY KEY (id);
create type public.mood as enum (
  -- strata:renamed-from 'sad'
  'unhappy',
  'ok'
);
-- strata:renamed-from 'meh'
create type public.grade as enum ('good', 'fine');
`);
  assert.equal(hints.map(({ line, kind, parent, name, from }) => [line, kind, parent ?? null, name, from]), [
    [2, 'table', null, 'orders', 'purchases'],
    [5, 'column', 'orders', 'remark', 'Note'],
    [8, 'index', null, 'orders_by_date', 'orders_by_day'],
    [10, 'constraint', 'orders', 'orders_pkey', 'orders_id_key'],
    [13, 'enum value', 'mood', 'unhappy', 'sad'],
    [17, 'enum value', 'grade', '', 'meh'],
  ]);
});

test('a hint that is above nothing it can rename, or misspelt, is a problem at its line', () => {
  assert.equal(problemsOf('create table t (a int);\n-- strata:renamed-from x\n'), ['2:1 -- strata:renamed-from x names nothing: no statement follows it']);
  assert.equal(problemsOf('-- strata:renamed-from x\nset check_function_bodies = false;\n'), ['1:1 -- strata:renamed-from x names nothing: it is above SET, which declares nothing strata renames']);
  assert.equal(problemsOf("-- strata:renamed_from x\ncreate table t (a int);\n"), ["1:1 unknown strata hint 'strata:renamed_from'; did you mean 'strata:renamed-from'?"]);
  assert.equal(problemsOf('create table t (\n  a int, -- strata:renamed-from b\n  c int\n);\n').length, 0, 'a hint at the end of a line is above the next column');
  assert.equal(problemsOf('-- strata:renamed-from a.b.c\ncreate table t (a int);\n'), ["1:1 -- strata:renamed-from a.b.c: 'a.b.c' is not a name for a table"]);
  // a hint in a string or a function body is not a hint
  assert.equal(hintsOf("create function f() returns text language sql as $$ select '-- strata:renamed-from x' $$;\n"), []);
});

test('hints resolve to the identities of both sides; a table renamed carries its columns', () => {
  const current = snapshot(table('purchases'), column('purchases', 'id'), object('column', 'column public.purchases."Note"', 'Note', 'table public.purchases', { type: 'text' }));
  const desired = snapshot(table('orders'), column('orders', 'id'), column('orders', 'remark'));
  const hints = hintsOf('create table public.orders (\n    id text,\n    -- strata:renamed-from "Note"\n    remark text\n);\n')
    .concat(hintsOf('-- strata:renamed-from purchases\ncreate table public.orders (id text, remark text);\n'));
  const resolved = resolveRenames(hints, [], current, desired, 'schema.sql');
  assert.equal(resolved, {
    ok: true,
    renames: [
      { kind: 'table', from: 'table public.purchases', to: 'table public.orders' },
      { kind: 'column', from: 'column public.purchases."Note"', to: 'column public.orders.remark' },
    ],
  });
});

test('a hint naming what the migrations do not make, or what schema.sql still declares, is a problem at its line', () => {
  const current = snapshot(table('orders'), column('orders', 'note'), column('orders', 'body'));
  const desired = snapshot(table('orders'), column('orders', 'remark'), column('orders', 'body'));
  const missing = resolveRenames(hintsOf('create table public.orders (\n    -- strata:renamed-from notes\n    remark text\n);\n'), [], current, desired, 'schema.sql');
  assert.equal(missing.ok ? [] : missing.problems.map((p) => [p.line, p.message, p.hint]), [[2, '-- strata:renamed-from notes: the migrations make no column public.orders.notes', 'did you mean note?']]);
  const kept = resolveRenames(hintsOf('create table public.orders (\n    -- strata:renamed-from body\n    remark text\n);\n'), [], current, desired, 'schema.sql');
  assert.equal(kept.ok ? [] : kept.problems.map((p) => p.message), ['-- strata:renamed-from body: schema.sql still declares column public.orders.body']);
});

test('enum labels: inside the type, above it for its one new label; the identities are the type\'s', () => {
  const inside = resolveRenames(hintsOf("create type public.mood as enum (\n  -- strata:renamed-from 'sad'\n  'unhappy', 'ok');\n"), [], snapshot(mood('sad', 'ok')), snapshot(mood('unhappy', 'ok')), 'schema.sql');
  assert.equal(inside, { ok: true, renames: [{ kind: 'enum value', from: 'type public.mood', to: 'type public.mood', value: { from: 'sad', to: 'unhappy' } }] });
  const above = resolveRenames(hintsOf("-- strata:renamed-from 'sad'\ncreate type public.mood as enum ('unhappy', 'ok');\n"), [], snapshot(mood('sad', 'ok')), snapshot(mood('unhappy', 'ok')), 'schema.sql');
  assert.equal(above, inside);
  const two = resolveRenames(hintsOf("-- strata:renamed-from 'sad'\ncreate type public.mood as enum ('unhappy', 'glad');\n"), [], snapshot(mood('sad', 'ok')), snapshot(mood('unhappy', 'glad')), 'schema.sql');
  assert.is(two.ok, false);
});

test('--rename: parsed, resolved by what exists on both sides; nothing or two readings is a problem', () => {
  assert.equal(parseRenameFlags(['orders.note=remark', 'public.orders.note=remark', '"Odd".x=y']), {
    ok: true,
    flags: [
      { written: 'orders.note=remark', path: ['orders', 'note'], to: 'remark' },
      { written: 'public.orders.note=remark', path: ['public', 'orders', 'note'], to: 'remark' },
      { written: '"Odd".x=y', path: ['Odd', 'x'], to: 'y' },
    ],
  });
  assert.is(parseRenameFlags(['orders.note']).ok, false);
  assert.is(parseRenameFlags(['orders.note=public.remark']).ok, false);
  const current = snapshot(table('orders'), column('orders', 'note'));
  const desired = snapshot(table('orders'), column('orders', 'remark'));
  const flags = (...values: string[]) => (parseRenameFlags(values) as { flags: Parameters<typeof resolveRenames>[1] }).flags;
  for (const written of ['orders.note=remark', 'public.orders.note=remark']) {
    assert.equal(resolveRenames([], flags(written), current, desired, 'schema.sql'), { ok: true, renames: [{ kind: 'column', from: 'column public.orders.note', to: 'column public.orders.remark' }] });
  }
  const none = resolveRenames([], flags('orders.nothing=remark'), current, desired, 'schema.sql');
  assert.equal(none.ok ? [] : none.problems.map((p) => p.message), ['--rename orders.nothing=remark names nothing: the migrations make no orders.nothing that schema.sql declares as remark']);
});

test.run();
