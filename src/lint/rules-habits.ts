/** Rules about the revision as a whole (lock_timeout, transactions) and about names and types that age badly. */
import type { ColumnDef, Node } from 'libpg-query';
import { alterTableCommands, changesExistingRows, columnOf, isDml } from './ast-helpers.js';
import { isSerialType, typeNameOf } from './expressions.js';
import { LOCK_MODES, type RelationLock, type StatementLocks } from './lock-levels.js';
import { formatRelation, listItems, relationsRead } from './relation-names.js';
import { hit, type Hit, type LintRule, type StatementContext } from './rule.js';
import { LOCK_TIMEOUT } from './rules-indexes.js';

/** Columns the statement defines or retypes: CREATE TABLE, ADD COLUMN (on any table), ALTER COLUMN TYPE. */
function definedColumns(context: StatementContext, options: { includeExistingAdds: boolean }): ColumnDef[] {
  const { ast } = context;
  if ('CreateStmt' in ast) return (ast.CreateStmt.tableElts ?? []).flatMap((e) => ('ColumnDef' in e ? [e.ColumnDef] : []));
  return alterTableCommands(ast).flatMap((a) => {
    const column = columnOf(a.cmd);
    if (!column) return [];
    if (a.cmd.subtype === 'AT_AlterColumnType') return [{ ...column, colname: a.cmd.name ?? '' }];
    return a.cmd.subtype === 'AT_AddColumn' && (options.includeExistingAdds || context.isNew(a.relation)) ? [column] : [];
  });
}

function typeRule(id: string, test: (column: ColumnDef) => boolean, what: string, rest: Omit<LintRule, 'id' | 'severity' | 'check' | 'lock'>): LintRule {
  return {
    id, severity: 'warning', lock: 'none beyond the statement\'s own', ...rest,
    check: (context) => definedColumns(context, { includeExistingAdds: id !== 'prefer-identity' }).filter(test)
      .map((c) => hit(`${c.colname ?? 'a column'} ${what}`, c.typeName?.location)),
  };
}

const isStrongDdl = (ast: Node, locks: StatementLocks): boolean => !isDml(ast) && locks.kind === 'known'
  && locks.locks.some((l) => !l.isNew && LOCK_MODES.indexOf(l.mode) >= LOCK_MODES.indexOf('ShareLock'));

const IDENTIFIER_KEYS = new Set(['relname', 'colname', 'idxname', 'conname', 'trigname', 'schemaname', 'newname', 'policy_name', 'rulename', 'ctename']);
const encoder = new TextEncoder();

