import { closest, problem, type Problem } from '../errors.js';
import type { SchemaObject, Snapshot } from '../schema/model/snapshot.js';
import type { RenameHint } from './plan-migration.js';
import { HINT, parseName, type SchemaHint } from './schema-hints.js';

/**
 * Rename hints (schema.sql's `-- strata:renamed-from`, the command line's `--rename`) as the
 * generator takes them: `{ kind, from, to }`, `from` the identity of the object in the migrations'
 * schema (current) and `to` its identity in schema.sql's (desired), e.g. `{ kind: 'column', from:
 * 'column public.orders.note', to: 'column public.orders.remark' }`; an enum label's are its
 * type's, with `value: { from, to }`. A hint that names nothing, that names an
 * object schema.sql still declares, or a new name the migrations already have is a problem with
 * its place. Pure.
 */

/** The snapshot kinds each hint kind can name. */
const KINDS: Record<RenameHint['kind'], readonly string[]> = {
  schema: ['schema'], table: ['table'], column: ['column'], index: ['index'], constraint: ['constraint'], 'enum value': ['type'],
  view: ['view', 'materialized view'], sequence: ['sequence'], type: ['type', 'domain'], function: ['function', 'procedure'],
};

/** A `--rename <old path>=<new name>` from the command line. */
export interface RenameFlag {
  written: string;
  /** the old name's parts: `[table, column]`, `[schema, table, column]`, `[type, label]` ... */
  path: string[];
  to: string;
}

export function parseRenameFlags(values: readonly string[]): { ok: true; flags: RenameFlag[] } | { ok: false; problems: Problem[] } {
  const flags: RenameFlag[] = [];
  const problems: Problem[] = [];
  for (const written of values) {
    const equals = written.lastIndexOf('=');
    const path = equals > 0 ? splitPath(written.slice(0, equals)) : undefined;
    const to = equals > 0 ? parseName(written.slice(equals + 1).trim()) : undefined;
    if (!path || !to || to.schema !== undefined || path.length > 3) {
      problems.push(problem('RENAME_HINT_INVALID', {
        message: `--rename ${written}: not <old name>=<new name>`,
        hint: 'e.g. --rename orders.note=remark (a column), --rename public.orders.note=remark, --rename orders=purchases (a table); the new name is the last part only',
      }));
    } else flags.push({ written, path, to: to.name });
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, flags };
}

function splitPath(text: string): string[] | undefined {
  const parts: string[] = [];
  for (const piece of text.match(/"(?:[^"]|"")+"|[^.]+/g) ?? []) {
    const name = parseName(piece.trim());
    if (!name || name.schema !== undefined) return undefined;
    parts.push(name.name);
  }
  return parts.length > 0 && parts.join('').length > 0 ? parts : undefined;
}

