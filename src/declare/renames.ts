import type { Json, SchemaObject, Snapshot } from '../schema/model/snapshot.js';
import { groupOf, literal, onTable, qualifiedName, routineName, splitQualified } from './identities.js';
import { renameBare, renameQualified } from './sql-text.js';
import type { GeneratedStatement, Refusal } from './statement.js';

/**
 * Renames, only where a hint says so: each turns what would be a drop and an add into one
 * ALTER ... RENAME, and the current snapshot into what it is after the rename (identities,
 * dependencies and the SQL texts that name it), so that the rest of the plan compares it with
 * the declared schema as if it had always had the new name. Pure.
 */
export interface RenameHint {
  kind: 'schema' | 'table' | 'column' | 'index' | 'constraint' | 'enum value' | 'view' | 'sequence' | 'type' | 'function';
  /** full identities as the snapshot spells them: 'table public.orders', 'column public.orders.note' */
  from: string;
  to: string;
  /** for an enum value: from and to are the type's identity */
  value?: { from: string; to: string };
}

export interface RenamedSnapshot {
  snapshot: Snapshot;
  statements: GeneratedStatement[];
  refusals: Refusal[];
  /** views and rules that read a renamed column: PostgreSQL keeps their old column names, so they are made again */
  remade: Set<string>;
}

const LEVEL: Record<RenameHint['kind'], number> = { schema: 0, table: 1, view: 1, sequence: 1, type: 1, function: 1, index: 1, column: 2, constraint: 2, 'enum value': 3 };

export function applyRenames(current: Snapshot, desired: Snapshot, hints: readonly RenameHint[]): RenamedSnapshot {
  let objects = current.objects;
  const statements: GeneratedStatement[] = [];
  const refusals: Refusal[] = [];
  const remade = new Set<string>();
  const desiredByIdentity = new Map(desired.objects.map((o) => [o.identity, o]));
  // earlier renames (a schema's, a table's) move the names later hints give
  const moves: Array<(identity: string) => string> = [];
  const moved = (identity: string) => moves.reduce((id, move) => move(id), identity);
  for (const hint of [...hints].sort((a, b) => LEVEL[a.kind] - LEVEL[b.kind])) {
    const byIdentity = new Map(objects.map((o) => [o.identity, o]));
    const from = moved(hint.from);
    const object = byIdentity.get(from);
    const refuse = (reason: string) => refusals.push({ identity: hint.from, kind: hint.kind, reason });
    if (!object) {
      refuse(`the rename hint names ${hint.from}, which the current schema does not have`);
      continue;
    }
    if (hint.kind === 'enum value') {
      const result = renameEnumValue(objects, object, hint, desiredByIdentity.get(moved(hint.to)));
      if (typeof result === 'string') refuse(result);
      else {
        objects = result.objects;
        statements.push(result.statement);
      }
      continue;
    }
    // a column's new name may name its table by the table's old name or its new one
    const to = moved(hint.to);
    const target = desiredByIdentity.get(to);
    if (!target) refuse(`the rename hint's new name ${hint.to} is not declared`);
    else if (byIdentity.has(to)) refuse(`${hint.to} exists already: a rename onto an existing object is not done`);
    else if (target.kind !== object.kind) refuse(`${hint.from} is a ${object.kind} and ${hint.to} a ${target.kind}`);
    if (!target || byIdentity.has(to) || target.kind !== object.kind) continue;
    const plan = renamePlan(object, target, byIdentity);
    if (typeof plan === 'string') {
      refuse(plan);
      continue;
    }
    statements.push({ sql: plan.sql, identity: target.identity, group: groupOf(object, byIdentity) === object.identity ? target.identity : moved(groupOf(object, byIdentity)) });
    const dependents = new Set(objects.filter((o) => o.dependsOn.includes(from)).map((o) => o.identity));
    objects = objects.map((o) => plan.rewrite(o, dependents, remade));
    moves.push(plan.move);
  }
  const sorted = [...objects].sort((a, b) => (a.identity < b.identity ? -1 : a.identity > b.identity ? 1 : 0));
  return { snapshot: { objects: sorted, unmodelled: current.unmodelled }, statements, refusals, remade };
}

