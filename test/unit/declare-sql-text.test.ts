import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { typeChangeEffect } from '../../src/declare/alter-table.js';
import { oldTypeName, onlyGrows } from '../../src/declare/enum-changes.js';
import { splitQualified } from '../../src/declare/identities.js';
import { privilegeStatements } from '../../src/declare/privilege-statements.js';
import { mentionedNames, renameBare, renameQualified, selectParts, splitCreate, tableColumns } from '../../src/declare/sql-text.js';
import type { SchemaObject } from '../../src/schema/model/snapshot.js';

// The pure text parts of the generator: what it reads in the snapshot's SQL and how it renames in it.

test('a table\'s columns come out of its create, in order, each with its whole definition', () => {
  const create = 'create table public."Orders" (\n    id integer not null,\n    "Note" text default \'a, (b)\'::text,\n    total numeric(12,2) default 0 not null\n) with (fillfactor=70);\nalter table public."Orders" alter column "Note" set storage external;';
  assert.equal(tableColumns(create), [
    { name: 'id', definition: 'id integer not null' },
    { name: '"Note"', definition: '"Note" text default \'a, (b)\'::text' },
    { name: 'total', definition: 'total numeric(12,2) default 0 not null' },
  ]);
  assert.equal(tableColumns('create table public.t ();'), []);
  assert.is(tableColumns('create table public.p1 partition of public.p FOR VALUES FROM (1) TO (10);'), undefined);
});

test('a view\'s select list and the rest of its query are told apart; what is not one plain SELECT is not', () => {
  assert.equal(selectParts('SELECT id,\n    f(a, b) AS c\n   FROM public.t\n  WHERE (id > 0)'), { targets: ['id', 'f(a, b) AS c'], rest: 'FROM public.t\n  WHERE (id > 0)' });
  assert.equal(selectParts('SELECT 1 AS x'), { targets: ['1 AS x'], rest: '' });
  assert.is(selectParts('SELECT DISTINCT a FROM t'), undefined);
  assert.is(selectParts('SELECT a FROM t UNION SELECT b FROM u'), undefined);
  assert.is(selectParts('WITH x AS (SELECT 1) SELECT * FROM x'), undefined);
});

test('a qualified name is renamed where it stands whole, not as the tail of a longer name or inside a string', () => {
  const text = "CREATE INDEX i ON public.orders USING btree (public.orders_total(x)); SELECT 'public.orders', app.public.orders FROM public.orders o";
  assert.is(renameQualified(text, ['public', 'orders'], ['public', 'purchases']),
    "CREATE INDEX i ON public.purchases USING btree (public.orders_total(x)); SELECT 'public.orders', app.public.orders FROM public.purchases o");
  assert.is(renameQualified('column public.orders.note', ['public', 'orders'], ['public', 'purchases']), 'column public.purchases.note');
  // a schema: only where a name follows it
  assert.is(renameQualified('SELECT app.t.a, app FROM app.t', ['app'], ['core'], true), 'SELECT core.t.a, app FROM core.t');
  assert.is(renameQualified('"Mixed Case"."T"', ['"Mixed Case"', '"T"'], ['"Mixed Case"', 'u']), '"Mixed Case".u');
});

test('a bare column name is renamed, not a qualified name\'s tail, a function of that name, nor a keyword', () => {
  assert.is(renameBare('CHECK ((note <> t.note) AND note(1) AND (length(note) > 0))', 'note', 'remark'), 'CHECK ((remark <> t.note) AND note(1) AND (length(remark) > 0))');
  assert.is(renameBare('x is not null', '"null"', 'y'), 'x is not null');
});

test('the names a body mentions, qualified or not, and inside dollar quotes', () => {
  const names = mentionedNames('select count(*) from App.Orders join "T" using (id)').map((n) => n.join('.'));
  for (const name of ['count', 'app.orders', '"T"', 'id']) assert.ok(names.includes(name), name);
  assert.ok(mentionedNames("do $x$ begin perform public.f(); end $x$").some((n) => n.join('.') === 'public.f'));
});

