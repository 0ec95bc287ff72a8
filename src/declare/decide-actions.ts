import { diffSnapshots } from '../schema/model/diff.js';
import type { SchemaObject, Snapshot } from '../schema/model/snapshot.js';
import { alterObject } from './alter-objects.js';
import type { AlterResult } from './alter-table.js';
import { labelsOf, oldTypeName, onlyGrows } from './enum-changes.js';
import { createStatements, dropStatements } from './object-statements.js';
import { lastName, qualifiedName } from './identities.js';
import { tableColumns } from './sql-text.js';
import type { Action, ObjectSteps, PlanContext } from './statement.js';

/**
 * What happens to each object, and its statements: created, dropped, altered in place, or
 * dropped and created again; then what that forces on the objects that depend on it (a view
 * over a column whose type changes, a trigger on a function made again, a default that uses a
 * dropped function), until nothing more changes. Pure.
 */
export function decideActions(current: Snapshot, desired: Snapshot, remade: ReadonlySet<string>, direction: 'up' | 'down'): { context: PlanContext; steps: Map<string, ObjectSteps> } {
  const currentDependents = new Map<string, string[]>();
  for (const object of current.objects) for (const need of object.dependsOn) (currentDependents.get(need) ?? currentDependents.set(need, []).get(need)!).push(object.identity);
  const context: PlanContext = {
    current: new Map(current.objects.map((o) => [o.identity, o])),
    desired: new Map(desired.objects.map((o) => [o.identity, o])),
    currentDependents, actions: new Map(), detachedDefaults: new Set(), rebuiltEnums: new Map(), refusals: [], direction,
  };
  const { actions } = context;
  for (const change of diffSnapshots(current, desired)) {
    if (change.change === 'added') actions.set(change.object.identity, { type: 'create' });
    else if (change.change === 'removed') actions.set(change.object.identity, { type: 'drop' });
    else {
      actions.set(change.after.identity, { type: 'alter', fields: change.fields });
      const [b, a] = [change.before, change.after];
      if (a.kind === 'type' && a.attributes.type === 'enum' && b.attributes.type === 'enum' && !onlyGrows(labelsOf(b), labelsOf(a))) context.rebuiltEnums.set(a.identity, oldTypeName(a));
    }
  }
  for (const identity of remade) if (!actions.has(identity) && context.desired.has(identity)) actions.set(identity, { type: 'replace', because: 'it reads a renamed column' });
  // what cannot be altered in place is made again (columns are decided after the cascade: it can detach their defaults)
  for (const [identity, action] of actions) {
    if (action.type !== 'alter') continue;
    if (context.current.get(identity)!.kind === 'column') {
      if (isRegeneratedLastColumn(context.current.get(identity)!, context.desired.get(identity)!, context)) actions.set(identity, { type: 'replace', because: 'its generation changes (PostgreSQL 15 cannot change it in place)' });
      continue;
    }
    const result = alterObject(context.current.get(identity)!, context.desired.get(identity)!, action.fields, context);
    if ('replace' in result) actions.set(identity, { type: 'replace', because: result.replace });
  }
  cascade(context);
  const steps = new Map<string, ObjectSteps>();
  for (const [identity, action] of actions) {
    const before = context.current.get(identity);
    const after = context.desired.get(identity);
    const result = stepsOf(action, before, after, context);
    if ('refuse' in result) context.refusals.push({ identity, kind: (after ?? before)!.kind, reason: result.refuse });
    else if ('replace' in result) context.refusals.push({ identity, kind: after!.kind, reason: `it must be dropped and created again (${result.replace}), which strata does not do to a ${after!.kind}` });
    else steps.set(identity, result.steps);
  }
  return { context, steps };
}

function stepsOf(action: Action, before: SchemaObject | undefined, after: SchemaObject | undefined, context: PlanContext): AlterResult {
  switch (action.type) {
    case 'create':
    case 'recreate':
      return { steps: { before: [], after: createStatements(after!, context) } };
    case 'drop':
      return { steps: { before: dropStatements(before!, context), after: [] } };
    case 'replace':
      return { steps: { before: dropStatements(before!, context), after: createStatements(after!, context) } };
    case 'alter':
      return alterObject(before!, after!, action.fields, context);
  }
}

/**
 * A column that becomes generated, or whose generation expression changes, can be dropped and
 * added again when it is the last column on both sides: it comes back in its place.
 */
function isRegeneratedLastColumn(before: SchemaObject, after: SchemaObject, context: PlanContext): boolean {
  const [b, a] = [before.attributes.generated, after.attributes.generated];
  if (a === null || JSON.stringify(a) === JSON.stringify(b)) return false;
  const isLast = (column: SchemaObject, objects: ReadonlyMap<string, SchemaObject>) => {
    const columns = tableColumns(objects.get(column.parent!)?.create ?? '');
    return columns !== undefined && columns[columns.length - 1]?.name === lastName(qualifiedName(column));
  };
  return isLast(before, context.current) && isLast(after, context.desired);
}

/** Kinds that hold data or cannot be made again without losing what they are */
const KEPT_KINDS = new Set(['schema', 'table', 'column', 'sequence', 'extension']);
/** What PostgreSQL refuses to keep over a column whose type changes */
const READS_COLUMN_TYPE = new Set(['view', 'materialized view', 'rule', 'policy', 'trigger', 'function', 'procedure']);
/** What may be altered in place while something it used is dropped (the alter is what stops the use) */
const ALTER_STOPS_USE = new Set(['extension', 'view', 'function', 'procedure', 'policy', 'domain', 'comment', 'privileges', 'sequence owned by', 'column', 'default privileges', 'publication']);

type Why = 'dropped' | 'replaced' | 'retyped' | 'rebuilt';

