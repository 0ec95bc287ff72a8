/** Rules about adding and changing columns of tables that already hold rows. */
import type { ColumnDef } from 'libpg-query';
import { columnOf, onExistingTable } from './ast-helpers.js';
import { constraintOf, defaultOf, isSerialType, typeNameOf, volatilityOf } from './expressions.js';
import { formatRelation } from './relation-names.js';
import { hit, type LintRule, type StatementContext } from './rule.js';
import { LOCK_TIMEOUT } from './rules-indexes.js';

/** ADD COLUMN on existing tables whose column matches `test` */
function addedColumns(context: StatementContext, test: (column: ColumnDef) => boolean) {
  return onExistingTable(context, 'AT_AddColumn').flatMap((a) => {
    const column = columnOf(a.cmd);
    return column && test(column) ? [{ ...a, column }] : [];
  });
}

// types whose change from a narrower one of the same family can be binary-coercible (no rewrite)
const WIDENABLE = new Set(['text', 'varchar', 'numeric', 'varbit', 'citext']);

export const COLUMN_RULES: LintRule[] = [
  {
    id: 'alter-column-type',
    severity: 'error',
    lock: 'ACCESS EXCLUSIVE on the table while it and all its indexes are rewritten',
    why: 'Changing a column to another type (int to bigint, text to a number, timestamp to timestamptz) rewrites every row and rebuilds every index of the table, blocking reads and writes throughout.',
    fix: 'Add a new column of the new type, backfill it in batches, switch readers and writers over (a trigger keeps both in step meanwhile), then drop the old column.',
    bad: { sql: `${LOCK_TIMEOUT}alter table app.orders alter column id type bigint;` },
    good: { sql: `${LOCK_TIMEOUT}alter table app.orders add column id_new bigint;` },
    check: (context) => onExistingTable(context, 'AT_AlterColumnType')
      .filter(({ cmd }) => !WIDENABLE.has(typeNameOf(columnOf(cmd)?.typeName)))
      .map(({ relation, cmd, table }) => hit(`changing the type of ${formatRelation(relation)}.${cmd.name ?? ''} to ${typeNameOf(columnOf(cmd)?.typeName)} rewrites the table and its indexes`, table.location)),
  },
  {
    id: 'alter-column-type-widening',
    severity: 'warning',
    lock: 'ACCESS EXCLUSIVE on the table; no rewrite only if the change is binary-coercible',
    why: 'varchar(n) to text or to a longer varchar, and numeric to a larger precision with the same scale, are catalog-only changes; any other change to these types (a shorter length, another scale, from another type, a USING clause) rewrites the table.',
    fix: 'Make sure the change only widens (varchar(n) to varchar(m > n) or text; numeric(p, s) to numeric(q > p, s)); set lock_timeout, since even the catalog change waits for ACCESS EXCLUSIVE.',
    bad: { sql: `${LOCK_TIMEOUT}alter table app.users alter column name type text;` },
    good: { sql: `${LOCK_TIMEOUT}alter table app.users add column nickname text;` },
    check: (context) => onExistingTable(context, 'AT_AlterColumnType')
      .filter(({ cmd }) => WIDENABLE.has(typeNameOf(columnOf(cmd)?.typeName)))
      .map(({ relation, cmd, table }) => hit(`changing ${formatRelation(relation)}.${cmd.name ?? ''} to ${typeNameOf(columnOf(cmd)?.typeName)} is free only if it widens the old type; otherwise the table is rewritten`, table.location)),
  },
  {
    id: 'add-column-volatile-default',
    severity: 'error',
    lock: 'ACCESS EXCLUSIVE on the table while every row is rewritten with its own value',
    why: 'A constant or stable default (0, now()) is stored once in the catalog (PostgreSQL 11+); a volatile one (random(), gen_random_uuid(), clock_timestamp()) is computed per row, which rewrites the table.',
    fix: 'Add the column without a default (or with a constant one), set the volatile default afterwards with ALTER COLUMN SET DEFAULT (new rows only), and backfill existing rows in batches.',
    bad: { sql: `${LOCK_TIMEOUT}alter table app.users add column token uuid default gen_random_uuid();` },
    good: { sql: `${LOCK_TIMEOUT}alter table app.users add column token uuid;\nalter table app.users alter column token set default gen_random_uuid();` },
    check: (context) => addedColumns(context, (c) => volatilityOf(defaultOf(c)) === 'volatile' && !isSerialType(c.typeName))
      .map(({ relation, column, table }) => hit(`${formatRelation(relation)}.${column.colname ?? ''} gets a volatile default: the table is rewritten to fill it`, table.location)),
  },
  {
    id: 'add-column-default-unknown-volatility',
    severity: 'warning',
    lock: 'ACCESS EXCLUSIVE on the table; a rewrite too if the function is volatile',
    why: 'strata cannot tell from the file whether this default calls a volatile function; if it does, adding the column rewrites the table.',
    fix: 'Check the function is STABLE or IMMUTABLE (pg_proc.provolatile), or add the column without the default and set it afterwards.',
    bad: { sql: `${LOCK_TIMEOUT}alter table app.users add column code text default app.make_code();` },
    good: { sql: `${LOCK_TIMEOUT}alter table app.users add column code text default 'none';` },
    check: (context) => addedColumns(context, (c) => volatilityOf(defaultOf(c)) === 'unknown')
      .map(({ relation, column, table }) => hit(`the default of ${formatRelation(relation)}.${column.colname ?? ''} calls a function strata does not know: a volatile one rewrites the table`, table.location)),
  },
  {
    id: 'add-serial-column',
    severity: 'error',
    lock: 'ACCESS EXCLUSIVE on the table while every row is rewritten with a sequence value',
    why: "A serial column's default is nextval(), volatile: every existing row gets its own value, which rewrites the table.",
    fix: 'Add a plain bigint column, attach a sequence default afterwards (ALTER COLUMN SET DEFAULT nextval(...)), and backfill existing rows in batches.',
    bad: { sql: `${LOCK_TIMEOUT}alter table app.events add column seq bigserial;` },
    good: { sql: `${LOCK_TIMEOUT}alter table app.events add column seq bigint;` },
    check: (context) => addedColumns(context, (c) => isSerialType(c.typeName))
      .map(({ relation, column, table }) => hit(`a serial column added to ${formatRelation(relation)} rewrites the table`, table.location)),
  },
  {
    id: 'add-identity-column',
    severity: 'error',
    lock: 'ACCESS EXCLUSIVE on the table while every row is rewritten with an identity value',
    why: 'ADD COLUMN ... GENERATED AS IDENTITY fills every existing row from the sequence, which rewrites the table.',
    fix: 'Add a plain bigint column, backfill it in batches, make it NOT NULL safely, then ALTER COLUMN ... ADD GENERATED ALWAYS AS IDENTITY (no rewrite) and set the sequence past the largest value.',
    bad: { sql: `${LOCK_TIMEOUT}alter table app.events add column id bigint generated always as identity;` },
    good: { sql: 'create table app.events2 (id bigint generated always as identity primary key);' },
    check: (context) => addedColumns(context, (c) => constraintOf(c, 'CONSTR_IDENTITY'))
      .map(({ relation, column, table }) => hit(`an identity column ${column.colname ?? ''} added to ${formatRelation(relation)} rewrites the table`, table.location)),
  },
  {
    id: 'add-stored-generated-column',
    severity: 'error',
    lock: 'ACCESS EXCLUSIVE on the table while every row is rewritten with the computed value',
    why: 'A GENERATED ALWAYS AS (...) STORED column is computed and written for every existing row: a full rewrite.',
    fix: 'Add a plain column, fill it with a trigger for new rows and batches for old ones; or compute the value in a view or an expression index instead.',
    bad: { sql: `${LOCK_TIMEOUT}alter table app.orders add column total_eur numeric generated always as (total_cents / 100.0) stored;` },
    good: { sql: `${LOCK_TIMEOUT}alter table app.orders add column total_eur numeric;` },
    check: (context) => addedColumns(context, (c) => constraintOf(c, 'CONSTR_GENERATED'))
      .map(({ relation, column, table }) => hit(`a stored generated column ${column.colname ?? ''} added to ${formatRelation(relation)} rewrites the table`, table.location)),
  },
  {
    id: 'add-column-not-null-without-default',
    severity: 'error',
    lock: 'ACCESS EXCLUSIVE on the table; the statement fails on a table that has rows',
    why: 'A NOT NULL column without a default cannot be added to a table with rows: the existing rows would be NULL. It works on an empty development database and fails in production.',
    fix: 'Add the column with a constant DEFAULT (catalog-only since PostgreSQL 11), or add it nullable, backfill, and then make it NOT NULL safely.',
    bad: { sql: `${LOCK_TIMEOUT}alter table app.users add column plan text not null;` },
    good: { sql: `${LOCK_TIMEOUT}alter table app.users add column plan text not null default 'free';` },
    check: (context) => addedColumns(context, (c) => constraintOf(c, 'CONSTR_NOTNULL') && defaultOf(c) === undefined && !isSerialType(c.typeName)
      && !constraintOf(c, 'CONSTR_IDENTITY') && !constraintOf(c, 'CONSTR_GENERATED'))
      .map(({ relation, column, table }) => hit(`${formatRelation(relation)}.${column.colname ?? ''} is NOT NULL with no default: adding it fails if the table has rows`, table.location)),
  },
];