test('a create text is split into statements at the semicolons outside parentheses', () => {
  assert.equal(splitCreate("create table t (a int);\nalter table t enable row level security;"), ['create table t (a int);', 'alter table t enable row level security;']);
  assert.equal(splitCreate('CREATE RULE r AS ON INSERT TO t DO INSTEAD (INSERT INTO a VALUES (1); INSERT INTO b VALUES (2));'), ['CREATE RULE r AS ON INSERT TO t DO INSTEAD (INSERT INTO a VALUES (1); INSERT INTO b VALUES (2));']);
  assert.equal(splitCreate("comment on table t is 'a; b';"), ["comment on table t is 'a; b';"]);
});

test('quoted names keep their dots', () => {
  assert.equal(splitQualified('public."a.b".c'), ['public', '"a.b"', 'c']);
});

test('a type change: what rewrites the table and what may lose values', () => {
  assert.equal(typeChangeEffect('character varying(10)', 'character varying(20)', false), { rewrites: false, narrows: false });
  assert.equal(typeChangeEffect('character varying(20)', 'character varying(10)', false), { rewrites: true, narrows: true });
  assert.equal(typeChangeEffect('character varying(20)', 'text', false), { rewrites: false, narrows: false });
  assert.equal(typeChangeEffect('numeric(12,2)', 'numeric(14,2)', false), { rewrites: false, narrows: false });
  assert.equal(typeChangeEffect('numeric(14,2)', 'numeric(12,2)', false), { rewrites: true, narrows: true });
  assert.equal(typeChangeEffect('integer', 'bigint', false), { rewrites: true, narrows: false });
  assert.equal(typeChangeEffect('bigint', 'integer', false), { rewrites: true, narrows: true });
  assert.equal(typeChangeEffect('text', 'integer', false), { rewrites: true, narrows: true });
});

test('an enum grows in place only while its old values keep their order', () => {
  assert.ok(onlyGrows(['a', 'b'], ['x', 'a', 'y', 'b', 'z']));
  assert.not.ok(onlyGrows(['a', 'b'], ['b', 'a']));
  assert.not.ok(onlyGrows(['a', 'b'], ['a']));
  assert.is(oldTypeName({ kind: 'type', identity: 'type public."Mood"' } as SchemaObject), 'public."Mood__strata_old"');
  assert.ok(Buffer.byteLength(oldTypeName({ kind: 'type', identity: `type public.${'m'.repeat(63)}` } as SchemaObject).split('.')[1]!) <= 63);
});

test('privileges go from one state to another: revoked, given back, granted', () => {
  const on = (grants: string[], revokes: string[] = []): SchemaObject => ({ kind: 'privileges', identity: 'privileges on table public.t', schema: 'public', name: 't', parent: 'table public.t', dependsOn: [], attributes: { grants, revokes }, create: '' });
  assert.equal(privilegeStatements(on(['select to bob with grant option', 'insert to bob']), on(['select to bob', 'delete to amy'])), [
    'revoke select, insert on table public.t from bob;',
    'grant select on table public.t to bob;',
    'grant delete on table public.t to amy;',
  ]);
  const column: SchemaObject = { ...on(['update to bob']), identity: 'privileges on column public.t.c', parent: 'column public.t.c' };
  assert.equal(privilegeStatements(column, undefined), ['revoke update (c) on table public.t from bob;']);
  const fn: SchemaObject = { ...on([], ['execute from public']), identity: 'privileges on function public.f(integer)', parent: 'function public.f(integer)' };
  assert.equal(privilegeStatements(undefined, fn), ['revoke execute on function public.f(integer) from public;']);
  assert.equal(privilegeStatements(fn, undefined), ['grant execute on function public.f(integer) to public;']);
});

test.run();
