import type { SchemaObject } from '../schema/model/snapshot.js';
import type { AlterResult } from './alter-table.js';
import { groupOf, lastName, literal, qualifiedName, quoteIdent, unquote } from './identities.js';
import { statement, type PlanContext } from './statement.js';

/**
 * An enum's values. Growth that keeps the old values in their order is ADD VALUE ... BEFORE/AFTER,
 * in the declared order. Anything else (a value removed, the order changed) rebuilds the type:
 * the old one renamed out of the way, the declared one created, every column moved to it with
 * USING (the value as text), then the old one dropped (the graph builder adds that last step and
 * the dependents dropped and made again around it). Pure.
 */

/** The old values, in their order, are all among the new ones in the same order */
export function onlyGrows(before: readonly string[], after: readonly string[]): boolean {
  let at = 0;
  for (const label of after) if (label === before[at]) at++;
  return at === before.length && new Set(after).size === after.length;
}

export function labelsOf(type: SchemaObject): string[] {
  return (type.attributes.labels as string[] | undefined) ?? [];
}

/** The name the old type has while its columns move: `mood` -> `mood__strata_old` (63 bytes at most) */
export function oldTypeName(type: SchemaObject): string {
  const qualified = qualifiedName(type);
  const schema = qualified.slice(0, qualified.length - lastName(qualified).length - 1);
  const base = unquote(lastName(qualified));
  let name = `${base}__strata_old`;
  while (Buffer.byteLength(name) > 63) name = `${base.slice(0, base.length - (name.length - 62))}__strata_old`;
  return `${schema}.${quoteIdent(name)}`;
}

export function enumSteps(before: SchemaObject, after: SchemaObject, context: PlanContext): AlterResult {
  const group = groupOf(after, context.desired);
  const name = qualifiedName(after);
  const [was, now] = [labelsOf(before), labelsOf(after)];
  const old = context.rebuiltEnums.get(after.identity);
  if (old !== undefined) {
    const removed = was.filter((label) => !now.includes(label));
    return {
      steps: {
        before: [statement(`alter type ${name} rename to ${lastName(old)};`, after, group, removed.length > 0
          ? { destructive: `drops value${removed.length > 1 ? 's' : ''} ${removed.map(literal).join(', ')} of ${name}: rows that hold ${removed.length > 1 ? 'them' : 'it'} make this migration fail` }
          : {})],
        after: [statement(after.create, after, group)],
      },
    };
  }
  const sql: string[] = [];
  now.forEach((label, k) => {
    if (was.includes(label)) return;
    const position = k > 0 ? ` after ${literal(now[k - 1]!)}` : now.length > 1 ? ` before ${literal(now[1]!)}` : '';
    sql.push(`alter type ${name} add value ${literal(label)}${position};`);
  });
  return { steps: { before: [], after: sql.map((s) => statement(s, after, group)) } };
}

/** `alter type public.mood add value 'x' ...;` -> ['public.mood', "'x'"] */
export function addedValue(sql: string): { type: string; label: string } | undefined {
  const match = /^alter type (.+?) add value ('(?:[^']|'')*')/.exec(sql);
  return match ? { type: match[1]!, label: match[2]! } : undefined;
}