export function resolveRenames(hints: readonly SchemaHint[], flags: readonly RenameFlag[], current: Snapshot, desired: Snapshot, file: string):
  { ok: true; renames: RenameHint[] } | { ok: false; problems: Problem[] } {
  const problems: Problem[] = [];
  const renames: RenameHint[] = [];
  const find = (snapshot: Snapshot, kind: RenameHint['kind'], schema: string | null, name: string, parent?: SchemaObject) =>
    snapshot.objects.filter((o) => KINDS[kind].includes(o.kind) && o.schema === schema && o.name === name && (parent === undefined || o.parent === parent.identity));
  // a table's counterpart on the other side, through a rename given for it
  const tableIn = (snapshot: Snapshot, schema: string, name: string) => find(snapshot, 'table', schema, name)[0];
  const oldTable = (schema: string, name: string) => {
    const renamed = renames.find((r) => r.kind === 'table' && r.to === tableIn(desired, schema, name)?.identity);
    return renamed ? current.objects.find((o) => o.identity === renamed.from) : tableIn(current, schema, name);
  };
  const add = (hint: RenameHint) => {
    if (!renames.some((r) => JSON.stringify(r) === JSON.stringify(hint))) renames.push(hint);
  };

  // tables and schemas first: a column's or constraint's hint finds its table through them
  const ordered = [...hints].sort((a, b) => Number(a.parent !== undefined) - Number(b.parent !== undefined));
  for (const hint of ordered) {
    const where = { file, line: hint.line, column: hint.column };
    const fail = (message: string, fix: string) => problems.push(problem('RENAME_HINT_INVALID', { ...where, message: `-- ${HINT} ${hint.from}: ${message}`, hint: fix }));
    const declaredParent = hint.parent !== undefined && hint.kind !== 'enum value' ? tableIn(desired, hint.schema!, hint.parent) : undefined;
    if (hint.kind === 'enum value') {
      const resolved = resolveLabel(current, desired, renames, hint.schema!, hint.parent!, hint.from, hint.name);
      if (typeof resolved === 'string') fail(resolved, 'name a label the migrations make and schema.sql no longer declares');
      else add(resolved);
      continue;
    }
    const to = find(desired, hint.kind, hint.schema, hint.name, declaredParent);
    const parentBefore = hint.parent !== undefined ? oldTable(hint.schema!, hint.parent) : undefined;
    if (hint.parent !== undefined && !parentBefore) {
      fail(`the migrations make no table ${hint.schema}.${hint.parent} to have a ${hint.kind} ${hint.from}`, `rename the table too (-- ${HINT} above its CREATE TABLE), or check the names`);
      continue;
    }
    const fromSchema = hint.fromSchema ?? hint.schema;
    const candidates = find(current, hint.kind, fromSchema, hint.from, parentBefore);
    const label = `${hint.kind} ${[fromSchema, hint.parent, hint.from].filter((p) => p !== null && p !== undefined).join('.')}`;
    if (to.length === 0) {
      fail(`schema.sql's ${hint.kind} ${hint.name} was not found after loading it`, 'check that the statement below the hint declares it');
      continue;
    }
    for (const target of to) {
      const source = candidates.find((o) => argumentsOf(o) === argumentsOf(target));
      if (!source) {
        const names = current.objects.filter((o) => KINDS[hint.kind].includes(o.kind) && (parentBefore === undefined || o.parent === parentBefore.identity)).map((o) => o.name);
        const near = closest(hint.from, names);
        fail(`the migrations make no ${label}${argumentsOf(target)}`, near ? `did you mean ${near}?` : 'give the name the object has in the migrations (the schema.sql strata dump wrote has it)');
        continue;
      }
      const problemWith = misfit(source, target, current, desired);
      if (problemWith) fail(problemWith, 'a rename leaves the old name only in the migrations and the new one only in schema.sql');
      else add({ kind: hint.kind, from: source.identity, to: target.identity });
    }
  }
  for (const flag of flags) {
    const candidates = flagCandidates(flag, current, desired, renames);
    if (candidates.length === 1) add(candidates[0]!);
    else {
      problems.push(problem('RENAME_HINT_INVALID', {
        message: candidates.length === 0
          ? `--rename ${flag.written} names nothing: the migrations make no ${flag.path.join('.')} that schema.sql declares as ${flag.to}`
          : `--rename ${flag.written} could be ${candidates.map((c) => `the ${c.kind} ${c.from}${c.value ? ` label '${c.value.from}'` : ''}`).join(' or ')}`,
        hint: candidates.length === 0 ? 'give the old name as the migrations have it and the new one as schema.sql declares it, e.g. --rename public.orders.note=remark' : 'qualify it: --rename <schema>.<table>.<column>=<new name>',
      }));
    }
  }
  const clash = renames.find((r, k) => renames.some((s, j) => j !== k && s.kind === r.kind && s.from === r.from && JSON.stringify(s.value) === JSON.stringify(r.value)));
  if (clash) problems.push(problem('RENAME_HINT_INVALID', { message: `the ${clash.kind} ${clash.from} is given two new names`, hint: 'keep one of the hints' }));
  return problems.length > 0 ? { ok: false, problems } : { ok: true, renames };
}

function argumentsOf(object: SchemaObject): string {
  return object.kind === 'function' || object.kind === 'procedure' ? object.identity.slice(object.identity.indexOf('(')) : '';
}

