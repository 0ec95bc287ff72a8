import type { FieldChange } from '../schema/model/diff.js';
import type { Json, SchemaObject } from '../schema/model/snapshot.js';
import { alterColumn, alterTable, optionStatements, restartReason, type AlterResult } from './alter-table.js';
import { publicationSteps } from './alter-publication.js';
import { subscriptionSteps } from './alter-subscription.js';
import { enumSteps } from './enum-changes.js';
import { alterForeignColumn, alterForeignData, isForeignColumn } from './foreign-data-changes.js';
import { groupOf, onTable, qualifiedName } from './identities.js';
import { privilegeStatements } from './privilege-statements.js';
import { selectParts } from './sql-text.js';
import { statement, type PlanContext } from './statement.js';

/**
 * How an object that exists on both sides is changed in place, kind by kind, or why it must be
 * dropped and created again (`replace`), or why it is refused. ALTER wherever PostgreSQL has one;
 * CREATE OR REPLACE for a view whose columns only grow, a routine whose signature and result
 * stay, a trigger or a rule. Pure.
 */
export function alterObject(before: SchemaObject, after: SchemaObject, fields: readonly FieldChange[], context: PlanContext): AlterResult {
  const changed = new Set(fields.map((f) => f.path.split('.')[0]!));
  const only = (...names: string[]) => [...changed].every((c) => names.includes(c));
  const group = groupOf(after, context.desired);
  const steps = (sql: string[]): AlterResult => ({ steps: { before: [], after: sql.map((s) => statement(s, after, group)) } });
  const a = after.attributes;
  const b = before.attributes;
  const name = qualifiedName(after);
  switch (after.kind) {
    case 'table':
      return alterTable(before, after, fields, context);
    case 'column':
      return isForeignColumn(after) ? alterForeignColumn(before, after, fields, context) : alterColumn(before, after, fields, context);
    case 'foreign-data wrapper':
    case 'server':
    case 'user mapping':
    case 'foreign table':
      return alterForeignData(before, after, fields, context);
    case 'schema':
      return steps([]);
    case 'extension':
      if (a.schema === b.schema) return steps([]);
      // ALTER EXTENSION ... SET SCHEMA works only for an extension its control file calls relocatable
      if (b.relocatable === false) return { refuse: `it moves to schema ${String(a.schema)}, but it is not relocatable (its control file says so), so PostgreSQL cannot ALTER EXTENSION ... SET SCHEMA it: drop it and create it in ${String(a.schema)} in a revision written by hand` };
      return steps([`alter extension ${name} set schema ${String(a.schema)};`]);
    case 'collation':
    case 'aggregate':
      return { replace: `its ${[...changed].join(', ')} changed` };
    case 'type':
      if (a.type !== b.type) return { replace: `it becomes a${a.type === 'enum' ? 'n' : ''} ${String(a.type)} type` };
      if (a.type === 'enum') return enumSteps(before, after, context);
      if (a.type === 'composite') return compositeSteps(before, after, context);
      return { replace: `its ${[...changed].join(', ')} changed` };
    case 'domain':
      return domainSteps(before, after, changed, context);
    case 'sequence': {
      const restart = restartReason(name, b, a);
      const [alter, ...rest] = sequenceStatements(name, b, a, changed, restart !== undefined);
      if (alter === undefined || restart === undefined) return steps([...(alter ? [alter] : []), ...rest]);
      return { steps: { before: [], after: [statement(alter, after, group, { destructive: restart }), ...rest.map((s) => statement(s, after, group))] } };
    }
    case 'sequence owned by':
      return steps([after.create]);
    case 'constraint': {
      if (!only('valid', 'replicaIdentity', 'clustered') || (b.valid && !a.valid)) return { replace: 'its definition changed' };
      const [table, constraint] = onTable(after);
      return steps([
        ...(changed.has('valid') ? [`alter table ${table} validate constraint ${constraint};`] : []),
        ...replicaAndCluster('table', table, constraint, b, a),
      ]);
    }
    case 'index': {
      if (!only('replicaIdentity', 'clustered')) return { replace: 'its definition changed' };
      const [relationKind, table] = splitParent(after.parent!);
      return steps(replicaAndCluster(relationKind, table, name.slice(name.lastIndexOf('.') + 1), b, a));
    }
    case 'view': {
      if (only('options')) return steps(optionStatements(`alter view ${name}`, b.options, a.options));
      if (!columnsOnlyAppend(String(b.definition), String(a.definition))) return { replace: 'its columns change (CREATE OR REPLACE VIEW can only add columns at the end)' };
      return steps([after.create.replace(/^create view /, 'create or replace view ')]);
    }
    case 'materialized view':
      if (only('options')) return steps(optionStatements(`alter materialized view ${name}`, b.options, a.options));
      return { replace: 'its query changed' };
    case 'function':
    case 'procedure':
      if (changed.has('arguments') || changed.has('result') || changed.has('window')) return { replace: `its ${changed.has('result') ? 'result type' : 'arguments'} changed (CREATE OR REPLACE cannot change them)` };
      return steps([after.create]);
    case 'trigger':
    case 'rule': {
      const [table, child] = onTable(after);
      const enable = (state: Json | undefined) => `alter table ${table} ${ENABLE_CLAUSE[String(state)]} ${after.kind} ${child};`;
      if (only('enabled')) return steps([enable(a.enabled)]);
      const definition = String(a.definition);
      const head = after.kind === 'trigger' ? 'CREATE TRIGGER ' : 'CREATE RULE ';
      if (!definition.startsWith(head)) return { replace: 'its definition changed (a constraint trigger cannot be replaced in place)' };
      const replaced = `CREATE OR REPLACE ${definition.slice('CREATE '.length)}${after.kind === 'trigger' ? ';' : ''}`;
      // CREATE OR REPLACE sets the trigger enabled again; a rule keeps its state
      const needsEnable = after.kind === 'trigger' ? a.enabled !== 'origin' : changed.has('enabled');
      return steps([replaced, ...(needsEnable ? [enable(a.enabled)] : [])]);
    }
    case 'event trigger':
      if (only('enabled')) return steps([`alter event trigger ${name} ${ENABLE_CLAUSE[String(a.enabled)]};`]);
      return { replace: `its ${[...changed].join(', ')} changed` };
    case 'policy': {
      if (changed.has('permissive') || changed.has('command')) return { replace: `its ${changed.has('command') ? 'command' : 'permissive/restrictive kind'} changed (ALTER POLICY cannot change it)` };
      if ((changed.has('using') && a.using === null) || (changed.has('withCheck') && a.withCheck === null)) return { replace: 'an expression is taken off (ALTER POLICY cannot remove it)' };
      const [table, policy] = onTable(after);
      const clauses = [
        ...(changed.has('roles') ? [`to ${(a.roles as string[]).join(', ')}`] : []),
        ...(changed.has('using') ? [`using (${String(a.using)})`] : []),
        ...(changed.has('withCheck') ? [`with check (${String(a.withCheck)})`] : []),
      ];
      return steps([`alter policy ${policy} on ${table} ${clauses.join(' ')};`]);
    }
    case 'publication':
      return publicationSteps(before, after, context);
    case 'subscription':
      return subscriptionSteps(before, after, changed, context);
    case 'comment':
      return steps([after.create]);
    case 'privileges':
    case 'default privileges':
      return steps(privilegeStatements(before, after));
  }
}

