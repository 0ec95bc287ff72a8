import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { lockLevels, relationsCreated, type StatementLocks } from '../../src/lint/lock-levels.js';
import { formatRelation, RelationSet } from '../../src/lint/relation-names.js';
import { loadSqlParser } from '../../src/sql/parser.js';
import { splitStatements } from '../../src/sql/split-statements.js';

/**
 * The locks predicted for one statement, by PostgreSQL 15's documented lock levels. Each case is
 * the statement, then `relation mode [rewrite]` per lock, or `unknown`; a statement after `;` in the
 * same body runs first, so that the relations it creates count as new (marked `new`).
 */
test.before(async () => {
  await loadSqlParser();
});

function predict(body: string): StatementLocks {
  const split = splitStatements(body);
  if (!split.ok) throw new Error(split.problem.message);
  const created = new RelationSet();
  let last: StatementLocks = { kind: 'unknown', reason: 'none' };
  for (const statement of split.statements) {
    last = lockLevels(statement.ast, created);
    for (const relation of relationsCreated(statement.ast)) created.add(relation);
  }
  return last;
}

function described(locks: StatementLocks): string {
  if (locks.kind === 'unknown') return 'unknown';
  return locks.locks.map((l) => `${l.target === 'table-of-index' ? 'table of ' : ''}${formatRelation(l.relation)} ${l.mode}${l.rewrites === 'no' ? '' : ` rewrite:${l.rewrites}`}${l.isNew ? ' new' : ''}`).join(', ');
}

