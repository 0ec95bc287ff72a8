import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { censusDifferences, snapshotDifferences } from '../../bench/conformance-census.js';
import { categoryOf, formatGroups, formatTally, formatTransitionTally, passRate, provenRate, readMeta, rolesCreatedBy, tally, tallyTransitions, whyNotRun, type Outcome, type StateResult, type TransitionOutcome } from '../../bench/conformance-tally.js';
import type { Snapshot } from '../../src/schema/model/snapshot.js';

/** The conformance runner's pure parts (bench/conformance-tally.ts, the comparisons of conformance-census.ts). */

function result(folder: string, outcome: Outcome, side: 'a' | 'b' = 'a'): StateResult {
  return { folder, category: categoryOf(folder), side, outcome, detail: '', ms: 0 };
}

test('the category is the folder name up to --, or the whole name without one', () => {
  assert.is(categoryOf('constraint-ops--deferrable-fk'), 'constraint-ops');
  assert.is(categoryOf('type-ops--a--b'), 'type-ops');
  assert.is(categoryOf('column-add'), 'column-add');
});

test('meta.json: absent, isolated, a minimum version; a wrong field is named', () => {
  assert.equal(readMeta(undefined), { isolatedCluster: false, minVersion: undefined });
  assert.equal(readMeta('{ "isolatedCluster": true, "renames": "auto" }'), { isolatedCluster: true, minVersion: undefined });
  assert.equal(readMeta('{ "minVersion": 16 }'), { isolatedCluster: false, minVersion: 16 });
  assert.throws(() => readMeta('{ "minVersion": "16" }'), /minVersion/);
  assert.throws(() => readMeta('{ "isolatedCluster": 1 }'), /isolatedCluster/);
  assert.throws(() => readMeta('[]'), /not an object/);
});

test('a state is not run when it needs its own cluster or a newer server', () => {
  assert.is(whyNotRun(readMeta('{ "isolatedCluster": true }'), 15), 'needs its own cluster');
  assert.is(whyNotRun(readMeta('{ "minVersion": 18 }'), 15), 'needs PG 18');
  assert.is(whyNotRun(readMeta('{ "minVersion": 15 }'), 15), undefined);
  assert.is(whyNotRun(readMeta(undefined), 15), undefined);
});

test('the roles a state creates, as PostgreSQL names them; a user mapping is no role', () => {
  const sql = `DO $$ BEGIN CREATE ROLE corpus_anon NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
    create user App_User; CREATE GROUP "Mixed Case"; CREATE USER MAPPING FOR CURRENT_USER SERVER s; create role corpus_anon;`;
  assert.equal(rolesCreatedBy(sql), ['Mixed Case', 'app_user', 'corpus_anon']);
  assert.equal(rolesCreatedBy('create table roles (id int);'), []);
});

test('the tally counts each outcome per category; the pass rate is (equal + refused) / loadable', () => {
  const results = [
    result('types--a', 'equal'), result('types--a', 'wrong', 'b'), result('types--b', 'refused'),
    result('types--c', 'not loadable'), result('views--a', 'not run'), result('views--a', 'not run', 'b'),
  ];
  const { rows, total } = tally(results);
  assert.equal(rows.map((r) => r.category), ['types', 'views']);
  assert.equal(rows[0]!.counts, { equal: 1, refused: 1, wrong: 1, 'not loadable': 1, 'not run': 0 });
  assert.equal(total, { equal: 1, refused: 1, wrong: 1, 'not loadable': 1, 'not run': 2 });
  assert.is(passRate(total), 2 / 3);
  assert.is(passRate(rows[1]!.counts), undefined, 'nothing judged: no rate, not 0 % nor 100 %');
  const table = formatTally({ rows, total });
  assert.match(table, /^types\s+1\s+1\s+1\s+1\s+0\s+66\.7 %$/m);
  assert.match(table, /^views\s+0\s+0\s+0\s+0\s+2\s+-$/m);
  assert.match(table, /^total\s+1\s+1\s+1\s+1\s+2\s+66\.7 %$/m);
});

const object = (identity: string, attributes: Snapshot['objects'][number]['attributes'] = {}) =>
  ({ kind: 'type' as const, identity, schema: 'public', name: identity, dependsOn: [], attributes, create: '' });

test('transitions: proven / the cases that ran; refused and wrong count as ran, not loadable and not run do not', () => {
  const r = (folder: string, outcome: TransitionOutcome) => ({ folder, category: categoryOf(folder), direction: 'a-to-b' as const, outcome, detail: '', ms: 0 });
  const counts = tallyTransitions([r('t--a', 'proven'), r('t--b', 'proven'), r('t--c', 'refused'), r('u--a', 'wrong'), r('u--b', 'not loadable'), r('u--c', 'not run')]);
  assert.equal(counts.rows.map((row) => [row.category, row.counts.proven, row.counts.wrong]), [['t', 2, 0], ['u', 0, 1]]);
  assert.is(provenRate(counts.total), 2 / 4);
  assert.is(provenRate(tallyTransitions([r('x', 'not run')]).total), undefined);
  assert.match(formatTransitionTally(counts).split('\n').at(-1)!, /^total\s+2\s+1\s+1\s+1\s+1\s+50\.0 %$/);
});

test('reasons are grouped and counted, most first; none gives nothing', () => {
  assert.is(formatGroups('why', []), '');
  assert.is(formatGroups('why', ['b', 'a', 'b']), '\nwhy:\n     2  b\n     1  a');
});

test('snapshot differences name the identity: lost, added, changed with the field', () => {
  const before: Snapshot = { objects: [object('type public.a', { labels: ['x'] }), object('type public.b')], unmodelled: [] };
  const after: Snapshot = { objects: [object('type public.a', { labels: ['y'] }), object('type public.c')], unmodelled: [] };
  assert.equal(snapshotDifferences(before, after), ['changed: type public.a: labels ["x"] -> ["y"]', 'lost: type public.b', 'added: type public.c']);
  assert.equal(snapshotDifferences(before, before), []);
});

test('census differences: what the copy lost, added or holds otherwise', () => {
  const original = new Map([['table public.t', ''], ['column public.t.id', '1 integer'], ['index public.i', 'create index']]);
  const copy = new Map([['column public.t.id', '1 bigint'], ['index public.i', 'create index'], ['schema s', '']]);
  assert.equal(censusDifferences(original, copy), ['changed: column public.t.id: 1 integer -> 1 bigint', 'added: schema s', 'lost: table public.t']);
  assert.equal(censusDifferences(original, copy, 1).length, 1);
});

test.run();
