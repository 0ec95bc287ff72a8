/** Rules about building and dropping indexes, and the constraints that build one. */
import { addedConstraints } from './ast-helpers.js';
import { formatRelation, relationOf, relationOfNameList, listItems } from './relation-names.js';
import { hit, type LintRule } from './rule.js';

export const LOCK_TIMEOUT = "set lock_timeout = '2s';\n";

export const INDEX_RULES: LintRule[] = [
  {
    id: 'create-index-not-concurrently',
    severity: 'error',
    lock: 'SHARE on the table for the whole build: every INSERT, UPDATE and DELETE waits',
    why: 'Building an index reads the whole table; on a large table that takes minutes, and writes are blocked all along.',
    fix: "CREATE INDEX CONCURRENTLY in a revision with '--! Transaction: off' (one index per statement; it builds without blocking writes).",
    bad: { sql: 'create index orders_customer_idx on app.orders (customer_id);' },
    good: { sql: 'create index concurrently orders_customer_idx on app.orders (customer_id);', transactional: false },
    check: ({ ast, isNew }) => {
      if (!('IndexStmt' in ast) || ast.IndexStmt.concurrent || !ast.IndexStmt.relation) return [];
      const table = relationOf(ast.IndexStmt.relation);
      return isNew(table) ? [] : [hit(`CREATE INDEX on ${formatRelation(table)} blocks writes to it while the index builds`, ast.IndexStmt.relation.location)];
    },
  },
  {
    id: 'concurrently-in-transaction',
    severity: 'error',
    lock: 'none taken: PostgreSQL refuses the statement inside a transaction block',
    why: 'CREATE/DROP INDEX CONCURRENTLY and REINDEX CONCURRENTLY wait for other transactions between their phases, so they cannot run inside a transaction block; the revision fails when it reaches them.',
    fix: "Put the statement in a revision with '--! Transaction: off', outside any BEGIN ... COMMIT block.",
    bad: { sql: "begin;\ncreate index concurrently orders_customer_idx on app.orders (customer_id);\ncommit;", transactional: false },
    good: { sql: 'create index concurrently orders_customer_idx on app.orders (customer_id);', transactional: false },
    check: ({ statement, inTransactionBlock }) => (inTransactionBlock && statement.cannotRunInTransaction && /CONCURRENTLY/.test(statement.label)
      ? [hit(`${statement.label} cannot run inside a transaction block`)]
      : []),
  },
  {
    id: 'drop-index-not-concurrently',
    severity: 'error',
    lock: 'ACCESS EXCLUSIVE on the index and its table: reads and writes of the table wait',
    why: "DROP INDEX waits for every query using the table to finish and blocks all new ones while it waits.",
    fix: "DROP INDEX CONCURRENTLY in a revision with '--! Transaction: off'.",
    bad: { sql: `${LOCK_TIMEOUT}drop index app.orders_customer_idx;` },
    good: { sql: 'drop index concurrently app.orders_customer_idx;', transactional: false },
    check: ({ ast, isNew, role, isIndexOfOwnedTable }) => {
      if (!('DropStmt' in ast) || ast.DropStmt.removeType !== 'OBJECT_INDEX' || ast.DropStmt.concurrent) return [];
      const names = (ast.DropStmt.objects ?? []).flatMap((o) => {
        const name = relationOfNameList(listItems(o));
        // down.sql dropping an index on a table the revision made: the table goes with it, nobody else uses it
        return name && !isNew(name) && !(role === 'down' && isIndexOfOwnedTable(name)) ? [formatRelation(name)] : [];
      });
      return names.length === 0 ? [] : [hit(`DROP INDEX ${names.join(', ')} locks the table against reads and writes`)];
    },
  },
  {
    id: 'reindex-not-concurrently',
    severity: 'error',
    lock: 'SHARE on the table (writes wait) and ACCESS EXCLUSIVE on the index (queries that would use it wait)',
    why: 'REINDEX rebuilds the index from the whole table while blocking writes, and queries planning to use the index block too.',
    fix: "REINDEX (CONCURRENTLY) ... in a revision with '--! Transaction: off' (PostgreSQL 12+).",
    bad: { sql: `${LOCK_TIMEOUT}reindex index app.orders_customer_idx;` },
    good: { sql: 'reindex (concurrently) index app.orders_customer_idx;', transactional: false },
    check: ({ ast }) => {
      if (!('ReindexStmt' in ast)) return [];
      const concurrent = (ast.ReindexStmt.params ?? []).some((p) => 'DefElem' in p && p.DefElem.defname === 'concurrently');
      return concurrent ? [] : [hit('REINDEX without CONCURRENTLY blocks writes while it rebuilds')];
    },
  },
  {
    id: 'unique-constraint-without-index',
    severity: 'error',
    lock: 'ACCESS EXCLUSIVE on the table while the unique index builds: reads and writes wait',
    why: 'ADD CONSTRAINT ... UNIQUE builds its index under an ACCESS EXCLUSIVE lock, scanning the whole table.',
    fix: 'First CREATE UNIQUE INDEX CONCURRENTLY (Transaction: off), then ALTER TABLE ... ADD CONSTRAINT name UNIQUE USING INDEX name, which only renames the index.',
    bad: { sql: `${LOCK_TIMEOUT}alter table app.users add constraint users_email_key unique (email);` },
    good: { sql: `${LOCK_TIMEOUT}alter table app.users add constraint users_email_key unique using index users_email_key;` },
    check: (context) => addedConstraints(context)
      .filter(({ constraint }) => constraint.contype === 'CONSTR_UNIQUE' && !constraint.indexname)
      .map(({ relation, location }) => hit(`a unique constraint on ${formatRelation(relation)} builds its index while reads and writes wait`, location)),
  },
  {
    id: 'primary-key-without-index',
    severity: 'error',
    lock: 'ACCESS EXCLUSIVE on the table while the index builds (and, for a nullable column, while NOT NULL is checked)',
    why: 'ADD PRIMARY KEY builds a unique index under ACCESS EXCLUSIVE and scans the table to set its columns NOT NULL.',
    fix: 'CREATE UNIQUE INDEX CONCURRENTLY first (Transaction: off), make the columns NOT NULL safely (see set-not-null-without-check), then ADD CONSTRAINT name PRIMARY KEY USING INDEX name.',
    bad: { sql: `${LOCK_TIMEOUT}alter table app.events add primary key (id);` },
    good: { sql: `${LOCK_TIMEOUT}alter table app.events add constraint events_pkey primary key using index events_id_key;` },
    check: (context) => addedConstraints(context)
      .filter(({ constraint }) => constraint.contype === 'CONSTR_PRIMARY' && !constraint.indexname)
      .map(({ relation, location }) => hit(`a primary key on ${formatRelation(relation)} builds its index while reads and writes wait`, location)),
  },
  {
    id: 'exclusion-constraint',
    severity: 'error',
    lock: 'ACCESS EXCLUSIVE on the table while the exclusion index builds',
    why: 'An exclusion constraint builds its index under ACCESS EXCLUSIVE, and unlike UNIQUE it cannot be attached from an index built concurrently.',
    fix: 'Add it while the table is new or small, in a maintenance window, or enforce the rule otherwise (a unique index built concurrently where it can express it).',
    bad: { sql: `${LOCK_TIMEOUT}alter table app.bookings add constraint no_overlap exclude using gist (room with =, during with &&);` },
    good: { sql: 'create table app.bookings (room int, during tstzrange, constraint no_overlap exclude using gist (room with =, during with &&));' },
    check: (context) => addedConstraints(context)
      .filter(({ constraint }) => constraint.contype === 'CONSTR_EXCLUSION')
      .map(({ relation, location }) => hit(`an exclusion constraint on ${formatRelation(relation)} builds its index while reads and writes wait`, location)),
  },
  {
    id: 'concurrent-index-if-not-exists',
    severity: 'warning',
    lock: 'SHARE UPDATE EXCLUSIVE on the table (writes continue)',
    why: 'A CREATE INDEX CONCURRENTLY that failed leaves an INVALID index behind; IF NOT EXISTS then finds it and does nothing, so the index stays unusable without anyone noticing.',
    fix: 'Leave out IF NOT EXISTS (a failed build is then retried visibly), or DROP INDEX CONCURRENTLY IF EXISTS first.',
    bad: { sql: 'create index concurrently if not exists orders_customer_idx on app.orders (customer_id);', transactional: false },
    good: { sql: 'drop index concurrently if exists app.orders_customer_idx;\ncreate index concurrently orders_customer_idx on app.orders (customer_id);', transactional: false },
    check: ({ ast }) => ('IndexStmt' in ast && ast.IndexStmt.concurrent && ast.IndexStmt.if_not_exists ? [hit('IF NOT EXISTS skips an INVALID index left by a failed concurrent build')] : []),
  },
  {
    id: 'refresh-materialized-view-not-concurrently',
    severity: 'warning',
    lock: 'ACCESS EXCLUSIVE on the materialized view while its query runs: every read of it waits',
    why: 'REFRESH MATERIALIZED VIEW runs the whole query again and blocks reads of the view until it is done.',
    fix: 'REFRESH MATERIALIZED VIEW CONCURRENTLY (it needs a unique index on the view); reads continue during the refresh.',
    bad: { sql: `${LOCK_TIMEOUT}refresh materialized view app.order_totals;` },
    good: { sql: `${LOCK_TIMEOUT}refresh materialized view concurrently app.order_totals;` },
    check: ({ ast, isNew }) => ('RefreshMatViewStmt' in ast && !ast.RefreshMatViewStmt.concurrent && ast.RefreshMatViewStmt.relation && !isNew(relationOf(ast.RefreshMatViewStmt.relation))
      ? [hit(`REFRESH of ${formatRelation(relationOf(ast.RefreshMatViewStmt.relation))} blocks its readers`)]
      : []),
  },
];
