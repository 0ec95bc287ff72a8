import type { SchemaObject } from '../schema/model/snapshot.js';
import { optionAssignments, tableEntry, type PublishedTable } from '../schema/introspect/publication-sql.js';
import type { AlterResult } from './alter-table.js';
import { groupOf, qualifiedName } from './identities.js';
import { statement, type PlanContext } from './statement.js';

/**
 * A publication changed in place: ALTER PUBLICATION ... DROP TABLE / DROP TABLES IN SCHEMA for
 * what it stops listing (and for a table whose column list or row filter changes: there is no
 * ALTER for one table's entry), SET (...) for its options, then ADD TABLES IN SCHEMA / ADD TABLE.
 * Drops first: PostgreSQL 15 takes no column list in a publication that lists a schema, and no
 * row filter on a partitioned table unless publish_via_partition_root is on, so what goes must be
 * gone, and the options set, before what comes is added. Every table entry is written with ONLY:
 * each table the publication lists is an entry of its own, children by inheritance too. A table
 * whose listed or filtered column changes type is taken out before the change and added back after
 * it (PostgreSQL refuses ALTER COLUMN ... TYPE on a column a publication names). FOR ALL TABLES
 * has no ALTER to or from a list: the publication is made again. Pure.
 */
export function publicationSteps(before: SchemaObject, after: SchemaObject, context: PlanContext): AlterResult {
  const [b, a] = [before.attributes, after.attributes];
  if (a.allTables !== b.allTables) return { replace: `it changes ${a.allTables ? 'from a list of tables to FOR ALL TABLES' : 'from FOR ALL TABLES to a list'} (ALTER PUBLICATION cannot)` };
  const alter = `alter publication ${qualifiedName(after)}`;
  const [wasTables, nowTables] = [b.tables as unknown as PublishedTable[], a.tables as unknown as PublishedTable[]];
  const [wasSchemas, nowSchemas] = [b.schemas as string[], a.schemas as string[]];
  const sameEntry = (x: PublishedTable, y: PublishedTable | undefined) => y !== undefined && JSON.stringify([x.columns, x.where]) === JSON.stringify([y.columns, y.where]);
  const find = (list: readonly PublishedTable[], table: string) => list.find((t) => t.table === table);
  const retyped = retypedTables(before, context);
  const takenOut = wasTables.filter((t) => retyped.has(t.table));
  const sql = [
    ...wasTables.filter((t) => !retyped.has(t.table) && !sameEntry(t, find(nowTables, t.table))).map((t) => `${alter} drop table only ${t.table};`),
    ...wasSchemas.filter((s) => !nowSchemas.includes(s)).map((s) => `${alter} drop tables in schema ${s};`),
  ];
  const options = optionAssignments(a, b);
  if (options.length > 0) sql.push(`${alter} set (${options.join(', ')});`);
  sql.push(
    ...nowSchemas.filter((s) => !wasSchemas.includes(s)).map((s) => `${alter} add tables in schema ${s};`),
    ...nowTables.filter((t) => retyped.has(t.table) || !sameEntry(t, find(wasTables, t.table))).map((t) => `${alter} add ${tableEntry(t, true)};`),
  );
  const group = groupOf(after, context.desired);
  return { steps: { before: takenOut.map((t) => statement(`${alter} drop table only ${t.table};`, after, group)), after: sql.map((s) => statement(s, after, group)) } };
}

/** The tables (as entries name them) of the columns the publication names whose type or collation the migration changes */
function retypedTables(publication: SchemaObject, context: PlanContext): Set<string> {
  const tables = new Set<string>();
  for (const need of publication.dependsOn) {
    const column = context.current.get(need);
    const action = context.actions.get(need);
    if (column?.kind !== 'column' || action?.type !== 'alter' || !action.fields.some((f) => f.path === 'type' || f.path === 'collation')) continue;
    tables.add(column.parent!.slice('table '.length));
  }
  return tables;
}
