import type { SchemaObject } from '../schema/model/snapshot.js';
import { isRealDrop } from './decide-actions.js';
import { lastName, priorityOf, qualifiedName, routineName } from './identities.js';
import { mentionedNames, tableColumns } from './sql-text.js';
import { statement, type GeneratedStatement, type ObjectSteps, type PlanContext } from './statement.js';

/**
 * One dependency graph over the statements of a migration, and its order. Each object has up to
 * two nodes: its drop (or what must happen before the objects it uses go: a default taken off)
 * and its create (or alter). What is dropped or created along with another object has no node of
 * its own: it stands for its container's (a table's columns, a dropped table's indexes). Edges:
 * a create after the creates of what it needs (and the names its body mentions); a drop before
 * the drops of what it needed; an alter before the drops of what it stops using and after the
 * drops of what depended on it (a view over a column whose type changes). Then Kahn's order,
 * drops first, staying with one table while it can. Pure.
 */
interface Node {
  key: string;
  phase: 0 | 1;
  group: string;
  groupRank: number;
  rank: number;
  statements: GeneratedStatement[];
  after: Set<string>;
}

export function orderSteps(context: PlanContext, steps: ReadonlyMap<string, ObjectSteps>): GeneratedStatement[] {
  const { current, desired, actions } = context;
  const nodes = new Map<string, Node>();
  const groupRank = (group: string) => {
    const object = desired.get(group) ?? current.get(group);
    return object ? priorityOf(object) : 99;
  };
  const addNode = (key: string, phase: 0 | 1, object: SchemaObject, statements: GeneratedStatement[]) => {
    const group = statements[0]!.group;
    nodes.set(key, { key, phase, group, groupRank: groupRank(group), rank: priorityOf(object), statements, after: new Set() });
  };

  const dropMemo = new Map<string, string | undefined>();
  /** the node that drops `identity` (its container's when it goes with it), or undefined */
  const dropKey = (identity: string): string | undefined => {
    if (dropMemo.has(identity)) return dropMemo.get(identity);
    let key: string | undefined;
    const object = current.get(identity);
    if (object && isRealDrop(identity, context)) {
      const container = droppingContainer(object, context);
      key = container !== undefined ? dropKey(container) : `D ${identity}`;
    } else if (object && (steps.get(identity)?.before.length ?? 0) > 0) key = `D ${identity}`;
    dropMemo.set(identity, key);
    return key;
  };
  const createMemo = new Map<string, string | undefined>();
  const createKey = (identity: string): string | undefined => {
    if (createMemo.has(identity)) return createMemo.get(identity);
    createMemo.set(identity, undefined);
    let key: string | undefined;
    const object = desired.get(identity);
    const type = actions.get(identity)?.type;
    if (object && type !== undefined && type !== 'drop') {
      const along = object.kind === 'column' ? columnMadeWith(object, context) : madeWithType(object, context.desired);
      if (along !== undefined) key = createKey(along);
      else if ((steps.get(identity)?.after.length ?? 0) > 0) key = `C ${identity}`;
    }
    createMemo.set(identity, key);
    return key;
  };

  for (const [identity, objectSteps] of steps) {
    if (objectSteps.before.length > 0 && dropKey(identity) === `D ${identity}`) addNode(`D ${identity}`, 0, current.get(identity)!, objectSteps.before);
    if (objectSteps.after.length > 0 && createKey(identity) === `C ${identity}`) addNode(`C ${identity}`, 1, desired.get(identity)!, objectSteps.after);
  }
  for (const [type, old] of context.rebuiltEnums) {
    const object = desired.get(type)!;
    addNode(`F ${type}`, 1, object, [statement(`drop type ${old};`, object, type)]);
  }
  const edge = (from: string | undefined, to: string | undefined) => {
    if (from === undefined || to === undefined || from === to || !nodes.has(from) || !nodes.has(to)) return;
    nodes.get(to)!.after.add(from);
  };
  const references = bodyReferences(desired);
  for (const identity of new Set([...current.keys(), ...desired.keys()])) {
    const [before, after] = [current.get(identity), desired.get(identity)];
    const [c, d] = [createKey(identity), dropKey(identity)];
    const action = actions.get(identity);
    if (c !== undefined && after) {
      for (const need of [...orderingNeeds(after), ...(references.get(identity) ?? [])]) edge(createKey(need), c);
      edge(d, c);
      if (action?.type === 'alter' && before) {
        // what stops a use is the object's drop node when it has one (a default taken off first), else its alter
        for (const need of orderingNeeds(before)) if (!after.dependsOn.includes(need) && isRealDrop(need, context)) edge(d ?? c, dropKey(need));
        for (const dependent of context.currentDependents.get(identity) ?? []) {
          const object = current.get(dependent)!;
          if (!NEEDS_ONLY_ITS_TARGET.has(object.kind) && orderingNeeds(object).includes(identity)) edge(dropKey(dependent), c);
        }
      }
    }
    if (d !== undefined && before) for (const need of orderingNeeds(before)) edge(d, dropKey(need));
  }
  // a name is free only once what had it is dropped (relations, types and identity sequences share names)
  const holders = new Map<string, string[]>();
  const hold = (name: string, identity: string) => (holders.get(name) ?? holders.set(name, []).get(name)!).push(identity);
  for (const object of current.values()) {
    if (RELATION_KINDS.has(object.kind)) hold(qualifiedName(object), object.identity);
    const identitySequence = object.kind === 'column' ? (object.attributes.identity as { sequence?: string } | null)?.sequence : undefined;
    if (identitySequence) hold(identitySequence, object.identity);
  }
  for (const object of desired.values()) {
    const c = createKey(object.identity);
    if (c === undefined) continue;
    const identitySequence = object.kind === 'column' ? (object.attributes.identity as { sequence?: string } | null)?.sequence : undefined;
    const name = RELATION_KINDS.has(object.kind) ? qualifiedName(object) : identitySequence;
    for (const holder of name === undefined ? [] : holders.get(name) ?? []) if (holder !== object.identity) edge(dropKey(holder), c);
  }
  // columns added to a table go in the order declared (ADD COLUMN puts each last); only the tables
  // that get such a column are read for their order (tokenizing every CREATE TABLE of a large schema was most of this function)
  const addingColumns = new Set<string>();
  for (const column of desired.values()) {
    if (column.kind === 'column' && column.parent && createKey(column.identity)?.startsWith('C column ')) addingColumns.add(column.parent);
  }
  for (const table of desired.values()) {
    if ((table.kind !== 'table' && table.kind !== 'foreign table') || !addingColumns.has(table.identity)) continue;
    let previous: string | undefined;
    for (const { name } of tableColumns(table.create) ?? []) {
      const key = createKey(`column ${qualifiedName(table)}.${name}`);
      if (key === undefined || !key.startsWith('C column ')) continue;
      edge(previous, key);
      previous = key;
    }
  }
  for (const type of context.rebuiltEnums.keys()) {
    const final = `F ${type}`;
    edge(createKey(type), final);
    for (const column of desired.values()) if (column.kind === 'column' && column.dependsOn.includes(type)) edge(createKey(column.identity), final);
    // after every use of the old type is gone: dropped, or altered away from it (a column made text)
    for (const dependent of context.currentDependents.get(type) ?? []) {
      edge(dropKey(dependent), final);
      edge(createKey(dependent), final);
    }
  }
  return kahn([...nodes.values()]).flatMap((node) => node.statements);
}

