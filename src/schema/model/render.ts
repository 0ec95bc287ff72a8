import type { ObjectKind, SchemaObject, Snapshot } from './snapshot.js';

/**
 * schema.sql from a snapshot, in the order pg_dump uses: by object-type priority, then schema,
 * then name, with a topological sort over the dependencies that keeps that order wherever it can
 * (an object comes as soon as what it needs is there, and among those ready the lowest in that
 * order first). What depends on itself through a loop pg_dump would repair (e.g. a view that needs
 * a primary key) is written in the first order that works: the loop is broken at the object
 * lowest in the order, never by dropping it. Deterministic: the same snapshot gives the same bytes.
 */
const PRIORITY: Record<ObjectKind, number> = {
  schema: 1,
  extension: 2,
  collation: 3,
  type: 4,
  domain: 5,
  function: 6,
  procedure: 6,
  aggregate: 7,
  sequence: 8,
  table: 9,
  // written inside their table's CREATE TABLE: after every table, so they never sit between two
  column: 9.5,
  view: 10,
  'materialized view': 11,
  constraint: 12,
  'sequence owned by': 12,
  index: 13,
  trigger: 15,
  rule: 16,
  policy: 17,
  'event trigger': 18,
  comment: 19,
  privileges: 20,
  'default privileges': 21,
};

/** A foreign key is written after every other constraint and index, as pg_dump does. */
function priorityOf(object: SchemaObject): number {
  if (object.kind === 'constraint' && object.attributes.type === 'foreign key') return 14;
  return PRIORITY[object.kind];
}

function compareOrder(a: SchemaObject, b: SchemaObject): number {
  return priorityOf(a) - priorityOf(b)
    || (a.schema ?? '').localeCompare(b.schema ?? '', 'en')
    || a.name.localeCompare(b.name, 'en')
    || (a.identity < b.identity ? -1 : a.identity > b.identity ? 1 : 0);
}

/** The objects in the order schema.sql writes them. */
export function orderObjects(snapshot: Snapshot): SchemaObject[] {
  const byIdentity = new Map(snapshot.objects.map((o) => [o.identity, o]));
  const sorted = [...snapshot.objects].sort(compareOrder);
  const rank = new Map(sorted.map((o, k) => [o.identity, k]));
  const waitingOn = new Map<string, number>();
  const dependents = new Map<string, string[]>();
  for (const object of sorted) {
    const needs = object.dependsOn.filter((d) => byIdentity.has(d) && d !== object.identity);
    waitingOn.set(object.identity, needs.length);
    for (const need of needs) (dependents.get(need) ?? dependents.set(need, []).get(need)!).push(object.identity);
  }
  const ready = new MinHeap<string>((a, b) => rank.get(a)! - rank.get(b)!);
  for (const object of sorted) if (waitingOn.get(object.identity) === 0) ready.push(object.identity);
  const done = new Set<string>();
  const result: SchemaObject[] = [];
  const emit = (identity: string) => {
    done.add(identity);
    result.push(byIdentity.get(identity)!);
    for (const dependent of dependents.get(identity) ?? []) {
      const left = waitingOn.get(dependent)! - 1;
      waitingOn.set(dependent, left);
      if (left === 0 && !done.has(dependent)) ready.push(dependent);
    }
  };
  while (result.length < sorted.length) {
    const next = ready.pop();
    if (next !== undefined) {
      if (!done.has(next)) emit(next);
      continue;
    }
    // a loop: break it at the object lowest in the order among those not written yet
    const stuck = sorted.find((o) => !done.has(o.identity))!;
    emit(stuck.identity);
  }
  return besideTheirObjects(result);
}

/** Comments and privileges go right after the object they are on (as pg_dump writes them), not at the end. */
function besideTheirObjects(ordered: SchemaObject[]): SchemaObject[] {
  const attached = new Map<string, SchemaObject[]>();
  const rest: SchemaObject[] = [];
  const byIdentity = new Map(ordered.map((o) => [o.identity, o]));
  // a comment on a column goes after the table the column is written in
  const anchor = (identity: string): string => {
    const object = byIdentity.get(identity)!;
    return object.create === '' && object.parent && byIdentity.has(object.parent) ? anchor(object.parent) : identity;
  };
  for (const object of ordered) {
    if ((object.kind === 'comment' || object.kind === 'privileges') && object.parent && byIdentity.has(object.parent)) {
      const at = anchor(object.parent);
      (attached.get(at) ?? attached.set(at, []).get(at)!).push(object);
    } else rest.push(object);
  }
  return rest.flatMap((object) => [object, ...(attached.get(object.identity) ?? [])]);
}

export interface RenderOptions {
  /** the newest revision the schema comes from, for the header */
  head: string | null;
}

/** The whole schema.sql text. */
export function renderSchema(snapshot: Snapshot, options: RenderOptions): string {
  const lines = [
    '-- schema.sql: the schema the migrations produce at head, written by strata dump. Do not edit by hand:',
    '-- change the migrations, then run strata dump (strata check fails when this file is out of date).',
    `-- head: ${options.head ?? 'base (no revisions)'}`,
    // as pg_dump does: a routine whose body is a string is checked against the objects it names when
    // created, and pg_depend does not know them, so they may come after it (a table, a later function)
    'set check_function_bodies = false;',
    '',
  ];
  let previousGroup: string | undefined;
  for (const object of orderObjects(snapshot)) {
    if (object.create === '') continue;
    const group = object.parent ?? object.identity;
    if (previousGroup !== undefined && group !== previousGroup) lines.push('');
    lines.push(object.create);
    previousGroup = group;
  }
  return `${lines.join('\n').trimEnd()}\n`;
}

class MinHeap<T> {
  private readonly items: T[] = [];
  constructor(private readonly compare: (a: T, b: T) => number) {}
  push(item: T): void {
    const items = this.items;
    items.push(item);
    for (let k = items.length - 1; k > 0;) {
      const parent = (k - 1) >> 1;
      if (this.compare(items[k]!, items[parent]!) >= 0) break;
      [items[k], items[parent]] = [items[parent]!, items[k]!];
      k = parent;
    }
  }
  pop(): T | undefined {
    const items = this.items;
    if (items.length === 0) return undefined;
    const top = items[0];
    const last = items.pop()!;
    if (items.length > 0) {
      items[0] = last;
      for (let k = 0; ;) {
        const left = 2 * k + 1;
        const right = left + 1;
        let smallest = k;
        if (left < items.length && this.compare(items[left]!, items[smallest]!) < 0) smallest = left;
        if (right < items.length && this.compare(items[right]!, items[smallest]!) < 0) smallest = right;
        if (smallest === k) break;
        [items[k], items[smallest]] = [items[smallest]!, items[k]!];
        k = smallest;
      }
    }
    return top;
  }
}
