/**
 * TEMPORARY stand-in for the generator that branch declare-core writes (same interface): enough of
 * tables, columns, constraints and indexes for the commands around it (strata diff, strata new
 * --from-schema, the proof) to be built and tested. Everything else is refused by name. Drop this
 * file when the real generator is merged. Pure.
 */
import { diffSnapshots, type SchemaChange } from '../schema/model/diff.js';
import type { SchemaObject, Snapshot } from '../schema/model/snapshot.js';

/** `from`, `to`: full identities, as the snapshot spells them ('column public.orders.note'); an enum value's are its type's */
export interface RenameHint { kind: 'schema' | 'table' | 'column' | 'index' | 'constraint' | 'enum value' | 'view' | 'sequence' | 'type' | 'function'; from: string; to: string; value?: { from: string; to: string } }
export interface GeneratedStatement { sql: string; identity: string; group: string; destructive?: string; rewrites?: string; ownTransaction?: boolean }
export interface Refusal { identity: string; kind: string; reason: string }
export type MigrationPlan =
  | { ok: true; up: GeneratedStatement[]; down: GeneratedStatement[]; changes: SchemaChange[]; transaction: 'on' | 'off'; downTransaction: 'on' | 'off'; renameSuggestions: Array<{ from: string; to: string; hint: string }> }
  | { ok: false; refused: Refusal[] };

const HANDLED = new Set(['table', 'column', 'constraint', 'index']);

export function planMigration(current: Snapshot, desired: Snapshot, options: { renames?: RenameHint[]; destructive?: boolean } = {}): MigrationPlan {
  const renames = options.renames ?? [];
  const up = statementsFor(current, desired, renames);
  const down = statementsFor(desired, current, renames.map((r) => ({ ...r, from: r.to, to: r.from })));
  const refused = [...up.refused, ...down.refused.filter((r) => !up.refused.some((u) => u.identity === r.identity))];
  if (refused.length > 0) return { ok: false, refused };
  return { ok: true, up: up.statements, down: down.statements, changes: diffSnapshots(current, desired), transaction: 'on', downTransaction: 'on', renameSuggestions: up.suggestions };
}

