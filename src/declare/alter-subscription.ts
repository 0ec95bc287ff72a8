import type { SchemaObject } from '../schema/model/snapshot.js';
import { subscriptionOptions } from '../schema/introspect/subscriptions.js';
import type { AlterResult } from './alter-table.js';
import { groupOf, literal, qualifiedName } from './identities.js';
import { statement, type PlanContext } from './statement.js';

/**
 * A subscription (disabled, without a replication slot: subscriptions.ts) changed in place, by
 * statements that reach no publisher: ALTER SUBSCRIPTION ... CONNECTION, SET PUBLICATION ... WITH
 * (refresh = false) (a refresh would connect), SET (...) for its options. two_phase and failover
 * are made again: PostgreSQL 15 cannot change two_phase, and failover is the slot's. Pure.
 */
export function subscriptionSteps(before: SchemaObject, after: SchemaObject, changed: ReadonlySet<string>, context: PlanContext): AlterResult {
  if (changed.has('twoPhase') || changed.has('failover')) return { replace: `its ${changed.has('twoPhase') ? 'two_phase' : 'failover'} option changed (ALTER SUBSCRIPTION cannot change it without a slot)` };
  const [b, a] = [before.attributes, after.attributes];
  const alter = `alter subscription ${qualifiedName(after)}`;
  const sql: string[] = [];
  if (changed.has('connection')) sql.push(`${alter} connection ${literal(String(a.connection))};`);
  if (changed.has('publications')) sql.push(`${alter} set publication ${(a.publications as string[]).join(', ')} with (refresh = false);`);
  const options = subscriptionOptions(a, b);
  if (options.length > 0) sql.push(`${alter} set (${options.join(', ')});`);
  const group = groupOf(after, context.desired);
  return { steps: { before: [], after: sql.map((s) => statement(s, after, group)) } };
}