/** Why `source` -> `target` is not a rename, if it is not. */
function misfit(source: SchemaObject, target: SchemaObject, current: Snapshot, desired: Snapshot): string | undefined {
  if (desired.objects.some((o) => o.identity === source.identity)) return `schema.sql still declares ${source.identity}`;
  if (current.objects.some((o) => o.identity === target.identity)) return `the migrations already make ${target.identity}`;
  return undefined;
}

function resolveLabel(current: Snapshot, desired: Snapshot, renames: readonly RenameHint[], schema: string, typeName: string, from: string, to: string): RenameHint | string {
  const type = desired.objects.find((o) => o.kind === 'type' && o.schema === schema && o.name === typeName);
  const renamed = type && renames.find((r) => r.kind === 'type' && r.to === type.identity);
  const before = renamed ? current.objects.find((o) => o.identity === renamed.from) : current.objects.find((o) => o.kind === 'type' && o.schema === schema && o.name === typeName);
  const labels = (o: SchemaObject | undefined) => (o?.attributes.labels ?? []) as string[];
  if (!type || !before || before.attributes.type !== 'enum') return `the migrations make no enum type ${schema}.${typeName}`;
  if (!labels(before).includes(from)) return `the migrations' ${before.identity} has no label '${from}' (it has ${labels(before).map((l) => `'${l}'`).join(', ')})`;
  if (labels(type).includes(from)) return `schema.sql's ${type.identity} still has the label '${from}'`;
  if (to === '') {
    // above the CREATE TYPE: the one label schema.sql adds
    const fresh = labels(type).filter((l) => !labels(before).includes(l));
    if (fresh.length !== 1) return `schema.sql's ${type.identity} adds ${fresh.length} labels, so the hint above it cannot say which is '${from}' renamed: put it above the label inside CREATE TYPE (one label a line)`;
    to = fresh[0]!;
  }
  if (labels(before).includes(to)) return `the migrations' ${before.identity} has the label '${to}' already`;
  return { kind: 'enum value', from: before.identity, to: type.identity, value: { from, to } };
}

/** Every reading of a --rename that names an object of the migrations with a counterpart in schema.sql. */
function flagCandidates(flag: RenameFlag, current: Snapshot, desired: Snapshot, renames: readonly RenameHint[]): RenameHint[] {
  const found: RenameHint[] = [];
  const { path, to } = flag;
  const objectsNamed = (snapshot: Snapshot, kinds: readonly string[], schema: string | null, name: string, parent?: string) =>
    snapshot.objects.filter((o) => kinds.includes(o.kind) && o.schema === schema && o.name === name && (parent === undefined || o.parent === parent));
  const counterpartOf = (table: SchemaObject) => {
    const renamed = renames.find((r) => r.kind === 'table' && r.from === table.identity);
    return desired.objects.find((o) => o.identity === (renamed ? renamed.to : table.identity));
  };
  const consider = (kind: RenameHint['kind'], schema: string | null, name: string, table?: SchemaObject) => {
    const after = table ? counterpartOf(table) : undefined;
    if (table && !after) return;
    for (const source of objectsNamed(current, KINDS[kind], schema, name, table?.identity)) {
      for (const target of objectsNamed(desired, KINDS[kind], table ? schema : source.schema, to, after?.identity)) {
        if (argumentsOf(source) === argumentsOf(target) && !misfit(source, target, current, desired)) found.push({ kind, from: source.identity, to: target.identity });
      }
    }
  };
  const relationKinds: RenameHint['kind'][] = ['table', 'view', 'sequence', 'index', 'type', 'function'];
  const inTable = (schema: string, tableName: string, name: string) => {
    for (const table of objectsNamed(current, ['table'], schema, tableName)) for (const kind of ['column', 'constraint'] as const) consider(kind, schema, name, table);
    const label = resolveLabel(current, desired, renames, schema, tableName, name, to);
    if (typeof label !== 'string') found.push(label);
  };
  if (path.length === 1) {
    consider('schema', null, path[0]!);
    for (const kind of relationKinds) consider(kind, 'public', path[0]!);
  } else if (path.length === 2) {
    for (const kind of relationKinds) consider(kind, path[0]!, path[1]!);
    inTable('public', path[0]!, path[1]!);
  } else inTable(path[0]!, path[1]!, path[2]!);
  return found;
}
