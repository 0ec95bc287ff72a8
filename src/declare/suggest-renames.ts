import type { SchemaChange } from '../schema/model/diff.js';
import type { SchemaObject } from '../schema/model/snapshot.js';
import { lastName, qualifiedName, routineName, unquote } from './identities.js';

/**
 * Renames are never guessed, but a drop and an add that look alike (a column of the same type in
 * the same table, an index with the same definition, a table with mostly the same columns) are
 * named, with the hint that would make them a rename. Pure.
 */
export interface RenameSuggestion {
  from: string;
  to: string;
  hint: string;
}

export function suggestRenames(changes: readonly SchemaChange[], current: ReadonlyMap<string, SchemaObject>, desired: ReadonlyMap<string, SchemaObject>): RenameSuggestion[] {
  const removed = changes.flatMap((c) => (c.change === 'removed' ? [c.object] : []));
  const added = changes.flatMap((c) => (c.change === 'added' ? [c.object] : []));
  const suggestions: RenameSuggestion[] = [];
  const taken = new Set<string>();
  const removedIdentities = new Set(removed.map((r) => r.identity));
  const addedByKind = new Map<string, SchemaObject[]>();
  for (const now of added) (addedByKind.get(now.kind) ?? addedByKind.set(now.kind, []).get(now.kind)!).push(now);
  for (const old of removed) {
    // objects that go with a dropped table are not suggested on their own
    if (old.parent && removedIdentities.has(old.parent)) continue;
    const candidates = (addedByKind.get(old.kind) ?? []).filter((now) => !taken.has(now.identity) && (old.parent === undefined || now.parent === old.parent) && alike(old, now, current, desired));
    if (candidates.length !== 1) continue;
    const now = candidates[0]!;
    taken.add(now.identity);
    suggestions.push({ from: old.identity, to: now.identity, hint: hintFor(old, now) });
  }
  for (const change of changes) {
    if (change.change !== 'changed' || change.after.kind !== 'type' || change.after.attributes.type !== 'enum') continue;
    const [was, now] = [change.before.attributes.labels as string[], change.after.attributes.labels as string[]];
    const gone = was.filter((l) => !now.includes(l));
    const fresh = now.filter((l) => !was.includes(l));
    if (gone.length === 1 && fresh.length === 1 && was.indexOf(gone[0]!) === now.indexOf(fresh[0]!)) {
      suggestions.push({
        from: `${change.before.identity} value '${gone[0]}'`, to: `${change.after.identity} value '${fresh[0]}'`,
        hint: `to rename the value instead of removing '${gone[0]}' (which rebuilds the type) and adding '${fresh[0]}', say so: -- strata:renamed-from '${gone[0]}' above the type, or --rename ${qualifiedName(change.after)}.${gone[0]}=${fresh[0]}`,
      });
    }
  }
  return suggestions;
}

function hintFor(old: SchemaObject, now: SchemaObject): string {
  const oldName = unquote(lastName(old.kind === 'function' || old.kind === 'procedure' ? routineName(old) : qualifiedName(old)));
  const newName = unquote(lastName(now.kind === 'function' || now.kind === 'procedure' ? routineName(now) : qualifiedName(now)));
  const where = old.kind === 'column' ? 'the column' : `the ${now.kind}`;
  return `if ${now.identity} is ${old.identity} renamed, say so and it is renamed instead of dropped and added: "-- strata:renamed-from ${oldName}" above ${where} in schema.sql, or --rename ${qualifiedName(old)}=${newName}`;
}

function alike(old: SchemaObject, now: SchemaObject, current: ReadonlyMap<string, SchemaObject>, desired: ReadonlyMap<string, SchemaObject>): boolean {
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  switch (old.kind) {
    case 'column':
      return old.attributes.type === now.attributes.type;
    case 'index':
      return withoutName(String(old.attributes.definition), old.name) === withoutName(String(now.attributes.definition), now.name);
    case 'constraint':
    case 'view':
    case 'materialized view':
      return old.attributes.definition === now.attributes.definition;
    case 'function':
    case 'procedure':
      return old.attributes.body === now.attributes.body && old.attributes.arguments === now.attributes.arguments;
    case 'sequence':
    case 'type':
    case 'domain':
      return same(old.attributes, now.attributes);
    case 'table': {
      const columns = (table: SchemaObject, objects: ReadonlyMap<string, SchemaObject>) =>
        new Set([...objects.values()].filter((c) => c.parent === table.identity && c.kind === 'column').map((c) => `${c.name} ${String(c.attributes.type)}`));
      const [a, b] = [columns(old, current), columns(now, desired)];
      const shared = [...a].filter((c) => b.has(c)).length;
      return shared > 0 && shared * 2 >= Math.max(a.size, b.size);
    }
    case 'schema': {
      const names = (schema: string, objects: ReadonlyMap<string, SchemaObject>) => [...objects.values()].filter((o) => o.schema === schema && !o.parent).map((o) => `${o.kind} ${o.name}`).sort().join('\n');
      const a = names(old.name, current);
      return a !== '' && a === names(now.name, desired);
    }
    default:
      return false;
  }
}

function withoutName(definition: string, name: string): string {
  return definition.replace(/^(CREATE (?:UNIQUE )?INDEX )\S+/, `$1`).replace(name, '');
}