interface Plan {
  sql: string;
  move(identity: string): string;
  rewrite(object: SchemaObject, dependents: ReadonlySet<string>, remade: Set<string>): SchemaObject;
}

function renamePlan(object: SchemaObject, target: SchemaObject, byIdentity: ReadonlyMap<string, SchemaObject>): Plan | string {
  const [fromName, toName] = [qualifiedName(object), qualifiedName(target)];
  const fromParts = splitQualified(object.kind === 'function' || object.kind === 'procedure' ? routineName(object) : fromName);
  const toParts = splitQualified(target.kind === 'function' || target.kind === 'procedure' ? routineName(target) : toName);
  if (fromParts.length !== toParts.length || fromParts.slice(0, -1).join('.') !== toParts.slice(0, -1).join('.')) {
    return `${object.identity} and ${target.identity} are not in the same ${object.kind === 'column' || object.kind === 'constraint' ? 'table' : 'schema'}: only the last name may change`;
  }
  if ((object.kind === 'function' || object.kind === 'procedure') && fromName.slice(routineName(object).length) !== toName.slice(routineName(target).length)) {
    return `${object.identity} and ${target.identity} take different arguments: that is not a rename`;
  }
  const newName = toParts[toParts.length - 1]!;
  const oldName = fromParts[fromParts.length - 1]!;
  const identityMove = (identity: string) => (identity === object.identity ? target.identity : renameQualified(identity, fromParts, toParts, object.kind === 'schema'));
  const move = object.kind === 'function' || object.kind === 'procedure'
    ? (identity: string) => (identity.includes(object.identity) ? identity.split(object.identity).join(target.identity) : identity)
    : identityMove;
  const sql = renameSql(object, oldName, newName);
  if (!sql) return `${object.kind}s are not renamed by strata`;
  const base = (o: SchemaObject): SchemaObject => ({
    ...o,
    identity: move(o.identity),
    parent: o.parent === undefined ? undefined : move(o.parent),
    dependsOn: o.dependsOn.map(move).sort(),
    name: o.identity === object.identity ? target.name : o.name,
    schema: object.kind === 'schema' && o.schema === object.name ? target.name : o.schema,
  });
  if (object.kind === 'column' || object.kind === 'constraint') {
    const table = object.parent!;
    return {
      sql,
      move,
      rewrite(o, dependents, remade) {
        const moved = base(o);
        if (object.kind === 'constraint') return moved;
        if (o.identity === table) return { ...moved, create: renameBare(o.create, oldName, newName) };
        if (!dependents.has(o.identity)) return moved;
        if (o.kind === 'view' || o.kind === 'materialized view' || o.kind === 'rule') {
          remade.add(moved.identity);
          return moved;
        }
        const tableParts = splitQualified(table.slice('table '.length));
        const rename = o.parent === table || o.identity.startsWith(`sequence owned by`)
          ? (text: string) => renameBare(text, oldName, newName)
          : (text: string) => renameInReferences(text, tableParts.join('.'), oldName, newName);
        return { ...moved, attributes: mapStrings(o.attributes, rename) as SchemaObject['attributes'] };
      },
    };
  }
  const isRoutine = object.kind === 'function' || object.kind === 'procedure';
  const regclass = `${literal(fromParts.join('.'))}::regclass`;
  const regclassTo = `${literal(toParts.join('.'))}::regclass`;
  return {
    sql,
    move,
    rewrite(o, dependents) {
      const moved = base(o);
      if (isRoutine && !dependents.has(o.identity)) return moved;
      const isQuotedBody = (o.kind === 'function' || o.kind === 'procedure') && o.attributes.sqlStandardBody === false;
      let rename = (text: string) => renameQualified(text, fromParts, toParts, object.kind === 'schema').split(regclass).join(regclassTo);
      if (object.kind === 'index') rename = ((inner) => (text: string) => inner(text).replace(new RegExp(`^(CREATE (?:UNIQUE )?INDEX )${escape(oldName)} ON`), `$1${newName} ON`))(rename);
      if (object.kind === 'table' && dependents.has(o.identity)) rename = ((inner) => (text: string) => renameQualified(inner(text), [oldName], [newName], true))(rename);
      const attributes = Object.fromEntries(Object.entries(o.attributes).map(([key, value]) => [key, key === 'body' && isQuotedBody ? value : mapStrings(value, rename)]));
      // a publication names the schemas it lists bare (TABLES IN SCHEMA app), not as a prefix
      if (object.kind === 'schema' && o.kind === 'publication') attributes.schemas = (o.attributes.schemas as string[]).map((s) => (s === oldName ? newName : s)).sort();
      return { ...moved, attributes: attributes as SchemaObject['attributes'], create: isQuotedBody ? o.create : rename(o.create) };
    },
  };
}

