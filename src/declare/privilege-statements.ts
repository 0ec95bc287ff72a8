import type { SchemaObject } from '../schema/model/snapshot.js';
import { onTable, qualifiedName, splitQualified } from './identities.js';

/**
 * GRANT and REVOKE statements that take an object's privileges (or a role's default privileges)
 * from one state to another: `before` or `after` undefined is the built-in default (no grants
 * beyond it, nothing revoked from it). What `before` granted and `after` does not is revoked,
 * what `before` revoked and `after` does not is granted back, then the rest of `after`. Pure.
 */
export function privilegeStatements(before: SchemaObject | undefined, after: SchemaObject | undefined): string[] {
  const object = (after ?? before)!;
  const grants = (o: SchemaObject | undefined) => new Set((o?.attributes.grants as string[] | undefined) ?? []);
  const revokes = (o: SchemaObject | undefined) => new Set((o?.attributes.revokes as string[] | undefined) ?? []);
  const [grantedBefore, grantedAfter, revokedBefore, revokedAfter] = [grants(before), grants(after), revokes(before), revokes(after)];
  const toRevoke: Entry[] = [];
  const toGrant: Entry[] = [];
  for (const text of grantedBefore) if (!grantedAfter.has(text)) toRevoke.push(parseGrant(text));
  for (const text of revokedAfter) if (!revokedBefore.has(text)) toRevoke.push(parseRevoke(text));
  for (const text of revokedBefore) if (!revokedAfter.has(text)) toGrant.push(parseRevoke(text));
  for (const text of grantedAfter) if (!grantedBefore.has(text)) toGrant.push(parseGrant(text));
  const { on, column, prefix } = targetOf(object);
  const list = (privileges: string[]) => (column ? privileges.map((p) => `${p} (${column})`) : privileges).join(', ');
  return [
    ...grouped(toRevoke.map((e) => ({ ...e, grantable: false }))).map((g) => `${prefix}revoke ${list(g.privileges)} on ${on} from ${g.grantee};`),
    ...grouped(toGrant).map((g) => `${prefix}grant ${list(g.privileges)} on ${on} to ${g.grantee}${g.grantable ? ' with grant option' : ''};`),
  ];
}

/**
 * Statements that bring a just-created object's privileges back to the built-in default, whatever
 * default privileges (ALTER DEFAULT PRIVILEGES, current or declared) gave or took from it when it
 * was created: each privilege they grant revoked, each they revoke granted back. Where an entry
 * did not apply (another role's), the statement changes nothing. The object's own privileges
 * object then goes from the built-in default, as privilegeStatements assumes.
 */
export function defaultPrivilegesUndone(object: SchemaObject, entries: readonly SchemaObject[]): string[] {
  const objects = DEFAULTS_FOR[object.kind];
  if (objects === undefined) return [];
  const applying = entries.filter((e) => e.attributes.objects === objects && (e.attributes.schema === null || e.attributes.schema === quotedSchemaOf(object)));
  if (applying.length === 0) return [];
  const undo: SchemaObject = { ...object, kind: 'privileges', identity: `privileges on ${object.identity}`, parent: object.identity, attributes: {
    grants: [...new Set(applying.flatMap((e) => (e.attributes.revokes as string[]).map((r) => r.replace(/ from /, ' to '))))],
    revokes: [...new Set(applying.flatMap((e) => (e.attributes.grants as string[]).map((g) => g.replace(/ with grant option$/, '').replace(/ to /, ' from '))))],
  } };
  return privilegeStatements(undefined, undo);
}

const DEFAULTS_FOR: Partial<Record<SchemaObject['kind'], string>> = {
  table: 'tables', view: 'tables', 'materialized view': 'tables', 'foreign table': 'tables', sequence: 'sequences', function: 'functions', procedure: 'functions', aggregate: 'functions',
  type: 'types', domain: 'types', schema: 'schemas',
};

function quotedSchemaOf(object: SchemaObject): string | null {
  return object.schema === null ? null : splitQualified(qualifiedName(object))[0]!;
}

interface Entry {
  privilege: string;
  grantee: string;
  grantable: boolean;
}

function parseGrant(text: string): Entry {
  const match = /^(.+?) to (.+?)( with grant option)?$/.exec(text);
  if (!match) throw new Error(`not a grant: ${text}`);
  return { privilege: match[1]!, grantee: match[2]!, grantable: match[3] !== undefined };
}

function parseRevoke(text: string): Entry {
  const match = /^(.+?) from (.+)$/.exec(text);
  if (!match) throw new Error(`not a revoke: ${text}`);
  return { privilege: match[1]!, grantee: match[2]!, grantable: false };
}

/** one statement per grantee (and grant option), privileges in the order given */
function grouped(entries: Entry[]): Array<{ grantee: string; grantable: boolean; privileges: string[] }> {
  const groups = new Map<string, { grantee: string; grantable: boolean; privileges: string[] }>();
  for (const { privilege, grantee, grantable } of entries) {
    const key = `${grantee}\u0000${grantable}`;
    const group = groups.get(key) ?? groups.set(key, { grantee, grantable, privileges: [] }).get(key)!;
    if (!group.privileges.includes(privilege)) group.privileges.push(privilege);
  }
  return [...groups.values()];
}

/** What GRANT names: `table public.t` (a column's: its table, and the column), or a role's default privileges */
function targetOf(object: SchemaObject): { on: string; column?: string; prefix: string } {
  if (object.kind === 'default privileges') {
    const { role, schema, objects } = object.attributes as { role: string; schema: string | null; objects: string };
    return { on: objects, prefix: `alter default privileges for role ${role}${schema ? ` in schema ${schema}` : ''} ` };
  }
  const target = object.parent!;
  const kind = KINDS.find((k) => target.startsWith(`${k} `))!;
  const name = target.slice(kind.length + 1);
  switch (kind) {
    case 'column': {
      const [table, column] = onTable({ kind: 'column', identity: target });
      return { on: `table ${table}`, column, prefix: '' };
    }
    case 'view':
    case 'materialized view':
    case 'table':
    case 'foreign table':
      return { on: `table ${name}`, prefix: '' };
    case 'foreign-data wrapper':
      return { on: `foreign data wrapper ${name}`, prefix: '' };
    case 'server':
      return { on: `foreign server ${name}`, prefix: '' };
    case 'aggregate':
      return { on: `function ${name}`, prefix: '' };
    default:
      return { on: `${kind} ${qualifiedName({ kind, identity: target })}`, prefix: '' };
  }
}

// longest first: 'materialized view' before 'view', 'foreign table' before 'table'
const KINDS = ['foreign-data wrapper', 'foreign table', 'server', 'materialized view', 'procedure', 'aggregate', 'function', 'sequence', 'schema', 'column', 'domain', 'table', 'type', 'view'] as const;