const ENABLE_CLAUSE: Record<string, string> = { origin: 'enable', disabled: 'disable', replica: 'enable replica', always: 'enable always' };

/** `materialized view public.m` -> ['materialized view', 'public.m'] */
function splitParent(parent: string): [string, string] {
  const kind = parent.startsWith('materialized view ') ? 'materialized view' : 'table';
  return [kind, parent.slice(kind.length + 1)];
}

function replicaAndCluster(relationKind: string, table: string, index: string, b: { [key: string]: Json }, a: { [key: string]: Json }): string[] {
  const sql: string[] = [];
  // a replica identity taken off is the table's own change (to default, full or nothing)
  if (a.replicaIdentity && !b.replicaIdentity) sql.push(`alter table ${table} replica identity using index ${index};`);
  if (a.clustered !== b.clustered) sql.push(a.clustered ? `alter ${relationKind} ${table} cluster on ${index};` : `alter ${relationKind} ${table} set without cluster;`);
  return sql;
}

/** The new query keeps every column of the old one, unchanged and in place, and what it reads from */
function columnsOnlyAppend(before: string, after: string): boolean {
  const [b, a] = [selectParts(before), selectParts(after)];
  if (!b || !a || b.rest !== a.rest || a.targets.length < b.targets.length) return false;
  return b.targets.every((target, k) => a.targets[k] === target);
}

