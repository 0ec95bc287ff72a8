import { diffSnapshots, type SchemaChange } from '../schema/model/diff.js';
import type { Snapshot, UnmodelledObject } from '../schema/model/snapshot.js';
import { columnOrderRefusals } from './alter-table.js';
import { decideActions } from './decide-actions.js';
import { addedValue } from './enum-changes.js';
import { orderSteps } from './order-steps.js';
import { keptSecrets, SECRET_OPTION, secretCreateRefusals, secretOptionRefusals } from './secret-options.js';
import { applyRenames, type RenameHint } from './renames.js';
import type { GeneratedStatement, Refusal } from './statement.js';
import { suggestRenames, type RenameSuggestion } from './suggest-renames.js';

export type { RenameHint } from './renames.js';
export type { GeneratedStatement, Refusal } from './statement.js';

/**
 * The declarative generator: from the snapshot of the current schema (the migrations applied)
 * and of the declared one (schema.sql loaded), the statements of up.sql that take the first to
 * the second and of down.sql that take it back, or the changes it will not make, by name.
 *
 *   const plan = planMigration(current, desired, { renames: [{ kind: 'column', from: 'column public.orders.note', to: 'column public.orders.remark' }] });
 *   if (plan.ok) write(renderMigration(plan.up), renderMigration(plan.down));
 *
 * Every kind of object of the snapshot is handled (created, dropped, altered in place where
 * PostgreSQL can, else dropped and created again with what depends on it), or refused with the
 * kind named: nothing is left out in silence. The statements are ordered from one dependency
 * graph (dependencies plus the names routine bodies mention), drops first. Pure: no I/O.
 */
export type MigrationPlan =
  | {
      ok: true;
      up: GeneratedStatement[];
      down: GeneratedStatement[];
      /** what differs between the two snapshots, renames not applied (what `--json` lists) */
      changes: SchemaChange[];
      /** 'off' when an enum value added is used in the same revision (PostgreSQL's "unsafe use of new value") */
      transaction: 'on' | 'off';
      /** the same for down.sql */
      downTransaction: 'on' | 'off';
      renameSuggestions: RenameSuggestion[];
      /**
       * Objects of kinds strata does not model that both schemas have (a publication, a cast),
       * and secret options the database has that the declared schema cannot say: left as they
       * are. strata cannot see inside them, so a change to one is not in the plan: say so to
       * whoever reviews it.
       */
      notCompared: UnmodelledObject[];
    }
  | { ok: false; refused: Refusal[] };

export interface PlanOptions {
  renames?: RenameHint[];
  /** default true; false: destructive changes (in up.sql) are refused */
  destructive?: boolean;
}

export function planMigration(current: Snapshot, desired: Snapshot, options: PlanOptions = {}): MigrationPlan {
  const hints = options.renames ?? [];
  const up = planOneWay(current, desired, hints, options.destructive ?? true, 'up');
  const down = planOneWay(desired, current, hints.map(inverted), true, 'down');
  // one answer for both ways: the database keeps the secrets the declared schema cannot say
  const secrets = secretOptionRefusals(current, desired);
  if (!up.ok || !down.ok || secrets.length > 0) {
    const refused = [...secrets, ...(up.ok ? [] : up.refused), ...(down.ok ? [] : down.refused.map(goingBack))];
    return { ok: false, refused: dedupe(refused) };
  }
  return {
    ok: true, up: up.statements, down: down.statements, changes: diffSnapshots(current, desired),
    transaction: up.transaction, downTransaction: down.transaction, renameSuggestions: up.suggestions,
    notCompared: [...current.unmodelled.filter((u) => desired.unmodelled.some((d) => d.kind === u.kind && d.identity === u.identity)), ...keptSecrets(current, desired)],
  };
}

/** A refusal of down.sql, said as what it means for up.sql's change */
function goingBack(refusal: Refusal): Refusal {
  if (refusal.kind === 'column' && refusal.reason.includes('ADD COLUMN puts it last')) {
    return { ...refusal, reason: `dropping it cannot be undone exactly: it is not the last column of its table, and ADD COLUMN in down.sql would put it back last (PostgreSQL cannot reorder columns); drop it in a revision written by hand, with an Irreversible: down.sql, or keep it` };
  }
  return { ...refusal, reason: `going back (down.sql): ${refusal.reason}` };
}

