import { DatabaseQueryError, type Database } from '../../db/database.js';
import type { SchemaObject, Snapshot, UnmodelledObject } from '../model/snapshot.js';
import type { CatalogFamily, CatalogObject, IntrospectOptions } from './catalog-family.js';
import { CATALOG_FAMILIES } from './families.js';
import { commentObjects } from './comments.js';
import { readUnmodelled, unmodelledSql } from './unmodelled.js';

/**
 * Reads the schema of `db` into a snapshot: every catalog family, the dependencies between what
 * they read and the objects the model does not cover, in one statement inside one REPEATABLE
 * READ, read-only transaction (three round trips: begin, the read, commit).
 */
export async function takeSnapshot(db: Database, given: IntrospectOptions, families: readonly CatalogFamily[] = CATALOG_FAMILIES): Promise<Snapshot> {
  const options: IntrospectOptions = { ...given, superuser: db.reportedSetting('is_superuser') === 'on' };
  const columns = families.map((family, k) => `(${family.sql(options)}) as f${k}`);
  const text = `select ${[...columns, `(${DEPENDENCIES_SQL}) as dependencies`, `(${COMMENTS_SQL}) as comments`, `(${unmodelledSql(options)}) as unmodelled`].join(',\n')}`;
  await Promise.all(families.map((family) => family.prepare?.(options)));
  let row: Record<string, unknown> | undefined;
  // pg_get_*def and format_type qualify a name unless its schema is on the search_path: read with
  // only pg_catalog on it, so every definition names its schema, whatever the session's path is.
  // Without JIT: the statement's estimated cost is far above jit_above_cost, and compiling its
  // expressions took 500 ms of a 650 ms read of 16,000 objects on PostgreSQL 15 (bench/README.md)
  const begun = await db.runScript('begin isolation level repeatable read, read only; set local search_path = pg_catalog; set local jit = off;');
  if (!begun.ok) throw new DatabaseQueryError(begun.error);
  try {
    [row] = await db.query<Record<string, unknown>>(text, [options.excludedSchemas]);
  } finally {
    await db.query('commit').catch(() => {});
  }
  const objects = families.flatMap((family, k) => family.read(parseJson(row?.[`f${k}`]), options));
  return assemble(objects, parseJson(row?.dependencies) as DependencyGroup[] | null, readUnmodelled(parseJson(row?.unmodelled)), parseJson(row?.comments) as CommentRow[] | null);
}

/** pg and PGlite hand json back parsed; a text column would come as a string */
function parseJson(value: unknown): unknown {
  return typeof value === 'string' ? JSON.parse(value) : value ?? null;
}

/**
 * Normal and automatic dependencies between non-system objects, grouped by the pair of catalogs:
 * [catalog, refcatalog, [objid, objsubid, refobjid, refobjsubid][]] (each catalog named once per
 * group, not once per row)
 */
type DependencyGroup = [string, string, Array<[number, number, number, number]>];

const DEPENDENCIES_SQL = `select json_agg(json_build_array(g.catalog, g.refcatalog, g.pairs)) from (
    select classid::regclass::text as catalog, refclassid::regclass::text as refcatalog, json_agg(array[objid::int8, objsubid, refobjid::int8, refobjsubid]) as pairs
    from pg_depend where deptype in ('n', 'a') and objid >= 16384 and refobjid >= 16384 group by classid, refclassid) as g`;

/** [catalog, objoid, objsubid, text] of every comment on a non-system object */
type CommentRow = [string, number, number, string];

const COMMENTS_SQL = `select json_agg(json_build_array(classoid::regclass::text, objoid, objsubid, description)) from pg_description where objoid >= 16384`;

