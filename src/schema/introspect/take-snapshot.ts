import { DatabaseQueryError, type Database } from '../../db/database.js';
import type { Snapshot, UnmodelledObject } from '../model/snapshot.js';
import type { CatalogFamily, CatalogObject, IntrospectOptions } from './catalog-family.js';
import { CATALOG_FAMILIES } from './families.js';
import { commentObjects } from './comments.js';
import { readUnmodelled, unmodelledSql } from './unmodelled.js';

/**
 * Reads the schema of `db` into a snapshot: every catalog family, the dependencies between what
 * they read and the objects the model does not cover, in one statement inside one REPEATABLE
 * READ, read-only transaction (three round trips: begin, the read, commit).
 */
export async function takeSnapshot(db: Database, options: IntrospectOptions, families: readonly CatalogFamily[] = CATALOG_FAMILIES): Promise<Snapshot> {
  const columns = families.map((family, k) => `(${family.sql(options)}) as f${k}`);
  const text = `select ${[...columns, `(${DEPENDENCIES_SQL}) as dependencies`, `(${COMMENTS_SQL}) as comments`, `(${unmodelledSql(options)}) as unmodelled`].join(',\n')}`;
  await Promise.all(families.map((family) => family.prepare?.(options)));
  let row: Record<string, unknown> | undefined;
  // pg_get_*def and format_type qualify a name unless its schema is on the search_path: read with
  // only pg_catalog on it, so every definition names its schema, whatever the session's path is
  const begun = await db.runScript('begin isolation level repeatable read, read only; set local search_path = pg_catalog;');
  if (!begun.ok) throw new DatabaseQueryError(begun.error);
  try {
    [row] = await db.query<Record<string, unknown>>(text, [options.excludedSchemas]);
  } finally {
    await db.query('commit').catch(() => {});
  }
  const objects = families.flatMap((family, k) => family.read(parseJson(row?.[`f${k}`]), options));
  return assemble(objects, parseJson(row?.dependencies) as DependencyRow[] | null, readUnmodelled(parseJson(row?.unmodelled)), parseJson(row?.comments) as CommentRow[] | null);
}

/** pg and PGlite hand json back parsed; a text column would come as a string */
function parseJson(value: unknown): unknown {
  return typeof value === 'string' ? JSON.parse(value) : value ?? null;
}

/** [catalog, objid, objsubid, refcatalog, refobjid, refobjsubid] for normal and automatic dependencies between non-system objects */
type DependencyRow = [string, number, number, string, number, number];

const DEPENDENCIES_SQL = `select json_agg(json_build_array(classid::regclass::text, objid, objsubid, refclassid::regclass::text, refobjid, refobjsubid))
  from pg_depend where deptype in ('n', 'a') and objid >= 16384 and refobjid >= 16384`;

/** [catalog, objoid, objsubid, text] of every comment on a non-system object */
type CommentRow = [string, number, number, string];

const COMMENTS_SQL = `select json_agg(json_build_array(classoid::regclass::text, objoid, objsubid, description)) from pg_description where objoid >= 16384`;

/** Resolves the dependencies to identities, drops refs, sorts: the snapshot as compared and written. */
export function assemble(read: readonly CatalogObject[], dependencies: readonly DependencyRow[] | null, unmodelled: UnmodelledObject[], comments: readonly CommentRow[] | null = []): Snapshot {
  const byRef = new Map<string, string>();
  for (const object of read) for (const ref of object.refs) byRef.set(ref, object.identity);
  const resolve = (catalog: string, oid: number, subid: number) => byRef.get(`${catalog}:${oid}:${subid}`) ?? (subid !== 0 ? byRef.get(`${catalog}:${oid}:0`) : undefined);
  const commented = commentObjects(read, comments ?? [], (catalog, oid, subid) => byRef.get(`${catalog}:${oid}:${subid}`));
  const objects = [...read, ...commented.objects];
  unmodelled = [...unmodelled, ...commented.unmodelled];
  const needs = new Map<string, Set<string>>();
  for (const [catalog, oid, subid, refCatalog, refOid, refSubid] of dependencies ?? []) {
    const from = resolve(catalog, oid, subid);
    const to = resolve(refCatalog, refOid, refSubid);
    if (from === undefined || to === undefined || from === to) continue;
    (needs.get(from) ?? needs.set(from, new Set()).get(from)!).add(to);
  }
  passNeedsToParents(objects, needs);
  const seen = new Set<string>();
  const result = objects.map(({ refs: _refs, ...object }) => {
    if (seen.has(object.identity)) throw new Error(`two objects read as ${object.identity}`);
    seen.add(object.identity);
    const dependsOn = new Set([...object.dependsOn, ...(needs.get(object.identity) ?? [])]);
    if (object.parent) dependsOn.add(object.parent);
    dependsOn.delete(object.identity);
    return { ...object, dependsOn: [...dependsOn].sort() };
  });
  return {
    objects: result.sort((a, b) => (a.identity < b.identity ? -1 : a.identity > b.identity ? 1 : 0)),
    unmodelled: [...unmodelled].sort((a, b) => (a.kind === b.kind ? (a.identity < b.identity ? -1 : 1) : a.kind < b.kind ? -1 : 1)),
  };
}

/**
 * What an object written inside its parent needs (a column's type, the sequence of its default),
 * its parent's create needs: the CREATE TABLE that writes the column must come after them. Not
 * what it needs of its parent or of the parent's other children (a generated column's other column).
 */
function passNeedsToParents(objects: readonly CatalogObject[], needs: Map<string, Set<string>>): void {
  const parentOf = new Map(objects.filter((o) => o.create === '' && o.parent).map((o) => [o.identity, o.parent!]));
  for (const [identity, parent] of parentOf) {
    for (const need of needs.get(identity) ?? []) {
      if (need === parent || parentOf.get(need) === parent) continue;
      (needs.get(parent) ?? needs.set(parent, new Set()).get(parent)!).add(need);
    }
  }
}