export function renderMigration(statements: readonly GeneratedStatement[]): string {
  const lines: string[] = [];
  let group: string | undefined;
  for (const s of statements) {
    if (group !== undefined && s.group !== group) lines.push('');
    group = s.group;
    if (s.destructive) lines.push(`-- strata: destructive: ${s.destructive}`);
    lines.push(s.sql);
  }
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

function statementsFor(before: Snapshot, after: Snapshot, renames: readonly RenameHint[]) {
  const refused: Refusal[] = [];
  const statements: GeneratedStatement[] = [];
  const suggestions: Array<{ from: string; to: string; hint: string }> = [];
  const renamed = new Map(renames.filter((r) => r.kind === 'table' || r.kind === 'column').map((r) => [r.from, r.to]));
  const beforeById = new Map(before.objects.map((o) => [o.identity, o]));
  const afterById = new Map(after.objects.map((o) => [o.identity, o]));
  const push = (o: SchemaObject, sql: string, extra: Partial<GeneratedStatement> = {}) => statements.push({ sql, identity: o.identity, group: o.parent ?? o.identity, ...extra });
  const drops: Array<() => void> = [];

  for (const [from, to] of renamed) {
    const a = beforeById.get(from);
    const b = afterById.get(to);
    if (!a || !b) continue;
    if (a.kind === 'table') push(b, `alter table ${qualified(a)} rename to ${quotedName(b)};`);
    else push(b, `alter table ${qualified(afterById.get(b.parent!) ?? b)} rename column ${quotedName(a)} to ${quotedName(b)};`);
  }
  const base = renamedSnapshot(before, renamed);
  const baseById = new Map(base.objects.map((o) => [o.identity, o]));
  const changes = diffSnapshots(base, after);
  for (const change of changes) {
    const object = change.change === 'changed' ? change.after : change.object;
    if (!HANDLED.has(object.kind)) {
      refused.push({ identity: object.identity, kind: object.kind, reason: `the stand-in generator makes only tables, columns, constraints and indexes, not ${object.kind}s` });
      continue;
    }
    if (change.change === 'added') {
      if (object.kind === 'column' && !baseById.has(object.parent!)) continue; // in its CREATE TABLE
      if (object.kind === 'column') push(object, `alter table ${qualified(afterById.get(object.parent!)!)} add column ${columnDefinition(object)};`);
      else push(object, object.create);
    } else if (change.change === 'removed') {
      if (object.parent && !afterById.has(object.parent)) continue; // goes with its table
      const table = object.parent ? baseById.get(object.parent) : undefined;
      if (object.kind === 'table') drops.push(() => push(object, `drop table ${qualified(object)};`, { destructive: `drops table ${object.identity} and its rows` }));
      else if (object.kind === 'column') drops.push(() => push(object, `alter table ${qualified(table!)} drop column ${quotedName(object)};`, { destructive: `drops column ${object.identity} and its values` }));
      else if (object.kind === 'constraint') statements.unshift({ sql: `alter table ${qualified(table!)} drop constraint ${quotedName(object)};`, identity: object.identity, group: object.parent! });
      else statements.unshift({ sql: `drop index ${qualified(object)};`, identity: object.identity, group: object.parent ?? object.identity });
    } else if (object.kind === 'column') {
      const table = qualified(afterById.get(object.parent!)!);
      const column = `alter table ${table} alter column ${quotedName(object)}`;
      for (const field of change.fields) {
        if (field.path === 'type') push(object, `${column} type ${String(field.after)};`, { rewrites: object.parent!, destructive: `changes the type of ${object.identity} from ${String(field.before)}: values that do not fit are refused` });
        else if (field.path === 'notNull') push(object, `${column} ${field.after ? 'set' : 'drop'} not null;`);
        else if (field.path === 'default') push(object, field.after === null ? `${column} drop default;` : `${column} set default ${String(field.after)};`);
        else refused.push({ identity: object.identity, kind: 'column', reason: `the stand-in generator cannot change a column's ${field.path}` });
      }
    } else if (object.kind === 'table') {
      refused.push({ identity: object.identity, kind: object.kind, reason: 'the stand-in generator cannot alter a table\'s own properties' });
    } else {
      const table = qualified(baseById.get(object.parent!)!);
      statements.unshift({ sql: object.kind === 'index' ? `drop index ${qualified(object)};` : `alter table ${table} drop constraint ${quotedName(object)};`, identity: object.identity, group: object.parent! });
      push(object, object.create);
    }
  }
  for (const drop of drops) drop();
  const removedColumns = changes.flatMap((c) => (c.change === 'removed' && c.object.kind === 'column' ? [c.object] : []));
  const addedColumns = changes.flatMap((c) => (c.change === 'added' && c.object.kind === 'column' ? [c.object] : []));
  for (const removed of removedColumns) {
    const match = addedColumns.find((a) => a.parent === removed.parent && a.attributes.type === removed.attributes.type);
    if (match) suggestions.push({ from: removed.identity, to: match.identity, hint: `if ${quotedName(match)} is ${quotedName(removed)} renamed, put -- strata:renamed-from ${removed.name} above it in schema.sql` });
  }
  return { statements: [...statements].sort((a, b) => stage(a) - stage(b)), refused, suggestions };
}

/** Drops of keys and indexes first, then renames, tables, columns, keys, indexes, foreign keys; dropped columns and tables last. */
function stage(s: GeneratedStatement): number {
  if (/^(alter table \S+ drop constraint|drop index)/.test(s.sql)) return 0;
  if (/ rename /.test(s.sql)) return 1;
  if (/^create table/.test(s.sql)) return 2;
  if (/ (add|alter) column /.test(s.sql)) return 3;
  if (/ FOREIGN KEY /.test(s.sql)) return 6;
  if (/^alter table \S+ add constraint/.test(s.sql)) return 4;
  if (/^create (unique )?index/i.test(s.sql)) return 5;
  if (/ drop column /.test(s.sql)) return 7;
  return 8;
}

/** `before` with the renamed tables and columns under their new identities, so that only what else changed is left to diff */
function renamedSnapshot(before: Snapshot, renamed: ReadonlyMap<string, string>): Snapshot {
  const tables = [...renamed].filter(([from]) => from.startsWith('table '));
  const rename = (identity: string): string => {
    const direct = renamed.get(identity);
    if (direct) return direct;
    for (const [from, to] of tables) {
      const name = from.slice('table '.length);
      const kind = identity.slice(0, identity.indexOf(' '));
      if (identity.startsWith(`${kind} ${name}.`) && kind !== 'table') return `${kind} ${to.slice('table '.length)}${identity.slice(kind.length + 1 + name.length)}`;
    }
    return identity;
  };
  const objects = before.objects.map((o) => ({ ...o, identity: rename(o.identity), ...(o.parent ? { parent: rename(o.parent) } : {}) }));
  return { objects: objects.sort((a, b) => (a.identity < b.identity ? -1 : 1)), unmodelled: before.unmodelled };
}

function qualified(object: SchemaObject): string {
  return object.identity.slice(object.kind.length + 1);
}

function quotedName(object: SchemaObject): string {
  const name = qualified(object);
  const parent = object.parent ? object.parent.slice(object.parent.indexOf(' ') + 1) : undefined;
  if (parent && name.startsWith(`${parent}.`)) return name.slice(parent.length + 1);
  return name.slice(name.indexOf('.') + 1);
}

function columnDefinition(column: SchemaObject): string {
  const a = column.attributes;
  const parts = [`${quotedName(column)} ${String(a.type)}`];
  if (a.collation) parts.push(`collate ${String(a.collation)}`);
  if (a.default !== null && a.default !== undefined) parts.push(`default ${String(a.default)}`);
  if (a.identity) parts.push(`generated ${String((a.identity as { generated: string }).generated)} as identity`);
  if (a.notNull) parts.push('not null');
  return parts.join(' ');
}