function sequenceStatements(name: string, b: { [key: string]: Json }, a: { [key: string]: Json }, changed: Set<string>, restart: boolean): string[] {
  const sql: string[] = [];
  const options: string[] = [];
  // AS moves the bounds that sat at the old type's limits: the bounds are written with it
  const bounds = changed.has('type');
  if (changed.has('type')) options.push(`as ${String(a.type)}`);
  if (changed.has('increment')) options.push(`increment by ${String(a.increment)}`);
  if (changed.has('min') || bounds) options.push(`minvalue ${String(a.min)}`);
  if (changed.has('max') || bounds) options.push(`maxvalue ${String(a.max)}`);
  if (changed.has('start')) options.push(`start with ${String(a.start)}`);
  if (changed.has('cache')) options.push(`cache ${String(a.cache)}`);
  if (changed.has('cycle')) options.push(a.cycle ? 'cycle' : 'no cycle');
  if (restart) options.push(`restart with ${String(a.start)}`);
  if (options.length > 0) sql.push(`alter sequence ${name} ${options.join(' ')};`);
  if (changed.has('unlogged')) sql.push(`alter sequence ${name} set ${a.unlogged ? 'unlogged' : 'logged'};`);
  return sql;
}

type Field = { name: string; type: string; collation: string | null };

function compositeSteps(before: SchemaObject, after: SchemaObject, context: PlanContext): AlterResult {
  const name = qualifiedName(after);
  const was = before.attributes.fields as Field[];
  const now = after.attributes.fields as Field[];
  const wasNames = new Set(was.map((f) => f.name));
  const nowNames = new Set(now.map((f) => f.name));
  const kept = was.filter((f) => nowNames.has(f.name)).map((f) => f.name);
  const keptDeclared = now.filter((f) => wasNames.has(f.name)).map((f) => f.name);
  const firstNew = now.findIndex((f) => !wasNames.has(f.name));
  if (kept.join(',') !== keptDeclared.join(',') || (firstNew !== -1 && now.slice(firstNew).some((f) => wasNames.has(f.name)))) {
    return { refuse: 'its attributes are reordered or one is declared between existing ones: ADD ATTRIBUTE puts it last; declare new attributes last' };
  }
  const sql: string[] = [];
  for (const field of was) if (!nowNames.has(field.name)) sql.push(`alter type ${name} drop attribute ${field.name};`);
  const isUsed = (context.currentDependents.get(before.identity) ?? []).some((d) => context.current.get(d)?.kind === 'column');
  for (const field of now) {
    const old = was.find((f) => f.name === field.name);
    const collate = field.collation ? ` collate ${field.collation}` : '';
    if (!old) sql.push(`alter type ${name} add attribute ${field.name} ${field.type}${collate};`);
    else if (old.type !== field.type || old.collation !== field.collation) {
      if (isUsed) return { refuse: `the type of its attribute ${field.name} changes while a table column uses it (PostgreSQL refuses ALTER ATTRIBUTE ... TYPE then)` };
      sql.push(`alter type ${name} alter attribute ${field.name} type ${field.type}${collate};`);
    }
  }
  return { steps: { before: [], after: sql.map((s) => statement(s, after, groupOf(after, context.desired))) } };
}

type DomainCheck = { name: string; definition: string; valid: boolean };

function domainSteps(before: SchemaObject, after: SchemaObject, changed: Set<string>, context: PlanContext): AlterResult {
  if (changed.has('base') || changed.has('collation')) return { replace: `its ${changed.has('base') ? 'base type' : 'collation'} changed` };
  const name = qualifiedName(after);
  const [a, b] = [after.attributes, before.attributes];
  const sql: string[] = [];
  if (changed.has('default')) sql.push(a.default === null ? `alter domain ${name} drop default;` : `alter domain ${name} set default ${String(a.default)};`);
  if (changed.has('notNull')) sql.push(`alter domain ${name} ${a.notNull ? 'set' : 'drop'} not null;`);
  const was = b.constraints as DomainCheck[];
  const now = a.constraints as DomainCheck[];
  for (const check of was) {
    const next = now.find((c) => c.name === check.name);
    if (!next || next.definition !== check.definition || (check.valid && !next.valid)) sql.push(`alter domain ${name} drop constraint ${check.name};`);
  }
  for (const check of now) {
    const old = was.find((c) => c.name === check.name);
    const isNew = !old || old.definition !== check.definition || (old.valid && !check.valid);
    if (isNew) sql.push(`alter domain ${name} add constraint ${check.name} ${check.definition} not valid;`);
    if (check.valid && (isNew || !old!.valid)) sql.push(`alter domain ${name} validate constraint ${check.name};`);
  }
  return { steps: { before: [], after: sql.map((s) => statement(s, after, groupOf(after, context.desired))) } };
}