export const HABIT_RULES: LintRule[] = [
  {
    id: 'lock-timeout-missing',
    severity: 'warning',
    lock: 'ACCESS EXCLUSIVE, requested: while it waits for a long query to finish, every other query on the table queues behind it',
    why: 'A statement waiting for ACCESS EXCLUSIVE blocks all later reads and writes of the table, even ones that would not conflict with the running query: a few seconds of waiting becomes an outage.',
    fix: "Start the revision with SET lock_timeout = '2s' (SET LOCAL in a transactional revision also works), or run up with --lock-timeout-ddl; then retry when it times out.",
    bad: { sql: 'alter table app.users alter column nickname set default \'\';' },
    good: { sql: `${LOCK_TIMEOUT}alter table app.users alter column nickname set default '';` },
    check: ({ locks, hasLockTimeout, earlierInTransaction }) => {
      if (hasLockTimeout || locks.kind !== 'known') return [];
      // a lock the transaction took with an earlier statement is held until it ends: this one does not wait for it
      const held = (l: RelationLock) => earlierInTransaction.some((e) => e.locks.kind === 'known' && e.locks.locks.some((h) => h.mode === 'AccessExclusiveLock'
        && h.target === l.target && h.relation.name === l.relation.name && h.relation.schema === l.relation.schema));
      const exclusive = locks.locks.filter((l) => !l.isNew && l.mode === 'AccessExclusiveLock' && !held(l));
      const names = exclusive.filter((l) => l.target === 'relation').map((l) => formatRelation(l.relation)
        + (exclusive.some((t) => t.target === 'table-of-index' && t.relation === l.relation) ? ' and its table' : ''));
      return names.length === 0 ? [] : [hit(`ACCESS EXCLUSIVE on ${names.join(', ')} with no lock_timeout: while it waits, every query on ${names.length === 1 && !names[0]!.endsWith(' and its table') ? 'it' : 'them'} queues`)];
    },
  },
  {
    id: 'ddl-with-data-change',
    severity: 'warning',
    oncePerFile: true,
    lock: 'the DDL\'s lock (SHARE or stronger) is held while the data change runs, until the transaction commits',
    why: 'In one transaction, a schema change and an UPDATE/DELETE/INSERT ... SELECT over existing rows hold the schema change\'s strong lock for as long as the data change takes, blocking the table throughout.',
    fix: "Move the data change to its own revision (or make the revision '--! Transaction: off' and batch it), so the DDL commits and releases its lock at once.",
    bad: { sql: `${LOCK_TIMEOUT}alter table app.users add column plan text;\nupdate app.users set plan = 'free' where plan is null;`, transactional: true },
    good: { sql: `${LOCK_TIMEOUT}alter table app.users add column plan text;\nupdate app.users set plan = 'free' where plan is null;`, transactional: false },
    check: ({ ast, locks, inTransactionBlock, earlierInTransaction, isNew }) => {
      if (!inTransactionBlock) return [];
      const changed = changesExistingRows({ isNew }, ast);
      if (changed && earlierInTransaction.some((e) => isStrongDdl(e.ast, e.locks))) return [hit(`this changes rows of ${formatRelation(changed)} in the transaction of a schema change, whose lock is held until it ends`)];
      if (isStrongDdl(ast, locks) && earlierInTransaction.some((e) => changesExistingRows({ isNew }, e.ast))) return [hit('this schema change runs in the transaction of a data change, so its lock is held while the rest runs')];
      return [];
    },
  },
  {
    id: 'unqualified-name',
    severity: 'warning',
    oncePerFile: true,
    lock: 'none beyond the statement\'s own',
    why: "An unqualified table name means whatever search_path finds first when the migration runs; with another search_path (a role setting, a pooler, a tool) the revision changes other tables or fails.",
    fix: 'Qualify names with their schema (e.g. public.orders, not orders), or set search_path explicitly at the top of the revision.',
    bad: { sql: 'create table users (id bigint);' },
    good: { sql: "set search_path = app;\ncreate table users (id bigint);\ncreate index users_id on public.users (id);" },
    check: ({ ast, hasSearchPath }) => {
      if (hasSearchPath) return [];
      const dropped = 'DropStmt' in ast ? (ast.DropStmt.objects ?? []).flatMap((o) => { const items = listItems(o); return items.length === 1 && 'String' in items[0]! ? [items[0].String.sval ?? ''] : []; }) : [];
      const names = [...relationsRead(ast).filter((r) => r.schema === undefined).map((r) => r.name), ...('DropStmt' in ast && ['OBJECT_TABLE', 'OBJECT_INDEX', 'OBJECT_VIEW', 'OBJECT_SEQUENCE', 'OBJECT_MATVIEW'].includes(ast.DropStmt.removeType ?? '') ? dropped : [])];
      return names.length === 0 ? [] : [hit(`${[...new Set(names)].join(', ')} ${names.length === 1 ? 'has' : 'have'} no schema: search_path decides which relation is meant`)];
    },
  },
  {
    id: 'identifier-too-long',
    severity: 'error',
    lock: 'none beyond the statement\'s own',
    why: 'PostgreSQL cuts identifiers to 63 bytes with only a NOTICE: two long names can become the same one, and the name in the catalog is not the one in the file (later revisions, schema.sql and code disagree).',
    fix: 'Choose a name of at most 63 bytes (non-ASCII letters count 2 to 4 bytes each).',
    bad: { sql: 'create table app.customer_subscription_billing_history_entries_archived_by_month_v2_final (id int);' },
    good: { sql: 'create table app.subscription_billing_archive (id int);' },
    check: ({ ast, statement }) => {
      // the parser has already cut such a name to 63 bytes (as the server does): a name of (nearly) that length
      // in the tree that goes on in the file's text was longer there
      const hits: Hit[] = [];
      const text = statement.text.toLowerCase();
      const visit = (value: unknown): void => {
        if (Array.isArray(value)) return value.forEach(visit);
        if (value === null || typeof value !== 'object') return;
        for (const [key, child] of Object.entries(value)) {
          if (IDENTIFIER_KEYS.has(key) && typeof child === 'string' && encoder.encode(child).length >= 60) {
            const at = text.indexOf(child.toLowerCase());
            const after = at === -1 ? '' : statement.text.slice(at + child.length).match(/^[\p{L}\p{N}_$]+/u)?.[0] ?? '';
            if (after !== '') hits.push(hit(`'${statement.text.slice(at, at + child.length)}${after}' is ${encoder.encode(child + after).length} bytes: PostgreSQL keeps only the first 63`, (value as { location?: number }).location));
          } else visit(child);
        }
      };
      visit(ast);
      return hits;
    },
  },
  {
    id: 'enum-add-value-without-position',
    severity: 'warning',
    lock: 'none on tables; the type is changed in place',
    why: 'ADD VALUE without BEFORE or AFTER puts the value last; enum values sort in declaration order, so ORDER BY, <, > and ranges over the type see it after every other value.',
    fix: "Say where it goes: ALTER TYPE ... ADD VALUE 'x' BEFORE 'y' (or AFTER), or confirm last is meant with a strata:allow.",
    bad: { sql: "alter type app.order_status add value 'refunded';" },
    good: { sql: "alter type app.order_status add value 'refunded' after 'paid';" },
    check: ({ ast }) => ('AlterEnumStmt' in ast && ast.AlterEnumStmt.newVal && !ast.AlterEnumStmt.newValNeighbor
      ? [hit(`'${ast.AlterEnumStmt.newVal}' is added last, after every other value in sort order`)]
      : []),
  },
  {
    id: 'alter-system',
    severity: 'error',
    lock: 'none on tables; it writes postgresql.auto.conf for the whole server',
    why: 'ALTER SYSTEM changes the configuration of the whole server (every database on it), outside any transaction, and down.sql cannot reliably put back what was there.',
    fix: 'Configure the server outside migrations (configuration management, or ALTER DATABASE / ALTER ROLE ... SET for one database or role).',
    bad: { sql: "alter system set work_mem = '64MB';", transactional: false },
    good: { sql: "alter role app_user set work_mem = '64MB';", transactional: false },
    check: ({ ast }) => ('AlterSystemStmt' in ast ? [hit('ALTER SYSTEM changes the configuration of the whole server')] : []),
  },
  {
    id: 'create-extension',
    severity: 'warning',
    lock: 'whatever the extension\'s script takes (not predictable from the file)',
    why: 'Most extensions need a superuser (or a trusted extension and CREATE on the database), which production migration roles usually lack; their scripts can take locks strata cannot predict.',
    fix: 'Install extensions when provisioning the database, and use IF NOT EXISTS if a revision must name them; accept it with a Lint-allow saying the role may.',
    bad: { sql: 'create extension pgcrypto;' },
    good: { sql: 'create schema if not exists app;' },
    check: ({ ast }) => ('CreateExtensionStmt' in ast ? [hit(`CREATE EXTENSION ${ast.CreateExtensionStmt.extname ?? ''} needs rights a migration role usually lacks`)] : []),
  },
  typeRule('prefer-identity', (c) => isSerialType(c.typeName), 'is serial: prefer an identity column', {
    why: 'serial creates a separate sequence with its own owner and grants, which dumps and copies keep getting subtly wrong; identity columns (SQL standard) are part of the column.',
    fix: 'bigint generated always as identity (or by default, to allow explicit ids).',
    bad: { sql: 'create table app.notes (id bigserial primary key);' },
    good: { sql: 'create table app.notes (id bigint generated always as identity primary key);' },
  }),
  typeRule('prefer-text', (c) => typeNameOf(c.typeName) === 'bpchar' || (typeNameOf(c.typeName) === 'varchar' && (c.typeName?.typmods ?? []).length > 0), 'has a length limit in its type: prefer text', {
    why: 'char(n) pads with spaces and compares surprisingly; varchar(n) stores the same as text, but shortening its limit later rewrites the table. A CHECK on length() can change without a rewrite.',
    fix: 'text, with CHECK (length(column) <= n) if the limit matters.',
    bad: { sql: 'create table app.notes (title varchar(200));' },
    good: { sql: 'create table app.notes (title text check (length(title) <= 200));' },
  }),
  typeRule('timestamp-without-time-zone', (c) => typeNameOf(c.typeName) === 'timestamp', 'is timestamp without time zone: prefer timestamptz', {
    why: 'timestamp stores a wall-clock reading without its zone: the same instant reads differently per server or session TimeZone, and converting the column later rewrites the table.',
    fix: 'timestamptz (timestamp with time zone): it stores an instant and shows it in the session\'s zone.',
    bad: { sql: 'create table app.notes (created_at timestamp);' },
    good: { sql: 'create table app.notes (created_at timestamptz);' },
  }),
  typeRule('money-type', (c) => typeNameOf(c.typeName) === 'money', 'is money: prefer numeric or integer cents', {
    why: "money's precision and output depend on the lc_monetary setting, it holds one currency only, and rounds division.",
    fix: 'numeric(12, 2), or bigint cents, with a currency column where needed.',
    bad: { sql: 'create table app.prices (amount money);' },
    good: { sql: 'create table app.prices (amount_cents bigint);' },
  }),
  typeRule('json-type', (c) => typeNameOf(c.typeName) === 'json', 'is json: prefer jsonb', {
    why: 'json keeps the text as written and has no equality operator (DISTINCT, UNION, GROUP BY fail on it) and no GIN indexing; jsonb is what most code wants.',
    fix: 'jsonb (json only to keep key order or duplicate keys exactly as sent).',
    bad: { sql: 'create table app.events (payload json);' },
    good: { sql: 'create table app.events (payload jsonb);' },
  }),
];
