import type { Json, SchemaObject, Snapshot } from './snapshot.js';

/**
 * Two snapshots compared object by object: what `check` reports (a down.sql that leaves something
 * behind, a stale schema.sql, a database changed by hand) and what the declarative generator will
 * plan from. Pure.
 */
export type SchemaChange =
  | { change: 'added'; object: SchemaObject }
  | { change: 'removed'; object: SchemaObject }
  | { change: 'changed'; before: SchemaObject; after: SchemaObject; fields: FieldChange[] };

export interface FieldChange {
  /** the attribute, dotted for nested ones: 'type', 'identity.start' */
  path: string;
  before: Json | undefined;
  after: Json | undefined;
}

/** What changed from `before` to `after`, in identity order. */
export function diffSnapshots(before: Snapshot, after: Snapshot): SchemaChange[] {
  const old = new Map(before.objects.map((o) => [o.identity, o]));
  const now = new Map(after.objects.map((o) => [o.identity, o]));
  const identities = [...new Set([...old.keys(), ...now.keys()])].sort();
  const changes: SchemaChange[] = [];
  for (const identity of identities) {
    const a = old.get(identity);
    const b = now.get(identity);
    if (a && !b) changes.push({ change: 'removed', object: a });
    else if (!a && b) changes.push({ change: 'added', object: b });
    else if (a && b && !sameJson(a.attributes, b.attributes)) {
      const fields = fieldChanges(a.attributes, b.attributes, '');
      if (fields.length > 0) changes.push({ change: 'changed', before: a, after: b, fields });
    }
  }
  return changes;
}

function fieldChanges(a: { [key: string]: Json } | undefined, b: { [key: string]: Json } | undefined, prefix: string): FieldChange[] {
  const keys = [...new Set([...Object.keys(a ?? {}), ...Object.keys(b ?? {})])].sort();
  return keys.flatMap((key) => {
    const x = a?.[key];
    const y = b?.[key];
    const path = prefix ? `${prefix}.${key}` : key;
    if (isRecord(x) && isRecord(y)) return fieldChanges(x, y, path);
    return sameJson(x, y) ? [] : [{ path, before: x, after: y }];
  });
}

function isRecord(value: Json | undefined): value is { [key: string]: Json } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Deep equality of plain JSON values, keys in any order (what JSON.stringify of both would say when keys come in the same order, without building the strings). */
function sameJson(a: Json | undefined, b: Json | undefined): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let k = 0; k < a.length; k++) if (!sameJson(a[k], b[k])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  // a key whose value is undefined is no key, as in JSON
  let count = 0;
  for (const key in a) {
    if (a[key] === undefined) continue;
    count++;
    if (!sameJson(a[key], b[key])) return false;
  }
  for (const key in b) if (b[key] !== undefined) count--;
  return count === 0;
}

/**
 * One line per change, as a reviewer reads them:
 *   `column public.orders.note: left behind` (with the words given for added/removed)
 *   `column public.orders.total: type numeric(12,2) -> numeric(14,2)`
 */
export function formatChange(change: SchemaChange, words: { added: string; removed: string } = { added: 'added', removed: 'removed' }): string {
  if (change.change === 'added') return `${change.object.identity}: ${words.added}`;
  if (change.change === 'removed') return `${change.object.identity}: ${words.removed}`;
  return `${change.after.identity}: ${describeFields(change.fields)}`;
}

/** `type numeric(12,2) -> numeric(14,2); notNull false -> true` */
export function describeFields(fields: readonly FieldChange[]): string {
  return fields.map((f) => `${f.path} ${show(f.before)} -> ${show(f.after)}`).join('; ');
}

/** A change as reports carry it (`--json`): plain data, with the object it is shown under. */
export interface ReportedChange {
  change: SchemaChange['change'];
  identity: string;
  /** the object it is grouped under: a column's, constraint's, index's ... table; else itself */
  group: string;
  /** for 'changed': what differs */
  fields?: FieldChange[];
}

/** The changes in review order: grouped under their table (a table's columns, constraints, indexes together), groups by identity. */
export function inReviewOrder(changes: readonly SchemaChange[]): SchemaChange[] {
  return groupChanges(changes).flatMap((g) => g.changes);
}

/** `phrase` for each change, in review order. */
export function describeChanges<T>(changes: readonly SchemaChange[], phrase: { added(o: SchemaObject): T; removed(o: SchemaObject): T; changed(o: SchemaObject, fields: FieldChange[]): T }): T[] {
  return inReviewOrder(changes).map((c) => (c.change === 'added' ? phrase.added(c.object) : c.change === 'removed' ? phrase.removed(c.object) : phrase.changed(c.after, c.fields)));
}

export function reportedChanges(changes: readonly SchemaChange[]): ReportedChange[] {
  return inReviewOrder(changes).map((c) => {
    const object = c.change === 'changed' ? c.after : c.object;
    return { change: c.change, identity: object.identity, group: object.parent ?? object.identity, ...(c.change === 'changed' ? { fields: c.fields } : {}) };
  });
}

function show(value: Json | undefined): string {
  if (value === undefined) return '(none)';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/**
 * For each change in review order, the group worth a heading above it: its table (or other parent)
 * when it is a part of one (a column, an index, a trigger ...) or when its group has more than one
 * change; undefined for an object changed alone.
 */
export function reviewGroups(changes: readonly SchemaChange[]): Array<string | undefined> {
  return groupChanges(changes).flatMap(({ group, changes: list }) =>
    list.map((c) => {
      const object = c.change === 'changed' ? c.after : c.object;
      return list.length > 1 || object.parent !== undefined ? group : undefined;
    }));
}

/** The changes grouped under the object they belong to (a table's columns, constraints, indexes ... under the table). */
export function groupChanges(changes: readonly SchemaChange[]): Array<{ group: string; changes: SchemaChange[] }> {
  const objectOf = (c: SchemaChange) => (c.change === 'changed' ? c.after : c.object);
  const groups = new Map<string, SchemaChange[]>();
  for (const change of changes) {
    const object = objectOf(change);
    const group = object.parent ?? object.identity;
    (groups.get(group) ?? groups.set(group, []).get(group)!).push(change);
  }
  return [...groups].sort(([a], [b]) => (a < b ? -1 : 1)).map(([group, list]) => ({ group, changes: list }));
}