const CASES: [string, string][] = [
  ['create index i on t (a)', 't ShareLock'],
  ['create index concurrently i on s.t (a)', 's.t ShareUpdateExclusiveLock'],
  ['alter table t add constraint f foreign key (b) references u (id)', 't ShareRowExclusiveLock, u ShareRowExclusiveLock'],
  ['alter table t add constraint f foreign key (b) references u (id) not valid', 't ShareRowExclusiveLock, u ShareRowExclusiveLock'],
  ['alter table t validate constraint f', 't ShareUpdateExclusiveLock'],
  ['alter table t alter column a set statistics 500', 't ShareUpdateExclusiveLock'],
  ['alter table t alter column a set (n_distinct = 10)', 't ShareUpdateExclusiveLock'],
  ['alter table t set (fillfactor = 70, autovacuum_enabled = false)', 't ShareUpdateExclusiveLock'],
  ['alter table t set (user_catalog_table = true)', 't AccessExclusiveLock'],
  ['alter table t add column c int', 't AccessExclusiveLock'],
  ['alter table t add column c int default 0', 't AccessExclusiveLock'],
  ['alter table t add column c timestamptz default now()', 't AccessExclusiveLock'],
  ['alter table t add column c uuid default gen_random_uuid()', 't AccessExclusiveLock rewrite:yes'],
  ['alter table t add column c bigserial', 't AccessExclusiveLock rewrite:yes'],
  ['alter table t add column c int generated always as identity', 't AccessExclusiveLock rewrite:yes'],
  ['alter table t add column c int default my_function()', 't AccessExclusiveLock rewrite:maybe'],
  ['alter table t add column c int references u (id)', 't AccessExclusiveLock, u ShareRowExclusiveLock'],
  ['alter table t alter column a type bigint', 't AccessExclusiveLock rewrite:maybe'],
  ['alter table t alter column a set not null', 't AccessExclusiveLock'],
  ['alter table t alter column a set default 1, alter column a set statistics 10', 't AccessExclusiveLock'],
  ['alter table t enable trigger all', 't ShareRowExclusiveLock'],
  ['alter table t disable trigger x', 't ShareRowExclusiveLock'],
  ['alter table t set tablespace fast', 't AccessExclusiveLock rewrite:yes'],
  ['alter table t set unlogged', 't AccessExclusiveLock rewrite:yes'],
  ['alter table t cluster on i', 't ShareUpdateExclusiveLock'],
  ['alter table t attach partition p for values in (1)', 't ShareUpdateExclusiveLock, p AccessExclusiveLock'],
  ['alter table t detach partition p', 't AccessExclusiveLock, p AccessExclusiveLock'],
  ['alter table t detach partition p concurrently', 'unknown'],
  ['alter table t add constraint k unique using index i', 't AccessExclusiveLock'],
  ['alter table t alter constraint f deferrable', 't AccessExclusiveLock'],
  ['grant select on t to public', ''],
  ['create trigger g after insert on t for each row execute function f()', 't ShareRowExclusiveLock'],
  ['drop trigger g on t', 't AccessExclusiveLock'],
  ['drop index i', 'i AccessExclusiveLock, table of i AccessExclusiveLock'],
  ['drop index concurrently s.i', 's.i ShareUpdateExclusiveLock, table of s.i ShareUpdateExclusiveLock'],
  ['drop table t', 't AccessExclusiveLock'],
  ['drop type mood', ''],
  ['drop type mood cascade', 'unknown'],
  ['truncate t', 't AccessExclusiveLock rewrite:yes'],
  ['vacuum t', 't ShareUpdateExclusiveLock'],
  ['vacuum (full) t', 't AccessExclusiveLock rewrite:yes'],
  ['vacuum', 'unknown'],
  ['analyze t', 't ShareUpdateExclusiveLock'],
  ['cluster t using i', 't AccessExclusiveLock rewrite:yes'],
  ['reindex index i', 'i AccessExclusiveLock rewrite:yes, table of i ShareLock'],
  ['reindex (concurrently) index i', 'i ShareUpdateExclusiveLock rewrite:yes, table of i ShareUpdateExclusiveLock'],
  ['reindex table t', 't ShareLock'],
  ['reindex database d', 'unknown'],
  ['refresh materialized view m', 'm AccessExclusiveLock rewrite:yes'],
  ['refresh materialized view concurrently m', 'm ExclusiveLock'],
  ['lock table t', 't AccessExclusiveLock'],
  ['lock table t in share row exclusive mode', 't ShareRowExclusiveLock'],
  ['lock table t, u in access share mode', 't AccessShareLock, u AccessShareLock'],
  ['alter table t rename to u', 't AccessExclusiveLock'],
  ['alter table t rename column a to b', 't AccessExclusiveLock'],
  ['alter index i rename to j', 'i ShareUpdateExclusiveLock'],
  ['alter schema s rename to r', ''],
  ['alter table t set schema s', 't AccessExclusiveLock'],
  ['alter sequence q restart', 'q ShareRowExclusiveLock rewrite:maybe'],
  ['comment on table t is $$x$$', 't ShareUpdateExclusiveLock'],
  ['comment on column s.t.a is $$x$$', 's.t ShareUpdateExclusiveLock'],
  ['create policy p on t using (true)', 't AccessExclusiveLock'],
  ['update t set a = 1 where b in (select b from u)', 'u AccessShareLock, t RowExclusiveLock'],
  ['delete from t', 't RowExclusiveLock'],
  ['insert into t select * from u', 'u AccessShareLock, t RowExclusiveLock'],
  ['select * from t for update', 't RowShareLock'],
  ['create table t (id int primary key, u int references u (id))', 'u ShareRowExclusiveLock, t AccessExclusiveLock new'],
  ['create table t (id int primary key, parent int references t (id))', 't AccessExclusiveLock new'],
  ['create table s.t (id int primary key, parent int, foreign key (parent) references s.t)', 's.t AccessExclusiveLock new'],
  ['create table p1 partition of p for values in (1)', 'p AccessExclusiveLock, p1 AccessExclusiveLock new'],
  ['alter type mood add value $$x$$', ''],
  ['set lock_timeout = $$2s$$', ''],
  ['create table t (a int); create index i on t (a)', 't ShareLock new'],
  ['create table s.t (a int); alter table t add column b serial', 't AccessExclusiveLock rewrite:yes new'],
  ['do $$ begin end $$', 'unknown'],
  ['create extension pgcrypto', 'unknown'],
];

for (const [sql, expected] of CASES) {
  test(`locks of: ${sql}`, () => {
    assert.is(described(predict(sql)), expected);
  });
}

test('a foreign key or a dropped table may lock tables the statement does not name: the list says it is incomplete', () => {
  const drop = predict('drop table t');
  const validate = predict('alter table t validate constraint f');
  const index = predict('create index i on t (a)');
  assert.ok(drop.kind === 'known' && !drop.isComplete);
  assert.ok(validate.kind === 'known' && !validate.isComplete);
  assert.ok(index.kind === 'known' && index.isComplete);
});

test.run();