/** The container whose drop takes `object` with it: an ancestor dropped, or the column that owns a sequence */
function droppingContainer(object: SchemaObject, context: PlanContext): string | undefined {
  // a part that uses something else dropped, which in turn needs the container (a policy that reads a
  // view over its table, a foreign key to a table whose own foreign key points back), is dropped on
  // its own first: the container and that other object could not be dropped one after the other otherwise
  if (object.parent !== undefined && !NEEDS_ONLY_ITS_TARGET.has(object.kind) && (referencesOtherDroppedTable(object, context) || usesWhatNeedsItsContainer(object, context))) return undefined;
  for (let parent = object.parent; parent !== undefined; parent = context.current.get(parent)?.parent) if (isRealDrop(parent, context)) return parent;
  const type = madeWithType(object, context.current);
  if (type !== undefined && isRealDrop(type, context)) return type;
  if (object.kind === 'sequence') {
    const owner = context.current.get(`sequence owned by ${qualifiedName(object)}`);
    const column = owner?.dependsOn.find((d) => d.startsWith('column '));
    if (column && isRealDrop(column, context)) return column;
  }
  return undefined;
}

/** kinds whose names share one namespace per schema (pg_class, and pg_type for the types tables have) */
const RELATION_KINDS = new Set(['table', 'foreign table', 'view', 'materialized view', 'sequence', 'index', 'type', 'domain']);

/** parts that need nothing but what they are on (an OWNED BY goes with its sequence or its column, whichever goes) */
const NEEDS_ONLY_ITS_TARGET = new Set(['sequence owned by', 'comment', 'privileges']);