function inverted(hint: RenameHint): RenameHint {
  return { kind: hint.kind, from: hint.to, to: hint.from, ...(hint.value ? { value: { from: hint.value.to, to: hint.value.from } } : {}) };
}

type OneWay = { ok: true; statements: GeneratedStatement[]; transaction: 'on' | 'off'; suggestions: RenameSuggestion[] } | { ok: false; refused: Refusal[] };

function planOneWay(current: Snapshot, desired: Snapshot, hints: readonly RenameHint[], allowDestructive: boolean, direction: 'up' | 'down'): OneWay {
  const refused: Refusal[] = unmodelledRefusals(current, desired);
  const renamed = applyRenames(current, desired, hints);
  refused.push(...renamed.refusals);
  const { context, steps } = decideActions(renamed.snapshot, desired, renamed.remade, direction);
  refused.push(...context.refusals, ...columnOrderRefusals(context), ...secretCreateRefusals(context, renamed.snapshot, desired));
  const statements = [...renamed.statements, ...orderSteps(context, steps)];
  if (!allowDestructive) {
    for (const s of statements) if (s.destructive) refused.push({ identity: s.identity, kind: s.identity.slice(0, s.identity.indexOf(' ')), reason: `destructive (${s.destructive}) and destructive changes are not allowed (--no-destructive)` });
  }
  if (refused.length > 0) return { ok: false, refused: dedupe(refused) };
  const suggestions = suggestRenames(diffSnapshots(renamed.snapshot, desired), context.current, context.desired);
  return { ok: true, statements, transaction: usesNewEnumValue(statements) || dropsSubscription(statements) ? 'off' : 'on', suggestions };
}

/**
 * DROP SUBSCRIPTION: PostgreSQL refuses it inside a transaction block when the subscription has a
 * replication slot, which strata's check cannot know from the text, so it asks for Transaction: off
 * (the subscriptions strata models have none: the drop itself would run in one)
 */
function dropsSubscription(statements: readonly GeneratedStatement[]): boolean {
  return statements.some((s) => s.sql.startsWith('drop subscription '));
}

/** An enum value added and then used by a later statement: PostgreSQL refuses that inside one transaction */
function usesNewEnumValue(statements: readonly GeneratedStatement[]): boolean {
  const added: string[] = [];
  for (const s of statements) {
    const value = addedValue(s.sql);
    if (value) added.push(`${value.label}::${value.type}`, value.label);
    else if (added.some((text) => s.sql.includes(text))) return true;
  }
  return false;
}

/** Kinds the snapshot does not model, differing between the two schemas: named, never passed over */
function unmodelledRefusals(current: Snapshot, desired: Snapshot): Refusal[] {
  const key = (u: { kind: string; identity: string }) => `${u.kind}\u0000${u.identity}`;
  const [was, now] = [new Set(current.unmodelled.map(key)), new Set(desired.unmodelled.map(key))];
  const [before, after] = [current.unmodelled.filter((u) => u.kind !== SECRET_OPTION), desired.unmodelled.filter((u) => u.kind !== SECRET_OPTION)];
  return [
    ...after.filter((u) => !was.has(key(u))).map((u) => ({ identity: u.identity, kind: u.kind, reason: `strata does not model ${u.kind} objects, so it cannot create ${u.identity}: write that part of the revision by hand` })),
    ...before.filter((u) => !now.has(key(u))).map((u) => ({ identity: u.identity, kind: u.kind, reason: `strata does not model ${u.kind} objects, so it cannot drop ${u.identity}: write that part of the revision by hand` })),
  ];
}

function dedupe(refusals: Refusal[]): Refusal[] {
  const seen = new Set<string>();
  return refusals.filter((r) => {
    const key = `${r.identity}\u0000${r.reason}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * The body of up.sql or down.sql (no header): the statements in order, a blank line between
 * groups (a table and what hangs on it), `-- strata: destructive: <why>` above each statement
 * that loses data, `-- strata: <note>` above one a reviewer must read twice.
 */
export function renderMigration(statements: readonly GeneratedStatement[]): string {
  const lines: string[] = [];
  let group: string | undefined;
  for (const s of statements) {
    if (group !== undefined && s.group !== group) lines.push('');
    if (s.destructive) lines.push(`-- strata: destructive: ${s.destructive}`);
    if (s.note) lines.push(`-- strata: ${s.note}`);
    lines.push(s.sql);
    group = s.group;
  }
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}
