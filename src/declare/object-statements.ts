import type { SchemaObject } from '../schema/model/snapshot.js';
import { foreignDataDrop, isForeignColumn } from './foreign-data-changes.js';
import { ddlName, groupOf, literal, onTable, qualifiedName, routineName } from './identities.js';
import { defaultPrivilegesUndone, privilegeStatements } from './privilege-statements.js';
import { placeholderValue } from './seed-rows.js';
import { mentionedNames, splitCreate, tableColumns } from './sql-text.js';
import { statement, type GeneratedStatement, type PlanContext } from './statement.js';

/**
 * The statements that create an object (its text as schema.sql writes it, split into
 * statements, with what a migration needs instead: ADD COLUMN for a column of an existing table,
 * NOT VALID then VALIDATE for a check or foreign key on one, a materialized view with its data)
 * and those that drop it. Pure.
 */

export function createStatements(object: SchemaObject, context: PlanContext): GeneratedStatement[] {
  const group = groupOf(object, context.desired);
  const undone = defaultPrivilegesUndone(object, defaultPrivilegeEntries(context)).map((sql) => statement(sql, object, group));
  return [...objectCreate(object, context, group), ...undone];
}

const entries = new WeakMap<PlanContext, SchemaObject[]>();

/** The default privileges of either side: those in force when the migration creates something */
function defaultPrivilegeEntries(context: PlanContext): SchemaObject[] {
  let list = entries.get(context);
  if (!list) {
    list = [...context.current.values(), ...context.desired.values()].filter((o) => o.kind === 'default privileges');
    entries.set(context, list);
  }
  return list;
}

function objectCreate(object: SchemaObject, context: PlanContext, group: string): GeneratedStatement[] {
  const one = (sql: string, extra: Partial<GeneratedStatement> = {}) => statement(sql, object, group, extra);
  switch (object.kind) {
    case 'schema':
      return [one(object.create || `create schema ${qualifiedName(object)};`)];
    case 'column':
      return addColumn(object, context, group);
    case 'constraint': {
      const [table, name] = onTable(object);
      const type = object.attributes.type;
      // (a partitioned table takes no NOT VALID foreign key; a foreign table's check is not checked against rows it does not hold)
      if (!isExistingTable(object.parent!, context) || (type !== 'check' && type !== 'foreign key') || context.desired.get(object.parent!)?.attributes.partitioned === true
        || context.desired.get(object.parent!)?.kind === 'foreign table') return splitCreate(object.create).map((sql) => one(sql));
      // on a table that has rows: added without reading them (a short lock), then checked (no lock on writes)
      const [, ...rest] = splitCreate(object.create);
      return [
        one(`alter table ${table} add constraint ${name} ${String(object.attributes.definition)} not valid;`),
        ...(object.attributes.valid ? [one(`alter table ${table} validate constraint ${name};`)] : []),
        ...rest.map((sql) => one(sql)),
      ];
    }
    case 'materialized view':
      // schema.sql holds no data; a migration fills the view as it creates it
      return splitCreate(object.create.replace(/\n {2}with no data;$/, ';')).map((sql) => one(sql));
    case 'function':
    case 'procedure':
      return [one(object.create)];
    case 'privileges':
    case 'default privileges':
      return privilegeStatements(undefined, object).map((sql) => one(sql));
    default:
      return splitCreate(object.create).map((sql) => one(sql));
  }
}

/** The table exists before this migration and is not made again by it: what it holds must be kept */
export function isExistingTable(identity: string, context: PlanContext): boolean {
  const action = context.actions.get(identity);
  return context.current.has(identity) && action?.type !== 'create' && action?.type !== 'replace' && action?.type !== 'recreate';
}

function addColumn(column: SchemaObject, context: PlanContext, group: string): GeneratedStatement[] {
  const table = context.desired.get(column.parent!)!;
  const [tableName, name] = onTable(column);
  const definition = tableColumns(table.create)?.find((c) => c.name === name)?.definition;
  // a partition's or an inheriting table's column comes from its parent's
  if (definition === undefined) return [];
  // a foreign table's rows are elsewhere: nothing is rewritten
  if (table.kind === 'foreign table') return [statement(`alter foreign table ${tableName} add column ${definition};`, column, group)];
  if (needsValues(column) && isExistingTable(table.identity, context)) return addColumnToRows(column, definition, context, group);
  return [statement(`alter table ${tableName} add column ${definition};`, column, group, fillsEveryRow(column, context) ? { rewrites: table.identity } : {})];
}

/** NOT NULL with nothing to fill it: ADD COLUMN fails on a table that has rows */
function needsValues(column: SchemaObject): boolean {
  const a = column.attributes;
  return a.notNull === true && a.default === null && a.identity === null && a.generated === null;
}