/** a foreign key to another table that is dropped too, and leads back to its own (a loop of foreign keys, however long) */
function referencesOtherDroppedTable(object: SchemaObject, context: PlanContext): boolean {
  if (object.kind !== 'constraint' || object.attributes.type !== 'foreign key') return false;
  const references = foreignKeysOf(context);
  const leadsBack = (from: string): boolean => {
    const seen = new Set<string>();
    const work = [from];
    for (let table = work.pop(); table !== undefined; table = work.pop()) {
      if (table === object.parent) return true;
      if (seen.has(table)) continue;
      seen.add(table);
      for (const next of references.get(table) ?? []) if (isRealDrop(next, context)) work.push(next);
    }
    return false;
  };
  return referencedTables(object, context).some((table) => table !== object.parent && isRealDrop(table, context) && leadsBack(table));
}

function referencedTables(constraint: SchemaObject, context: PlanContext): string[] {
  return constraint.dependsOn.map((d) => context.current.get(d)?.parent).filter((t): t is string => t !== undefined);
}

const foreignKeys = new WeakMap<PlanContext, Map<string, string[]>>();

/** table -> the tables its foreign keys reference, in the current schema */
function foreignKeysOf(context: PlanContext): Map<string, string[]> {
  let map = foreignKeys.get(context);
  if (!map) {
    map = new Map();
    for (const o of context.current.values()) {
      if (o.kind !== 'constraint' || o.attributes.type !== 'foreign key' || o.parent === undefined) continue;
      const list = map.get(o.parent) ?? map.set(o.parent, []).get(o.parent)!;
      list.push(...referencedTables(o, context).filter((t) => t !== o.parent));
    }
    foreignKeys.set(context, map);
  }
  return map;
}

function usesWhatNeedsItsContainer(object: SchemaObject, context: PlanContext): boolean {
  const containers = new Set<string>();
  for (let parent = object.parent; parent !== undefined; parent = context.current.get(parent)?.parent) containers.add(parent);
  const isInside = (identity: string) => {
    for (let at: string | undefined = identity; at !== undefined; at = context.current.get(at)?.parent) if (containers.has(at)) return true;
    return false;
  };
  return orderingNeeds(object).some((d) => {
    const target = context.current.get(d);
    if (!target || isInside(d) || !isRealDrop(d, context)) return false;
    // a sequence owned by a column in here goes with it
    const owner = target.kind === 'sequence' ? context.current.get(`sequence owned by ${qualifiedName(target)}`)?.dependsOn.find((x) => x.startsWith('column ')) : undefined;
    if (owner !== undefined && isInside(owner)) return false;
    // the other object, or the container it goes with, needs this container (or a part of it)
    const owners = [d, ...(target.parent !== undefined && !isInside(target.parent) ? [target.parent] : [])];
    return owners.some((o) => [context.current.get(o)!, ...(childrenOf(context).get(o) ?? [])].some((x) => orderingNeeds(x).some(isInside)));
  });
}

const children = new WeakMap<PlanContext, Map<string, SchemaObject[]>>();

/** parent identity -> its parts, in the current schema */
function childrenOf(context: PlanContext): Map<string, SchemaObject[]> {
  let map = children.get(context);
  if (!map) {
    map = new Map();
    for (const object of context.current.values()) if (object.parent !== undefined) (map.get(object.parent) ?? map.set(object.parent, []).get(object.parent)!).push(object);
    children.set(context, map);
  }
  return map;
}

/**
 * What an object needs for the order of statements: its dependencies, less a sequence's on the
 * column that owns it (OWNED BY is an object of its own, written after the table; the column's
 * default needs the sequence, not the other way round).
 */
export function orderingNeeds(object: SchemaObject): string[] {
  return object.kind === 'sequence' ? object.dependsOn.filter((d) => !d.startsWith('column ')) : object.dependsOn;
}

/** CREATE TYPE ... AS RANGE makes the range's (and its multirange's) constructor functions: the type, for such a function */
export function madeWithType(object: SchemaObject, objects: ReadonlyMap<string, SchemaObject>): string | undefined {
  if (object.kind !== 'function' || object.attributes.language !== 'internal' || !/^(?:multi)?range_constructor\d+$/.test(String(object.attributes.body))) return undefined;
  return object.dependsOn.find((d) => objects.get(d)?.kind === 'type' && objects.get(d)!.attributes.type === 'range');
}

/**
 * The object whose create makes this column: its table's when the table is created with it, the
 * parent table's column for a partition's or child's inherited column.
 */
