/** Rules about dropping, renaming, emptying and maintaining objects that the running application uses. */
import { alterTableCommands, onExistingTable, statementsWithCtes } from './ast-helpers.js';
import { formatRelation, listItems, relationOf, relationOfNameList } from './relation-names.js';
import { hit, type LintRule } from './rule.js';
import { LOCK_TIMEOUT } from './rules-indexes.js';

const TABLE_KINDS = new Set(['OBJECT_TABLE', 'OBJECT_MATVIEW', 'OBJECT_VIEW', 'OBJECT_FOREIGN_TABLE']);

export const OBJECT_RULES: LintRule[] = [
  {
    id: 'drop-table',
    severity: 'warning',
    lock: 'ACCESS EXCLUSIVE on the table (and on the tables its foreign keys reference)',
    why: 'The data is gone for good, and application code still deployed that reads or writes the table fails at once.',
    fix: 'Stop using the table in a release first (expand/contract), keep a backup, and drop it in a later revision; accept it with a Lint-allow saying so.',
    bad: { sql: `${LOCK_TIMEOUT}drop table app.legacy_sessions;` },
    good: { sql: `${LOCK_TIMEOUT}create table app.scratch (id int);\ndrop table app.scratch;` },
    check: ({ ast, isNew, isOwned, role }) => {
      if (!('DropStmt' in ast) || !TABLE_KINDS.has(ast.DropStmt.removeType ?? '') || ast.DropStmt.removeType === 'OBJECT_VIEW') return [];
      const names = (ast.DropStmt.objects ?? []).flatMap((o) => {
        const name = relationOfNameList(listItems(o));
        return name && !isNew(name) && !(role === 'down' && isOwned(name)) ? [formatRelation(name)] : [];
      });
      return names.length === 0 ? [] : [hit(`DROP of ${names.join(', ')} deletes its data, and code still using it fails`)];
    },
  },
  {
    id: 'drop-column',
    severity: 'warning',
    lock: 'ACCESS EXCLUSIVE on the table (brief: the column is only marked dropped)',
    why: 'The column\'s data is gone, and deployed code that selects or inserts it fails (SELECT * changes shape too).',
    fix: 'Stop reading and writing the column in a release first, then drop it in a later revision; accept it with a Lint-allow saying so.',
    bad: { sql: `${LOCK_TIMEOUT}alter table app.users drop column nickname;` },
    good: { sql: `${LOCK_TIMEOUT}alter table app.users add column nickname text;` },
    check: (context) => onExistingTable(context, 'AT_DropColumn')
      .filter(({ relation, cmd }) => !(context.role === 'down' && context.isOwned(relation, cmd.name ?? '')))
      .map(({ relation, cmd, table }) => hit(`dropping ${formatRelation(relation)}.${cmd.name ?? ''} deletes its data, and code still using it fails`, table.location)),
  },
  {
    id: 'rename-table',
    severity: 'warning',
    lock: 'ACCESS EXCLUSIVE on the table (brief)',
    why: 'Deployed code still uses the old name and fails from the moment the revision commits.',
    fix: 'Rename in steps: create a view with the new name (or the old one) so both names work while the code is deployed, then remove the old name later.',
    bad: { sql: `${LOCK_TIMEOUT}alter table app.users rename to accounts;` },
    good: { sql: `${LOCK_TIMEOUT}create view app.accounts as select * from app.users;` },
    check: ({ ast, isNew, isOwned, role }) => {
      if (!('RenameStmt' in ast) || !TABLE_KINDS.has(ast.RenameStmt.renameType ?? '') || !ast.RenameStmt.relation) return [];
      const relation = relationOf(ast.RenameStmt.relation);
      return isNew(relation) || (role === 'down' && isOwned(relation)) ? [] : [hit(`renaming ${formatRelation(relation)} breaks code that still uses the old name`, ast.RenameStmt.relation.location)];
    },
  },
  {
    id: 'rename-column',
    severity: 'warning',
    lock: 'ACCESS EXCLUSIVE on the table (brief)',
    why: 'Deployed code still uses the old column name and fails from the moment the revision commits.',
    fix: 'Add the new column, write both (a trigger), backfill, move the code over, then drop the old column in a later revision.',
    bad: { sql: `${LOCK_TIMEOUT}alter table app.users rename column name to full_name;` },
    good: { sql: `${LOCK_TIMEOUT}alter table app.users add column full_name text;` },
    check: ({ ast, isNew, isOwned, role }) => {
      if (!('RenameStmt' in ast) || ast.RenameStmt.renameType !== 'OBJECT_COLUMN' || !ast.RenameStmt.relation) return [];
      const relation = relationOf(ast.RenameStmt.relation);
      const column = ast.RenameStmt.subname ?? '';
      return isNew(relation) || (role === 'down' && isOwned(relation, column)) ? [] : [hit(`renaming ${formatRelation(relation)}.${column} breaks code that still uses the old name`, ast.RenameStmt.relation.location)];
    },
  },
  {
    id: 'rename-schema',
    severity: 'warning',
    lock: 'no table lock; every qualified name and search_path setting that names the schema breaks',
    why: 'Code, functions, views written as text (function bodies) and search_path settings name the schema; after the rename they point at nothing.',
    fix: 'Create the new schema and move objects one by one with ALTER ... SET SCHEMA while the code moves over, or keep the name.',
    bad: { sql: 'alter schema app rename to core;' },
    good: { sql: 'create schema core;' },
    check: ({ ast }) => ('RenameStmt' in ast && ast.RenameStmt.renameType === 'OBJECT_SCHEMA' ? [hit(`renaming schema ${ast.RenameStmt.subname ?? ''} breaks every name qualified with it`)] : []),
  },
  {
    id: 'drop-cascade',
    severity: 'warning',
    lock: 'ACCESS EXCLUSIVE on every object it drops, which the file does not name',
    why: 'CASCADE silently drops whatever depends on the object (views, foreign keys, defaults, whole tables for a schema): the revision does more than it says.',
    fix: 'Drop the dependent objects by name first, then the object itself without CASCADE: a forgotten dependency then fails loudly.',
    bad: { sql: `${LOCK_TIMEOUT}drop type app.mood cascade;` },
    good: { sql: `${LOCK_TIMEOUT}drop type app.mood;` },
    check: ({ ast }) => ('DropStmt' in ast && ast.DropStmt.behavior === 'DROP_CASCADE'
      ? [hit(`DROP ${(ast.DropStmt.removeType ?? '').slice('OBJECT_'.length).replace('_', ' ')} ... CASCADE drops objects the file does not name`)]
      : []),
  },
  {
    id: 'truncate',
    severity: 'error',
    lock: 'ACCESS EXCLUSIVE on the table: every query on it waits',
    why: 'TRUNCATE deletes every row of a production table, and it is not undone by down.sql.',
    fix: 'Delete only the rows meant, with a WHERE clause (in batches for a large table); if emptying is really meant, say why in a Lint-allow.',
    bad: { sql: `${LOCK_TIMEOUT}truncate app.sessions;` },
    good: { sql: `delete from app.sessions where expires_at < now();` },
    check: ({ ast, isNew }) => {
      if (!('TruncateStmt' in ast)) return [];
      const names = (ast.TruncateStmt.relations ?? []).flatMap((r) => ('RangeVar' in r && !isNew(relationOf(r.RangeVar)) ? [formatRelation(relationOf(r.RangeVar))] : []));
      return names.length === 0 ? [] : [hit(`TRUNCATE ${names.join(', ')} deletes every row`)];
    },
  },
  {
    id: 'delete-without-where',
    severity: 'error',
    lock: 'ROW EXCLUSIVE on the table; a row lock on every row',
    why: 'DELETE without WHERE empties the table in production, where it holds data that a development database does not.',
    fix: 'Add the WHERE clause meant; to empty a table deliberately, say why in a Lint-allow.',
    bad: { sql: 'delete from app.sessions;' },
    good: { sql: 'delete from app.sessions where expires_at < now();' },
    check: ({ ast: statement, isNew }) => statementsWithCtes(statement).flatMap((ast) => ('DeleteStmt' in ast && !ast.DeleteStmt.whereClause && ast.DeleteStmt.relation && !isNew(relationOf(ast.DeleteStmt.relation))
      ? [hit(`DELETE without WHERE deletes every row of ${formatRelation(relationOf(ast.DeleteStmt.relation))}`, ast === statement ? undefined : ast.DeleteStmt.relation.location)]
      : [])),
  },
  {
    id: 'update-without-where',
    severity: 'error',
    lock: 'ROW EXCLUSIVE on the table; a row lock on every row for the rest of the transaction',
    why: 'UPDATE without WHERE rewrites every row of the table in one transaction: it locks every row against other writers until commit and bloats the table.',
    fix: 'Add the WHERE clause meant, and backfill large tables in batches (a WHERE on a key range per statement).',
    bad: { sql: "update app.users set plan = 'free';" },
    good: { sql: "update app.users set plan = 'free' where plan is null and id between 1 and 10000;" },
    check: ({ ast: statement, isNew }) => statementsWithCtes(statement).flatMap((ast) => ('UpdateStmt' in ast && !ast.UpdateStmt.whereClause && ast.UpdateStmt.relation && !isNew(relationOf(ast.UpdateStmt.relation))
      ? [hit(`UPDATE without WHERE changes every row of ${formatRelation(relationOf(ast.UpdateStmt.relation))}`, ast === statement ? undefined : ast.UpdateStmt.relation.location)]
      : [])),
  },
  {
    id: 'vacuum-full',
    severity: 'error',
    lock: 'ACCESS EXCLUSIVE on the table while it is rewritten',
    why: 'VACUUM FULL rewrites the whole table and its indexes, blocking reads and writes for the whole time.',
    fix: 'Use plain VACUUM (no blocking lock), or an online tool such as pg_repack outside the migration.',
    bad: { sql: `${LOCK_TIMEOUT}vacuum (full) app.events;`, transactional: false },
    good: { sql: 'vacuum (analyze) app.events;', transactional: false },
    check: ({ ast }) => ('VacuumStmt' in ast && ast.VacuumStmt.is_vacuumcmd && (ast.VacuumStmt.options ?? []).some((o) => 'DefElem' in o && o.DefElem.defname === 'full')
      ? [hit('VACUUM FULL rewrites the table while reads and writes wait')]
      : []),
  },
  {
    id: 'cluster',
    severity: 'error',
    lock: 'ACCESS EXCLUSIVE on the table while it is rewritten in index order',
    why: 'CLUSTER rewrites the whole table and its indexes, blocking reads and writes for the whole time.',
    fix: 'Leave physical order to maintenance (pg_repack --order-by can do it online), not to a migration.',
    bad: { sql: `${LOCK_TIMEOUT}cluster app.events using events_created_idx;` },
    good: { sql: 'analyze app.events;' },
    check: ({ ast }) => ('ClusterStmt' in ast ? [hit('CLUSTER rewrites the table while reads and writes wait')] : []),
  },
  {
    id: 'lock-table',
    severity: 'warning',
    lock: 'the mode it names (ACCESS EXCLUSIVE by default), until the transaction ends',
    why: 'An explicit LOCK TABLE holds its lock for the rest of the revision, usually stronger and longer than the statements after it need.',
    fix: 'Leave the locking to the statements themselves, set lock_timeout, and keep the revision short.',
    bad: { sql: `${LOCK_TIMEOUT}lock table app.orders in access exclusive mode;` },
    good: { sql: `${LOCK_TIMEOUT}alter table app.orders alter column note set statistics 200;` },
    check: ({ ast, isNew }) => {
      if (!('LockStmt' in ast)) return [];
      const names = (ast.LockStmt.relations ?? []).flatMap((r) => ('RangeVar' in r && !isNew(relationOf(r.RangeVar)) ? [formatRelation(relationOf(r.RangeVar))] : []));
      return names.length === 0 ? [] : [hit(`LOCK TABLE ${names.join(', ')} holds the lock until the revision commits`)];
    },
  },
  {
    id: 'create-trigger-on-existing-table',
    severity: 'warning',
    lock: 'SHARE ROW EXCLUSIVE on the table: writes wait while it is taken',
    why: 'Creating the trigger blocks writes while it waits for the lock, and from then on the trigger runs inside every write of a busy table.',
    fix: 'Set lock_timeout so the wait is bounded, and make sure the trigger function is cheap; create it with the table when the table is new.',
    bad: { sql: `${LOCK_TIMEOUT}create trigger orders_audit after update on app.orders for each row execute function app.audit();` },
    good: { sql: 'create table app.notes (id int);\ncreate trigger notes_audit after update on app.notes for each row execute function app.audit();' },
    check: ({ ast, isNew }) => ('CreateTrigStmt' in ast && ast.CreateTrigStmt.relation && !isNew(relationOf(ast.CreateTrigStmt.relation))
      ? [hit(`CREATE TRIGGER on ${formatRelation(relationOf(ast.CreateTrigStmt.relation))} blocks its writes while it waits for the lock`, ast.CreateTrigStmt.relation.location)]
      : []),
  },
  {
    id: 'disable-trigger',
    severity: 'warning',
    lock: 'SHARE ROW EXCLUSIVE on the table',
    why: "Disabling triggers (ALL or USER includes foreign keys' internal triggers with ALL) lets writes skip the checks and side effects they enforce, for every session, until re-enabled: if the revision stops halfway, they stay off.",
    fix: 'Do the data fix without disabling triggers, or disable a single named trigger in the same transaction as the fix and enable it again before the end.',
    bad: { sql: 'alter table app.orders disable trigger all;' },
    good: { sql: 'alter table app.orders enable trigger orders_audit;' },
    check: (context) => alterTableCommands(context.ast)
      .filter((a) => ['AT_DisableTrig', 'AT_DisableTrigAll', 'AT_DisableTrigUser'].includes(a.cmd.subtype ?? '') && !context.isNew(a.relation))
      .map(({ relation, table }) => hit(`DISABLE TRIGGER on ${formatRelation(relation)} turns off what its triggers enforce for every session`, table.location)),
  },
  {
    id: 'set-tablespace',
    severity: 'error',
    lock: 'ACCESS EXCLUSIVE on the table while its files are copied',
    why: 'Moving a table to another tablespace copies all its data with reads and writes blocked.',
    fix: 'Move tables outside migrations (pg_repack --tablespace does it online), or accept it with a Lint-allow for a small table.',
    bad: { sql: `${LOCK_TIMEOUT}alter table app.events set tablespace archive;` },
    good: { sql: 'create table app.events_archive (id int) tablespace archive;' },
    check: (context) => onExistingTable(context, 'AT_SetTableSpace').map(({ relation, table }) => hit(`SET TABLESPACE copies ${formatRelation(relation)} while reads and writes wait`, table.location)),
  },
  {
    id: 'set-logged-unlogged',
    severity: 'error',
    lock: 'ACCESS EXCLUSIVE on the table while it is rewritten',
    why: 'SET LOGGED and SET UNLOGGED rewrite the whole table; an unlogged table is also emptied after a crash and not replicated.',
    fix: 'Choose UNLOGGED when creating the table; to change it, build a new table and switch over.',
    bad: { sql: `${LOCK_TIMEOUT}alter table app.events set unlogged;` },
    good: { sql: 'create unlogged table app.import_buffer (line text);' },
    check: (context) => [...onExistingTable(context, 'AT_SetLogged'), ...onExistingTable(context, 'AT_SetUnLogged')]
      .map(({ relation, cmd, table }) => hit(`${cmd.subtype === 'AT_SetLogged' ? 'SET LOGGED' : 'SET UNLOGGED'} rewrites ${formatRelation(relation)}`, table.location)),
  },
];
