import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { CatalogObject } from '../../src/schema/introspect/catalog-family.js';
import { commentObjects, splitQualified } from '../../src/schema/introspect/comments.js';

const object = (kind: CatalogObject['kind'], identity: string, ref: string): CatalogObject =>
  ({ kind, identity, schema: 'public', name: identity.split('.').at(-1)!, dependsOn: [], attributes: {}, create: '', refs: [ref] });

test('qualified names split on dots outside double quotes', () => {
  assert.equal(splitQualified('public."a.b".c'), ['public', '"a.b"', 'c']);
  assert.equal(splitQualified('"Mixed Case".t'), ['"Mixed Case"', 't']);
});

test('COMMENT ON names each kind the way PostgreSQL reads it; a part held inside another object is listed', () => {
  const objects = [
    object('table', 'table public.orders', 'pg_class:1:0'),
    object('column', 'column public.orders.total', 'pg_class:1:2'),
    object('constraint', 'constraint public.orders.orders_pkey', 'pg_constraint:2:0'),
    object('trigger', 'trigger public."my table".audit', 'pg_trigger:3:0'),
    object('function', 'function public.total(integer, text)', 'pg_proc:4:0'),
    { ...object('domain', 'domain public.positive', 'pg_type:5:0'), refs: ['pg_type:5:0', 'pg_constraint:6:0'] },
  ];
  const byRef = new Map(objects.flatMap((o) => o.refs.map((r) => [r, o.identity] as const)));
  const comments: [string, number, number, string][] = [
    ['pg_class', 1, 0, "it's orders"], ['pg_class', 1, 2, 'total'], ['pg_constraint', 2, 0, 'key'],
    ['pg_trigger', 3, 0, 'audit'], ['pg_proc', 4, 0, 'sums'], ['pg_constraint', 6, 0, 'on the domain constraint'],
  ];
  const found = commentObjects(objects, comments, (c, o, s) => byRef.get(`${c}:${o}:${s}`));
  assert.equal(found.objects.map((o) => o.create), [
    "comment on table public.orders is 'it''s orders';",
    "comment on column public.orders.total is 'total';",
    "comment on constraint orders_pkey on public.orders is 'key';",
    "comment on trigger audit on public.\"my table\" is 'audit';",
    "comment on function public.total(integer, text) is 'sums';",
  ]);
  assert.equal(found.unmodelled.map((u) => u.kind), ['comment']);
});

test.run();