function renameSql(object: SchemaObject, oldName: string, newName: string): string | undefined {
  const name = qualifiedName(object);
  switch (object.kind) {
    case 'schema':
    case 'table':
    case 'view':
    case 'materialized view':
    case 'sequence':
    case 'type':
    case 'domain':
    case 'index':
    case 'function':
    case 'procedure':
      return `alter ${object.kind} ${name} rename to ${newName};`;
    case 'column': {
      const [table] = onTable(object);
      return `alter table ${table} rename column ${oldName} to ${newName};`;
    }
    case 'constraint': {
      const [table] = onTable(object);
      return `alter table ${table} rename constraint ${oldName} to ${newName};`;
    }
    default:
      return undefined;
  }
}

/** a column renamed where another table's foreign key names it: inside `REFERENCES <table>(...)` only */
function renameInReferences(text: string, table: string, oldName: string, newName: string): string {
  const head = `REFERENCES ${table}(`;
  const at = text.indexOf(head);
  if (at === -1) return text;
  const close = text.indexOf(')', at + head.length);
  return text.slice(0, at + head.length) + renameBare(text.slice(at + head.length, close), oldName, newName) + text.slice(close);
}

function renameEnumValue(objects: SchemaObject[], type: SchemaObject, hint: RenameHint, declared: SchemaObject | undefined): { objects: SchemaObject[]; statement: GeneratedStatement } | string {
  if (type.kind !== 'type' || type.attributes.type !== 'enum' || !hint.value) return `${hint.from} is not an enum type with a value to rename`;
  const labels = type.attributes.labels as string[];
  const { from, to } = hint.value;
  if (!labels.includes(from)) return `${hint.from} has no value ${literal(from)}`;
  if (labels.includes(to)) return `${hint.from} has a value ${literal(to)} already`;
  if (!declared || !(declared.attributes.labels as string[] | undefined)?.includes(to)) return `the declared ${hint.to} has no value ${literal(to)}`;
  const typeName = qualifiedName(type);
  const [before, after] = [`${literal(from)}::${typeName}`, `${literal(to)}::${typeName}`];
  const rewritten = objects.map((o) => {
    if (o.identity === type.identity) return { ...o, attributes: { ...o.attributes, labels: labels.map((l) => (l === from ? to : l)) } };
    return { ...o, attributes: mapStrings(o.attributes, (text) => text.split(before).join(after)) as SchemaObject['attributes'] };
  });
  return { objects: rewritten, statement: { sql: `alter type ${typeName} rename value ${literal(from)} to ${literal(to)};`, identity: type.identity, group: type.identity } };
}

function mapStrings(value: Json, map: (text: string) => string): Json {
  if (typeof value === 'string') return map(value);
  if (Array.isArray(value)) return value.map((v) => mapStrings(v, map));
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapStrings(v, map)]));
  return value;
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

