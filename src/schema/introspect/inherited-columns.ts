/**
 * Columns in a hierarchy of tables (INHERITS, PARTITION OF) whose default or NOT NULL is not what
 * CREATE TABLE gives them. CREATE TABLE gives a child's column its parents' default (a column the
 * child also declares keeps its own, when it declares one) and their NOT NULL; ALTER TABLE ONLY on
 * the child or on a parent since, or a table attached as a partition, leaves a column with a
 * default or a NOT NULL of its own. Such a column is set after the tables, one ALTER TABLE ONLY
 * statement each (the column's create), once every table below it exists: each table is then
 * created with what its parents' CREATE TABLE gave them, and what a parent is set to afterwards
 * reaches none of its children. Left out of a CREATE TABLE and set that way too: a NOT NULL that a
 * table below does not have (a child can drop an inherited NOT NULL on PostgreSQL 15 but not on
 * 18, where it is a constraint its children inherit), and the default of a column that a table
 * below inherits from two parents (CREATE TABLE refuses a child whose parents' defaults differ).
 *
 * Not written, and listed by unmodelled.ts instead: a column without the NOT NULL of an identity
 * column it inherits, from its parent or above (an identity column is always NOT NULL).
 */
export interface ColumnAsInherited {
  quoted: string;
  isLocal: boolean;
  /** null for a generated or identity column */
  default: string | null;
  notNull: boolean;
  /** generated or identity: no default of its own to compare */
  isGeneratedOrIdentity: boolean;
  isIdentity: boolean;
}

export interface TableAsInherited<C extends ColumnAsInherited> {
  /** schema.name as quote_ident writes them */
  qualified: string;
  isPartitioned: boolean;
  /** its parents' qualified names, in pg_inherits order */
  parents: readonly string[];
  columns: readonly C[];
}

export interface InheritedColumns<C> {
  /** local NOT NULL columns written without it in their CREATE TABLE (a table below does not have it) */
  notNullSetAfter: ReadonlySet<C>;
  /** local columns written without their default in their CREATE TABLE (a table below inherits them twice) */
  defaultSetAfter: ReadonlySet<C>;
  /** a column's ALTER TABLE ONLY statements and the tables that must exist before them */
  setAfter: ReadonlyMap<C, { statements: string[]; after: string[] }>;
}

interface Created {
  default: string | null;
  notNull: boolean;
}

export function planInheritedColumns<C extends ColumnAsInherited>(tables: ReadonlyArray<TableAsInherited<C>>): InheritedColumns<C> {
  const byName = new Map(tables.map((table) => [table.qualified, table]));
  const children = new Map<TableAsInherited<C>, Array<TableAsInherited<C>>>();
  for (const table of tables) {
    for (const name of table.parents) {
      const parent = byName.get(name);
      if (parent) (children.get(parent) ?? children.set(parent, []).get(parent)!).push(table);
    }
  }
  const descendantsOf = new Map<TableAsInherited<C>, Array<TableAsInherited<C>>>();
  const descendants = (table: TableAsInherited<C>): Array<TableAsInherited<C>> => {
    const known = descendantsOf.get(table);
    if (known) return known;
    const found = new Set<TableAsInherited<C>>();
    for (const child of children.get(table) ?? []) for (const below of [child, ...descendants(child)]) found.add(below);
    descendantsOf.set(table, [...found]);
    return descendantsOf.get(table)!;
  };
  const columnOf = (table: TableAsInherited<C>, quoted: string) => table.columns.find((column) => column.quoted === quoted);

  // a column a table inherits from two parents: no default above it in any CREATE TABLE
  const defaultSetAfter = new Set<C>();
  const addAncestors = (table: TableAsInherited<C>, quoted: string, found: Set<C>): void => {
    for (const name of table.parents) {
      const parent = byName.get(name);
      const column = parent && columnOf(parent, quoted);
      if (!parent || !column || found.has(column)) continue;
      found.add(column);
      addAncestors(parent, quoted, found);
    }
  };
  for (const table of tables) {
    if (table.parents.length < 2) continue;
    for (const column of table.columns) {
      const inheritedFrom = table.parents.filter((name) => { const parent = byName.get(name); return parent !== undefined && columnOf(parent, column.quoted) !== undefined; });
      if (inheritedFrom.length < 2) continue;
      const above = new Set<C>();
      addAncestors(table, column.quoted, above);
      for (const ancestor of above) if (ancestor.isLocal && ancestor.default !== null) defaultSetAfter.add(ancestor);
    }
  }

  const notNullSetAfter = new Set<C>();
  for (const table of tables) {
    if (!children.has(table)) continue;
    for (const column of table.columns) {
      if (!column.isLocal || !column.notNull || column.isIdentity) continue;
      if (descendants(table).some((d) => columnOf(d, column.quoted)?.notNull === false)) notNullSetAfter.add(column);
    }
  }

  const created = new Map<C, Created>();
  const createdOf = (table: TableAsInherited<C>, column: C): Created => {
    const known = created.get(column);
    if (known) return known;
    const inherited = table.parents.flatMap((name) => {
      const parent = byName.get(name);
      const parentColumn = parent && columnOf(parent, column.quoted);
      return parent && parentColumn ? [createdOf(parent, parentColumn)] : [];
    });
    const declared = column.isLocal && !defaultSetAfter.has(column) ? column.default : null;
    const result = {
      default: column.isGeneratedOrIdentity ? null : declared ?? inherited.find((c) => c.default !== null)?.default ?? null,
      notNull: (column.isLocal && column.notNull && !notNullSetAfter.has(column)) || column.isIdentity || inherited.some((c) => c.notNull),
    };
    created.set(column, result);
    return result;
  };

  const setAfter = new Map<C, { statements: string[]; after: string[] }>();
  for (const table of tables) {
    if (table.parents.length === 0 && !children.has(table)) continue;
    for (const column of table.columns) {
      const made = createdOf(table, column);
      const statements: string[] = [];
      const alter = (only: boolean, action: string) => statements.push(`alter table ${only ? 'only ' : ''}${table.qualified} alter column ${column.quoted} ${action};`);
      if (!column.isGeneratedOrIdentity && made.default !== column.default) alter(true, column.default === null ? 'drop default' : `set default ${column.default}`);
      // a partitioned table's partitions all have its NOT NULL (PostgreSQL 18 refuses ONLY there)
      if (column.notNull && !made.notNull) alter(!table.isPartitioned, 'set not null');
      if (statements.length > 0) setAfter.set(column, { statements, after: descendants(table).map((d) => `table ${d.qualified}`).sort() });
    }
  }
  return { notNullSetAfter, defaultSetAfter, setAfter };
}
