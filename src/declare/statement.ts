import type { FieldChange } from '../schema/model/diff.js';
import type { SchemaObject } from '../schema/model/snapshot.js';

/** One statement of a generated up.sql or down.sql (plan-migration.ts says how they are made). */
export interface GeneratedStatement {
  /** one statement ending with ';', formatted like schema.sql */
  sql: string;
  /** the object it creates, alters or drops */
  identity: string;
  /** the object it is shown under (its table for a column, an index, a trigger ...) */
  group: string;
  /** why it loses data: written as `-- strata: destructive: <why>` above it */
  destructive?: string;
  /** what a reviewer must know of it: written as `-- strata: <note>` above it */
  note?: string;
  /** the identity of a table this statement rewrites (its relfilenode changes), when it does */
  rewrites?: string;
  /** must run outside a transaction block; never set by the generator today */
  ownTransaction?: boolean;
}

/** A change the generator will not make, by name, with why. */
export interface Refusal {
  identity: string;
  /** the object kind (or the unmodelled kind: 'cast', 'operator' ...) */
  kind: string;
  reason: string;
}

/**
 * What happens to one object: created, dropped, altered in place, or dropped and created again
 * (`replace`); `recreate` is a replace whose drop is done by dropping what it is part of.
 */
export type Action =
  | { type: 'create' }
  | { type: 'drop' }
  | { type: 'alter'; fields: FieldChange[] }
  | { type: 'replace'; because: string }
  | { type: 'recreate' };

/** The statements of one object: those before (drops, detaching) and those after (creates, alters). */
export interface ObjectSteps {
  before: GeneratedStatement[];
  after: GeneratedStatement[];
}

/** What the planning of one migration knows, shared by its parts. */
export interface PlanContext {
  /** the current schema, renames applied */
  current: ReadonlyMap<string, SchemaObject>;
  desired: ReadonlyMap<string, SchemaObject>;
  /** identity -> the identities of the current objects that depend on it */
  currentDependents: ReadonlyMap<string, readonly string[]>;
  actions: Map<string, Action>;
  /** columns whose default is dropped before (and set after) an object it uses is dropped and created again */
  detachedDefaults: Set<string>;
  /** enum types rebuilt (values removed or reordered) -> the temporary name of the old type */
  rebuiltEnums: Map<string, string>;
  refusals: Refusal[];
  /** 'down': the plan of down.sql, which puts back what up.sql took (values it dropped are gone) */
  direction: 'up' | 'down';
}

export function statement(sql: string, object: SchemaObject, group: string, extra: Partial<GeneratedStatement> = {}): GeneratedStatement {
  return { sql, identity: object.identity, group, ...extra };
}