function columnMadeWith(column: SchemaObject, context: PlanContext): string | undefined {
  const table = context.desired.get(column.parent!)!;
  const tableAction = context.actions.get(table.identity)?.type;
  const isMadeWithTable = tableAction === 'create' || tableAction === 'replace' || tableAction === 'recreate';
  const local = tableColumns(table.create)?.some((c) => c.name === lastName(qualifiedName(column))) ?? false;
  if (local || isMadeWithTable) return isMadeWithTable ? table.identity : undefined;
  const parentTable = (table.attributes.partitionOf as string | null) ?? (table.attributes.inherits as string[])[0];
  if (parentTable) {
    const parentColumn = `column ${parentTable}.${lastName(qualifiedName(column))}`;
    if (context.actions.has(parentColumn) && context.actions.get(parentColumn)!.type === context.actions.get(column.identity)!.type) return parentColumn;
  }
  return undefined;
}

/** What routine bodies name (pg_depend does not record it): identity -> identities of the relations, types and routines named */
function bodyReferences(desired: ReadonlyMap<string, SchemaObject>): Map<string, string[]> {
  const byName = new Map<string, string[]>();
  const add = (name: string, identity: string) => (byName.get(name) ?? byName.set(name, []).get(name)!).push(identity);
  for (const object of desired.values()) {
    if (['table', 'foreign table', 'view', 'materialized view', 'sequence', 'type', 'domain'].includes(object.kind)) add(qualifiedName(object), object.identity);
    else if (object.kind === 'function' || object.kind === 'procedure') add(routineName(object), object.identity);
  }
  const references = new Map<string, string[]>();
  for (const object of desired.values()) {
    // only a LANGUAGE sql body is checked against what it names when it is created (PL/pgSQL is not)
    if ((object.kind !== 'function' && object.kind !== 'procedure') || object.attributes.language !== 'sql' || typeof object.attributes.body !== 'string') continue;
    const schemas = [object.schema === null ? 'public' : quoteLike(object.schema), 'public'];
    const found = new Set<string>();
    for (const parts of mentionedNames(object.attributes.body)) {
      const names = parts.length >= 2 ? [parts.slice(-2).join('.')] : schemas.map((s) => `${s}.${parts[0]}`);
      for (const name of names) for (const identity of byName.get(name) ?? []) if (identity !== object.identity) found.add(identity);
    }
    if (found.size > 0) references.set(object.identity, [...found]);
  }
  return references;
}

function quoteLike(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`;
}

function compare(a: Node, b: Node): number {
  if (a.phase !== b.phase) return a.phase - b.phase;
  const sign = a.phase === 0 ? -1 : 1;
  return sign * (a.groupRank - b.groupRank) || (a.group < b.group ? -1 : a.group > b.group ? 1 : 0) || sign * (a.rank - b.rank) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
}

/** Kahn's order: among the nodes ready, the lowest phase; within it, the group of the node before while it has one ready */
function kahn(nodes: Node[]): Node[] {
  const waiting = new Map(nodes.map((n) => [n.key, n.after.size]));
  const dependents = new Map<string, string[]>();
  for (const node of nodes) for (const need of node.after) (dependents.get(need) ?? dependents.set(need, []).get(need)!).push(node.key);
  const byKey = new Map(nodes.map((n) => [n.key, n]));
  let ready = nodes.filter((n) => n.after.size === 0);
  const done = new Set<string>();
  const result: Node[] = [];
  let group: string | undefined;
  while (result.length < nodes.length) {
    if (ready.length === 0) {
      // a loop: the first of what is left goes, as if what it waits for were there
      ready = [nodes.filter((n) => !done.has(n.key)).sort(compare)[0]!];
    }
    let best: Node | undefined;
    const phase = Math.min(...ready.map((n) => n.phase));
    for (const node of ready) {
      if (node.phase !== phase) continue;
      if (!best) best = node;
      else {
        const [sticky, bestSticky] = [node.group === group, best.group === group];
        if (sticky !== bestSticky ? sticky : compare(node, best) < 0) best = node;
      }
    }
    ready = ready.filter((n) => n !== best);
    done.add(best!.key);
    result.push(best!);
    group = best!.group;
    for (const dependent of dependents.get(best!.key) ?? []) {
      if (done.has(dependent)) continue;
      const left = waiting.get(dependent)! - 1;
      waiting.set(dependent, left);
      if (left === 0) ready.push(byKey.get(dependent)!);
    }
  }
  return result;
}