/**
 * Such a column added to a table that may have rows. In up.sql only the user knows the values:
 * refused, with how to declare it. In down.sql the column comes back after up.sql dropped it and
 * its values: the rows that exist get a placeholder of its type (written as a default, which is
 * dropped again), so that NOT NULL holds and the schema is exactly what it was.
 */
function addColumnToRows(column: SchemaObject, definition: string, context: PlanContext, group: string): GeneratedStatement[] {
  const [tableName, name] = onTable(column);
  const type = String(column.attributes.type);
  const fill = context.direction === 'down' ? placeholderValue(type, (identity) => context.desired.get(identity)) : undefined;
  if (fill === undefined) {
    context.refusals.push({
      identity: column.identity, kind: 'column',
      reason: context.direction === 'up'
        ? `it is declared NOT NULL without a default, and ${tableName} exists already: ADD COLUMN fails on a table that has rows. Declare a default (${name} ${type} not null default ...), or declare it without NOT NULL, fill it in a revision of your own, then declare NOT NULL`
        : `it is NOT NULL without a default, and strata has no placeholder value of type ${type} for the rows that exist when down.sql adds it back: write this revision by hand`,
    });
    return [];
  }
  return [
    statement(`alter table ${tableName} add column ${definition} default ${fill};`, column, group, { note: `up.sql dropped its values: the rows that exist get ${fill} so that NOT NULL holds` }),
    statement(`alter table ${tableName} alter column ${name} drop default;`, column, group),
  ];
}

const VOLATILE_BUILTINS = new Set(['nextval', 'random', 'random_normal', 'clock_timestamp', 'timeofday', 'gen_random_uuid', 'uuid_generate_v1', 'uuid_generate_v1mc', 'uuid_generate_v4', 'txid_current', 'setseed']);

/** ADD COLUMN writes every row (a table rewrite) for an identity, a stored generated column or a volatile default */
function fillsEveryRow(column: SchemaObject, context: PlanContext): boolean {
  const a = column.attributes;
  if (a.identity !== null || a.generated !== null) return true;
  if (typeof a.default !== 'string') return false;
  const volatileFunctions = new Set([...context.desired.values()].filter((o) => o.kind === 'function' && o.attributes.volatility === 'volatile').map((o) => routineName(o)));
  return mentionedNames(a.default).some((parts) => VOLATILE_BUILTINS.has(parts[parts.length - 1]!) || volatileFunctions.has(parts.join('.')));
}

export function dropStatements(object: SchemaObject, context: PlanContext): GeneratedStatement[] {
  const group = groupOf(object, context.current);
  const one = (sql: string, extra: Partial<GeneratedStatement> = {}) => statement(sql, object, group, extra);
  const name = qualifiedName(object);
  switch (object.kind) {
    case 'table':
      return [one(`drop table ${name};`, { destructive: `drops table ${name} and its rows` })];
    case 'column': {
      const [table, column] = onTable(object);
      // a generated column's values are computed, a foreign table's are elsewhere: nothing is lost
      if (isForeignColumn(object)) return [one(`alter foreign table ${table} drop column ${column};`)];
      return [one(`alter table ${table} drop column ${column};`, object.attributes.generated === null ? { destructive: `drops column ${column} of ${table} and its values` } : {})];
    }
    case 'constraint': {
      const [table, constraint] = onTable(object);
      return [one(`alter ${context.current.get(object.parent!)?.kind === 'foreign table' ? 'foreign table' : 'table'} ${table} drop constraint ${constraint};`)];
    }
    case 'trigger':
    case 'rule':
    case 'policy': {
      const [table, child] = onTable(object);
      return [one(`drop ${object.kind} ${child} on ${table};`)];
    }
    case 'sequence owned by':
      return [one(`alter sequence ${name} owned by none;`)];
    case 'comment': {
      const text = String(object.attributes.text);
      return [one(`${object.create.slice(0, object.create.length - (` is ${literal(text)};`).length)} is null;`)];
    }
    case 'privileges':
    case 'default privileges':
      return privilegeStatements(object, undefined).map((sql) => one(sql));
    case 'aggregate':
      return [one(`drop aggregate ${ddlName(object)};`)];
    case 'foreign-data wrapper':
    case 'server':
    case 'user mapping':
    case 'foreign table':
      return [one(foreignDataDrop(object))];
    case 'subscription':
      // DROP SUBSCRIPTION leaves the subscription's comment behind in pg_description (PostgreSQL 15)
      return [...(context.current.has(`comment on ${object.identity}`) ? [one(`comment on subscription ${name} is null;`)] : []), one(`drop subscription ${name};`)];
    case 'schema':
    case 'extension':
    case 'collation':
    case 'type':
    case 'domain':
    case 'sequence':
    case 'index':
    case 'view':
    case 'materialized view':
    case 'function':
    case 'procedure':
    case 'event trigger':
    case 'publication':
      return [one(`drop ${object.kind} ${name};`)];
  }
}