function cascade(context: PlanContext): void {
  const { actions, current, desired } = context;
  const work: Array<[string, Why]> = [];
  for (const [identity, action] of actions) {
    if (action.type === 'drop') work.push([identity, 'dropped']);
    else if (action.type === 'replace') work.push([identity, 'replaced']);
    else if (action.type === 'alter' && current.get(identity)!.kind === 'column' && action.fields.some((f) => f.path === 'type' || f.path === 'collation')) work.push([identity, 'retyped']);
  }
  for (const type of context.rebuiltEnums.keys()) {
    work.push([type, 'rebuilt']);
    // its columns move to the new type: an alter even where nothing else about them changes
    for (const column of desired.values()) {
      if (column.kind !== 'column' || !current.has(column.identity) || `type ${String(column.attributes.type).replace(/\[\]$/, '')}` !== type) continue;
      if (!actions.has(column.identity)) actions.set(column.identity, { type: 'alter', fields: [] });
      if (actions.get(column.identity)!.type === 'alter') work.push([column.identity, 'retyped']);
    }
  }
  const refuse = (identity: string, reason: string) => context.refusals.push({ identity, kind: current.get(identity)!.kind, reason });
  const replace = (identity: string, because: string) => {
    actions.set(identity, { type: 'replace', because });
    work.push([identity, 'replaced']);
  };
  const seen = new Set<string>();
  while (work.length > 0) {
    const [source, why] = work.pop()!;
    if (seen.has(`${why} ${source}`)) continue;
    seen.add(`${why} ${source}`);
    for (const dependent of context.currentDependents.get(source) ?? []) {
      const object = current.get(dependent)!;
      const action = actions.get(dependent);
      if (!desired.has(dependent) || action?.type === 'drop' || action?.type === 'replace' || action?.type === 'recreate') continue;
      if (isPartOf(object, source, current)) {
        // dropped with what it is part of: made again after it (a column's comment stays with its column)
        if (why !== 'retyped') {
          actions.set(dependent, { type: 'recreate' });
          work.push([dependent, 'replaced']);
        }
        continue;
      }
      if (why === 'retyped') {
        // a publication takes the table out and back in around the change (alter-publication.ts)
        if (object.kind === 'publication') {
          if (!action) actions.set(dependent, { type: 'alter', fields: [] });
        } else if (READS_COLUMN_TYPE.has(object.kind)) replace(dependent, `it reads ${source}, whose type changes`);
        else if (object.kind === 'column' && object.attributes.generated !== null) refuse(dependent, `it is generated from ${source}, whose type changes`);
        continue;
      }
      if (why === 'rebuilt') {
        if (object.kind === 'column' || object.kind === 'table') continue;
        if (object.kind === 'domain' || object.kind === 'type' || object.kind === 'collation') refuse(dependent, `it uses ${source}, whose values are removed or reordered (rebuilt as a new type): a ${object.kind} over it is not moved`);
        else replace(dependent, `it uses ${source}, which is rebuilt`);
        continue;
      }
      const sourceKind = current.get(source)!.kind;
      if (object.kind === 'column') {
        if (['function', 'procedure', 'aggregate', 'sequence'].includes(sourceKind)) {
          if (object.attributes.generated !== null) refuse(dependent, `it is generated from ${source}, which is ${why}`);
          else if (why === 'replaced' || action === undefined) {
            context.detachedDefaults.add(dependent);
            if (!action) actions.set(dependent, { type: 'alter', fields: [] });
          }
        } else if (!(why === 'dropped' && action?.type === 'alter' && action.fields.some((f) => f.path === 'type'))) {
          refuse(dependent, `its type ${source} is ${why === 'dropped' ? 'dropped' : 'dropped and created again'} while the column keeps it`);
        }
        continue;
      }
      if (object.kind === 'table') {
        const throughColumn = [...current.values()].some((c) => c.parent === dependent && c.kind === 'column' && c.dependsOn.includes(source));
        if (!throughColumn && why === 'replaced') refuse(dependent, `it depends on ${source}, which must be dropped and created again`);
        continue;
      }
      // a sequence needs the column that owns it only for OWNED BY, an object of its own
      if (object.kind === 'sequence owned by' || (object.kind === 'sequence' && current.get(source)?.kind === 'column')) continue;
      if (why === 'dropped' && action?.type === 'alter' && ALTER_STOPS_USE.has(object.kind)) continue;
      if (KEPT_KINDS.has(object.kind)) {
        refuse(dependent, `it depends on ${source}, which is ${why === 'dropped' ? 'dropped' : 'dropped and created again'}`);
        continue;
      }
      replace(dependent, `it uses ${source}, which is ${why === 'dropped' ? 'dropped' : 'made again'}`);
    }
  }
  // an object made again whose container is dropped too goes with it
  for (const [identity, action] of actions) {
    if (action.type === 'replace' && hasDroppedAncestor(current.get(identity)!, context)) actions.set(identity, { type: 'recreate' });
  }
}

/** `object` is (a part of) `container`: a table's column, a view's comment, a column's comment ... */
export function isPartOf(object: SchemaObject, container: string, objects: ReadonlyMap<string, SchemaObject>): boolean {
  for (let parent = object.parent; parent !== undefined; parent = objects.get(parent)?.parent) if (parent === container) return true;
  return false;
}

export function isRealDrop(identity: string, context: PlanContext): boolean {
  const type = context.actions.get(identity)?.type;
  return type === 'drop' || type === 'replace' || type === 'recreate';
}

export function hasDroppedAncestor(object: SchemaObject, context: PlanContext): boolean {
  for (let parent = object.parent; parent !== undefined; parent = context.current.get(parent)?.parent) if (isRealDrop(parent, context)) return true;
  return false;
}
