import type { Json } from '../model/snapshot.js';

/**
 * The SQL of a publication, from its attributes: its CREATE PUBLICATION (schema.sql) and the
 * pieces ALTER PUBLICATION takes (a migration). Pure; shared by the publications family and the
 * generator so that both write a table entry and the WITH options the same way.
 */

/** One table a publication lists: quoted and schema-qualified, its column list (quoted, sorted) and row filter */
export interface PublishedTable {
  table: string;
  /** ONLY: the table has children by inheritance, each listed (or not) on its own */
  only?: boolean;
  columns: string[] | null;
  where: string | null;
}

/** what `publish` is when not given: every action */
const EVERY_ACTION = ['insert', 'update', 'delete', 'truncate'];

/** `table only public.t (a, b) where ((a > 0))`: as FOR TABLE and ADD TABLE take it */
export function tableEntry(entry: PublishedTable, only = entry.only === true): string {
  const columns = entry.columns === null ? '' : ` (${entry.columns.join(', ')})`;
  const where = entry.where === null ? '' : ` where (${entry.where})`;
  return `table ${only ? 'only ' : ''}${entry.table}${columns}${where}`;
}

/** `publish = 'insert, update'`, ... for each option of `after` that differs from `before` (from the defaults when there is no `before`) */
export function optionAssignments(after: { [key: string]: Json }, before?: { [key: string]: Json }): string[] {
  const was = before ?? { publish: EVERY_ACTION, viaPartitionRoot: false, generatedColumns: 'none' };
  const assignments: string[] = [];
  if ((after.publish as string[]).join(', ') !== (was.publish as string[]).join(', ')) assignments.push(`publish = '${(after.publish as string[]).join(', ')}'`);
  if (after.viaPartitionRoot !== was.viaPartitionRoot) assignments.push(`publish_via_partition_root = ${String(after.viaPartitionRoot)}`);
  if (after.generatedColumns !== was.generatedColumns) assignments.push(`publish_generated_columns = ${String(after.generatedColumns)}`);
  return assignments;
}

/**
 * CREATE PUBLICATION as schema.sql writes it: FOR ALL TABLES, or its tables then its schemas
 * (one a line when there are more than one), and WITH only the options that are not the defaults.
 */
export function publicationCreate(quoted: string, attributes: { [key: string]: Json }, tables: readonly PublishedTable[]): string {
  const schemas = attributes.schemas as string[];
  const elements = [...tables.map((t) => tableEntry(t)), ...(schemas.length > 0 ? [`tables in schema ${schemas.join(', ')}`] : [])];
  const options = optionAssignments(attributes);
  const withClause = options.length === 0 ? '' : ` with (${options.join(', ')})`;
  if (attributes.allTables === true) return `create publication ${quoted} for all tables${withClause};`;
  if (elements.length === 0) return `create publication ${quoted}${withClause};`;
  if (elements.length === 1) return `create publication ${quoted} for ${elements[0]}${withClause};`;
  return `create publication ${quoted} for\n${elements.map((e) => `    ${e}`).join(',\n')}${withClause === '' ? '' : `\n ${withClause}`};`;
}
