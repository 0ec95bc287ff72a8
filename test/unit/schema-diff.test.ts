import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { diffSnapshots, formatChange, groupChanges, reviewGroups } from '../../src/schema/model/diff.js';
import { orderObjects, renderSchema } from '../../src/schema/model/render.js';
import type { SchemaObject, Snapshot } from '../../src/schema/model/snapshot.js';

const object = (identity: string, fields: Partial<SchemaObject> = {}): SchemaObject => {
  const [kind, ...rest] = identity.split(' ');
  const name = rest.join(' ').split('.').at(-1)!;
  return { kind: kind as SchemaObject['kind'], identity, schema: 'public', name, dependsOn: [], attributes: {}, create: `-- ${identity}`, ...fields };
};
const snapshot = (...objects: SchemaObject[]): Snapshot => ({ objects: [...objects].sort((a, b) => (a.identity < b.identity ? -1 : 1)), unmodelled: [] });

test('added, removed and changed objects, one line each, changed attributes by path', () => {
  const before = snapshot(
    object('table public.orders'),
    object('column public.orders.total', { parent: 'table public.orders', attributes: { type: 'numeric(12,2)', notNull: true } }),
    object('column public.orders.note', { parent: 'table public.orders', attributes: { type: 'text' } }),
  );
  const after = snapshot(
    object('table public.orders'),
    object('column public.orders.total', { parent: 'table public.orders', attributes: { type: 'numeric(14,2)', notNull: true } }),
    object('index public.orders_total', { parent: 'table public.orders' }),
  );
  const changes = diffSnapshots(before, after);
  assert.equal(changes.map((c) => formatChange(c)), [
    'column public.orders.note: removed',
    'column public.orders.total: type numeric(12,2) -> numeric(14,2)',
    'index public.orders_total: added',
  ]);
  assert.equal(groupChanges(changes).map((g) => g.group), ['table public.orders']);
  assert.equal(diffSnapshots(after, after), []);
});

test('review groups: a part of a table, or a table with several changes, is listed under it; an object changed alone is not', () => {
  const before = snapshot(object('table public.a'), object('table public.b'), object('type public.mood', { attributes: { labels: ['x'] } }));
  const after = snapshot(
    object('table public.a', { attributes: { rowSecurity: true } }),
    object('column public.a.note', { parent: 'table public.a' }),
    object('table public.b', { attributes: { rowSecurity: true } }),
    object('index public.c_x', { parent: 'table public.c' }),
    object('type public.mood', { attributes: { labels: ['x', 'y'] } }),
  );
  const changes = diffSnapshots(before, after);
  const identities = groupChanges(changes).flatMap((g) => g.changes.map((c) => (c.change === 'changed' ? c.after : c.object).identity));
  assert.equal(identities, ['column public.a.note', 'table public.a', 'table public.b', 'index public.c_x', 'type public.mood']);
  assert.equal(reviewGroups(changes), ['table public.a', 'table public.a', undefined, 'table public.c', undefined]);
});

test('schema.sql order: by kind priority, then a topological sort that keeps it; a loop is broken, not dropped', () => {
  const s = snapshot(
    object('schema app', { schema: null, name: 'app' }),
    object('view public.v', { dependsOn: ['constraint public.t.t_pkey'] }),
    object('constraint public.t.t_pkey', { parent: 'table public.t', dependsOn: ['table public.t'] }),
    object('table public.t'),
    object('function public.f()', { dependsOn: ['table public.t'] }),
    object('comment on table public.t', { kind: 'comment', parent: 'table public.t', dependsOn: ['table public.t'] }),
    object('table public.a', { dependsOn: ['table public.b'] }),
    object('table public.b', { dependsOn: ['table public.a'] }),
  );
  assert.equal(orderObjects(s).map((o) => o.identity), [
    'schema app', 'table public.a', 'table public.b', 'table public.t', 'comment on table public.t', 'function public.f()', 'constraint public.t.t_pkey', 'view public.v',
  ]);
  assert.is(renderSchema(s, { head: '20261201000000_x' }), renderSchema(s, { head: '20261201000000_x' }), 'deterministic');
});

test.run();