/** Resolves the dependencies to identities, drops refs, sorts: the snapshot as compared and written. */
export function assemble(read: readonly CatalogObject[], dependencies: readonly DependencyGroup[] | null, unmodelled: UnmodelledObject[], comments: readonly CommentRow[] | null = []): Snapshot {
  const refs = new RefIndex(read);
  const commented = commentObjects(read, comments ?? [], (catalog, oid, subid) => refs.exact(catalog, oid, subid));
  const objects = [...read, ...commented.objects];
  unmodelled = [...unmodelled, ...commented.unmodelled, ...read.flatMap((o) => o.unmodelled ?? [])];
  const needs = new Map<string, Set<string>>();
  for (const [catalog, refCatalog, pairs] of dependencies ?? []) {
    const [of, refOf] = [refs.catalog(catalog), refs.catalog(refCatalog)];
    if (of === undefined || refOf === undefined) continue;
    for (const [oid, subid, refOid, refSubid] of pairs) {
      const from = RefIndex.resolve(of, oid, subid);
      if (from === undefined) continue;
      const to = RefIndex.resolve(refOf, refOid, refSubid);
      if (to === undefined || from === to) continue;
      (needs.get(from) ?? needs.set(from, new Set()).get(from)!).add(to);
    }
  }
  passNeedsToParents(objects, needs);
  const seen = new Set<string>();
  // in place: the objects are this read's own; copying each to drop its refs was most of this loop's 15-20 ms for 16,000 objects
  const result: SchemaObject[] = objects.map((object) => {
    const { identity } = object;
    if (seen.has(identity)) throw new Error(`two objects read as ${identity}`);
    seen.add(identity);
    object.dependsOn = allNeeds(object, needs.get(identity));
    delete (object as Partial<CatalogObject>).refs;
    if ((object as CatalogObject).unmodelled) delete (object as Partial<CatalogObject>).unmodelled;
    return object;
  });
  return {
    objects: result.sort((a, b) => (a.identity < b.identity ? -1 : a.identity > b.identity ? 1 : 0)),
    unmodelled: [...unmodelled].sort((a, b) => (a.kind === b.kind ? (a.identity < b.identity ? -1 : 1) : a.kind < b.kind ? -1 : 1)),
  };
}

/** What an object needs, sorted: its own list, what pg_depend adds, its parent; never itself. */
function allNeeds({ identity, dependsOn: own, parent }: CatalogObject, found: ReadonlySet<string> | undefined): string[] {
  // the common case (a column: its table; a table: its schema) without a set
  if (found === undefined && own.length <= 1 && (!parent || own.length === 0 || own[0] === parent)) {
    const only = own[0] ?? parent;
    return only && only !== identity ? [only] : [];
  }
  const all = new Set(own);
  if (found) for (const need of found) all.add(need);
  if (parent) all.add(parent);
  all.delete(identity);
  return [...all].sort();
}

/**
 * What an object written inside its parent needs (a column's type, the sequence of its default),
 * its parent's create needs: the CREATE TABLE that writes the column must come after them. Not
 * what it needs of its parent or of the parent's other children (a generated column's other column).
 * A column with a create of its own (a default or NOT NULL set after the tables) is written inside
 * its table all the same.
 */
function passNeedsToParents(objects: readonly CatalogObject[], needs: Map<string, Set<string>>): void {
  const parentOf = new Map(objects.filter((o) => (o.create === '' || o.kind === 'column') && o.parent).map((o) => [o.identity, o.parent!]));
  for (const [identity, parent] of parentOf) {
    for (const need of needs.get(identity) ?? []) {
      if (need === parent || parentOf.get(need) === parent) continue;
      (needs.get(parent) ?? needs.set(parent, new Set()).get(parent)!).add(need);
    }
  }
}

/**
 * The objects by their catalog addresses (`pg_class:16390:2`): per catalog, a map from
 * oid * 4096 + subid (a column number is at most 1600) to the identity. Numbers, not the address
 * strings: resolving pg_depend's rows by strings built per row took three times as long.
 */
class RefIndex {
  private readonly byCatalog = new Map<string, Map<number, string>>();

  constructor(objects: readonly CatalogObject[]) {
    for (const object of objects) {
      for (const ref of object.refs) {
        const [first, last] = [ref.indexOf(':'), ref.lastIndexOf(':')];
        const catalog = ref.slice(0, first);
        const map = this.byCatalog.get(catalog) ?? this.byCatalog.set(catalog, new Map()).get(catalog)!;
        map.set(Number(ref.slice(first + 1, last)) * 4096 + Number(ref.slice(last + 1)), object.identity);
      }
    }
  }

  catalog(name: string): Map<number, string> | undefined {
    return this.byCatalog.get(name);
  }

  exact(catalog: string, oid: number, subid: number): string | undefined {
    return this.byCatalog.get(catalog)?.get(oid * 4096 + subid);
  }

  /** a part (a column) of an object the snapshot holds whole resolves to the object */
  static resolve(catalog: Map<number, string>, oid: number, subid: number): string | undefined {
    return catalog.get(oid * 4096 + subid) ?? (subid !== 0 ? catalog.get(oid * 4096) : undefined);
  }
}
