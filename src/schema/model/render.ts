import type { ObjectKind, SchemaObject, Snapshot } from './snapshot.js';

/**
 * schema.sql from a snapshot, in the order pg_dump uses: by object-type priority, then schema,
 * then name, with a topological sort over the dependencies that keeps that order wherever it can
 * (an object comes as soon as what it needs is there, and among those ready the lowest in that
 * order first). Objects that still need each other in a loop are written together, in that
 * order, where the first of them would come: never dropped. (Foreign keys and constraints are
 * statements of their own after the tables, which is how pg_dump repairs most loops too.)
 * Deterministic: the same snapshot gives the same bytes.
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
  // as pg_dump: wrappers and servers (a server's user mappings with it) before the tables
  'foreign-data wrapper': 8.3,
  server: 8.4,
  'user mapping': 8.5,
  table: 9,
  'foreign table': 9,
  // written inside their table's CREATE TABLE: after every table, so they never sit between two;
  // what a column's create writes (a default or NOT NULL its table's CREATE TABLE does not give it) comes there
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
  // after the tables, schemas and columns it lists (pg_dump writes publications after the data too)
  publication: 18.5,
  subscription: 18.6,
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
  const sorted = [...snapshot.objects].sort(compareOrder);
  const rank = new Map(sorted.map((o, k) => [o.identity, k]));
  const needs = sorted.map((o) => o.dependsOn.map((d) => rank.get(d)).filter((k): k is number => k !== undefined && k !== rank.get(o.identity)));
  // objects that need each other (a loop) are one group, written together in the order above
  const groups = stronglyConnected(needs);
  const groupOf = new Array<number>(sorted.length);
  groups.forEach((members, g) => { for (const k of members) groupOf[k] = g; });
  const waitingOn = groups.map(() => 0);
  const dependents = groups.map(() => new Set<number>());
  needs.forEach((list, k) => {
    for (const need of list) {
      const [from, to] = [groupOf[k]!, groupOf[need]!];
      if (from !== to && !dependents[to]!.has(from)) {
        dependents[to]!.add(from);
        waitingOn[from]!++;
      }
    }
  });
  const first = groups.map((members) => Math.min(...members));
  const ready = new MinHeap<number>((a, b) => first[a]! - first[b]!);
  groups.forEach((_, g) => { if (waitingOn[g] === 0) ready.push(g); });
  const result: SchemaObject[] = [];
  for (let g = ready.pop(); g !== undefined; g = ready.pop()) {
    for (const k of [...groups[g]!].sort((a, b) => a - b)) result.push(sorted[k]!);
    for (const dependent of dependents[g]!) if (--waitingOn[dependent]! === 0) ready.push(dependent);
  }
  return besideTheirObjects(result);
}

/** Tarjan's strongly connected components of the graph `edges[k]` = the nodes k points to. */
function stronglyConnected(edges: readonly number[][]): number[][] {
  const index = new Array<number>(edges.length).fill(-1);
  const low = new Array<number>(edges.length).fill(0);
  const onStack = new Array<boolean>(edges.length).fill(false);
  const stack: number[] = [];
  const groups: number[][] = [];
  let next = 0;
  for (let root = 0; root < edges.length; root++) {
    if (index[root] !== -1) continue;
    // iterative depth-first search: [node, position in its edge list]
    const work: Array<[number, number]> = [[root, 0]];
    index[root] = low[root] = next++;
    stack.push(root);
    onStack[root] = true;
    while (work.length > 0) {
      const frame = work[work.length - 1]!;
      const [node, at] = frame;
      const targets = edges[node]!;
      if (at < targets.length) {
        frame[1]++;
        const target = targets[at]!;
        if (index[target] === -1) {
          index[target] = low[target] = next++;
          stack.push(target);
          onStack[target] = true;
          work.push([target, 0]);
        } else if (onStack[target]) low[node] = Math.min(low[node]!, index[target]!);
        continue;
      }
      work.pop();
      if (work.length > 0) {
        const parent = work[work.length - 1]![0];
        low[parent] = Math.min(low[parent]!, low[node]!);
      }
      if (low[node] === index[node]) {
        const group: number[] = [];
        let member: number;
        do {
          member = stack.pop()!;
          onStack[member] = false;
          group.push(member);
        } while (member !== node);
        groups.push(group);
      }
    }
  }
  return groups;
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
    '-- schema.sql: the schema the migrations produce at head, written by strata dump. To change the schema,',
    '-- edit this file and run strata new --from-schema (strata diff shows the revision first), or write a revision and run strata dump.',
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
