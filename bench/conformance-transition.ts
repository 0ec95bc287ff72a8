import type pg from 'pg';
import { planMigration, renderMigration, type RenameHint } from '../src/declare/plan-migration.js';
import type { GeneratedStatement } from '../src/declare/statement.js';
import type { Snapshot } from '../src/schema/model/snapshot.js';
import { censusDifferences, snapshotDifferences, takeCensus } from './conformance-census.js';
import { databaseUrl, firstLine, runPsql, snapshotOf, withClient, type StateContext } from './conformance-state.js';
import type { TransitionOutcome } from './conformance-tally.js';

/**
 * One directional case of the corpus (X -> Y), judged as the conformance README says passing
 * means: a database in state X (seeded) gets strata's generated revision; up.sql must take it to
 * exactly the snapshot of Y (and the census of a database loaded with Y: the catalogs, not only
 * what strata models), down.sql back to exactly X (and X's census), with the seeded rows of the
 * tables both states keep intact both ways; planning again after up finds nothing to do; the
 * case's budget (no table dropped and made again where it forbids that) holds. A case strata
 * cannot do must be refused by the generator, by name.
 *
 * The corpus marks some cases as renames (`renames: "auto"`): strata never guesses one, but names
 * a drop and an add that look alike, with the hint that makes it a rename. The runner then does
 * what the hint tells a user to do, and plans again with it.
 */
export interface TransitionVerdict {
  outcome: Exclude<TransitionOutcome, 'not run'>;
  detail: string;
  differences?: string[];
  /** the generated up.sql and down.sql, for a wrong case's report */
  up?: string;
  down?: string;
}

export interface TransitionCase {
  from: string;
  to: string;
  /** rows put into X before migrating away from it */
  seed: string | undefined;
  /** the budget's `forbid` entries for this direction: `replacement:table` ... */
  forbid: string[];
  isRename: boolean;
}

export async function judgeTransition(c: TransitionCase, context: StateContext): Promise<TransitionVerdict> {
  const [workUrl, desiredUrl] = context.databases.map((name) => databaseUrl(context.adminUrl, name)) as [string, string];
  const timeout = context.statementTimeoutMs;
  const loaded = (await runPsql(workUrl, c.from, timeout)) ?? (await runPsql(desiredUrl, c.to, timeout));
  if (loaded !== undefined) return { outcome: 'not loadable', detail: loaded };
  if (c.seed !== undefined) {
    const seeded = await runPsql(workUrl, c.seed, timeout);
    if (seeded !== undefined) return { outcome: 'not loadable', detail: `the seed does not load: ${seeded}` };
  }
  const [current, desired] = await Promise.all([snapshotOf(workUrl, context.privileges), snapshotOf(desiredUrl, context.privileges)]);
  const unmodelled = [...current.unmodelled, ...desired.unmodelled];
  if (unmodelled.length > 0) return { outcome: 'refused', detail: `refused by name: not modelled: ${[...new Set(unmodelled.map((u) => u.kind))].sort().join(', ')}` };
  let plan = planMigration(current, desired);
  let renames: RenameHint[] = [];
  if (plan.ok && c.isRename && plan.renameSuggestions.length > 0) {
    renames = plan.renameSuggestions.flatMap((s) => hintOf(s.from, s.to));
    plan = planMigration(current, desired, { renames });
  }
  if (!plan.ok) {
    const kinds = [...new Set(plan.refused.map((r) => r.kind))].sort();
    return { outcome: 'refused', detail: `refused by name: ${kinds.join(', ')}: ${plan.refused[0]!.identity}: ${plan.refused[0]!.reason}` };
  }
  const up = renderMigration(plan.up);
  const down = renderMigration(plan.down);
  const wrong = (detail: string, differences?: string[]): TransitionVerdict => ({ outcome: 'wrong', detail, ...(differences ? { differences } : {}), up, down });
  const forbidden = budgetBreaches(plan.up, c.forbid, current, desired);
  if (forbidden.length > 0) return wrong(`the budget forbids it: ${forbidden[0]}`, forbidden);
  const kept = keptTables(current, desired, renames);
  const [rowsBefore, censusBefore] = await withClient(workUrl, async (client) => [await rowCounts(client, kept.from), await takeCensus(client, { privileges: context.privileges })] as const);

  const upFailed = await runPsql(workUrl, up, timeout, plan.transaction === 'on');
  if (upFailed !== undefined) return wrong(`up.sql fails: ${upFailed}`);
  const afterUp = await snapshotOf(workUrl, context.privileges);
  const upDifferences = snapshotDifferences(afterUp, desired);
  if (upDifferences.length > 0) return wrong(`up.sql does not reach the declared schema: ${upDifferences[0]}`, upDifferences);
  const [rowsAfterUp, censusAfterUp] = await withClient(workUrl, async (client) => [await rowCounts(client, kept.to), await takeCensus(client, { privileges: context.privileges })] as const);
  const censusDesired = await withClient(desiredUrl, (client) => takeCensus(client, { privileges: context.privileges }));
  const upCensus = censusDifferences(censusDesired, censusAfterUp);
  if (upCensus.length > 0) return wrong(`after up.sql the catalogs differ where the snapshot does not look: ${upCensus[0]}`, upCensus);
  const lostByUp = lostRows(kept.from, kept.to, rowsBefore, rowsAfterUp, plan.up);
  if (lostByUp.length > 0) return wrong(`up.sql loses seeded rows: ${lostByUp[0]}`, lostByUp);
  const again = planMigration(afterUp, desired);
  if (!again.ok || again.up.length > 0) return wrong(`planning again after up.sql finds ${again.ok ? `${again.up.length} statements: ${firstLine(again.up[0]!.sql)}` : `refusals: ${again.refused[0]!.reason}`}`);

  const downFailed = await runPsql(workUrl, down, timeout, plan.downTransaction === 'on');
  if (downFailed !== undefined) return wrong(`down.sql fails: ${downFailed}`);
  const afterDown = await snapshotOf(workUrl, context.privileges);
  const downDifferences = snapshotDifferences(afterDown, current);
  if (downDifferences.length > 0) return wrong(`down.sql does not give back the schema before: ${downDifferences[0]}`, downDifferences);
  const [rowsAfterDown, censusAfterDown] = await withClient(workUrl, async (client) => [await rowCounts(client, kept.from), await takeCensus(client, { privileges: context.privileges })] as const);
  const downCensus = censusDifferences(censusBefore, censusAfterDown);
  if (downCensus.length > 0) return wrong(`after down.sql the catalogs differ where the snapshot does not look: ${downCensus[0]}`, downCensus);
  const lostByDown = lostRows(kept.from, kept.from, rowsBefore, rowsAfterDown, [...plan.up, ...plan.down]);
  if (lostByDown.length > 0) return wrong(`up.sql then down.sql lose seeded rows: ${lostByDown[0]}`, lostByDown);
  return { outcome: 'proven', detail: `${plan.up.length} statements up, ${plan.down.length} down` };
}

/** A rename suggestion's identities as a hint: `column public.t.a` -> `column public.t.b`; an enum value: `type public.mood value 'sad'`. */
function hintOf(from: string, to: string): RenameHint[] {
  const value = /^(type .*) value '(.*)'$/;
  const [f, t] = [value.exec(from), value.exec(to)];
  if (f && t) return [{ kind: 'enum value', from: f[1]!, to: t[1]!, value: { from: f[2]!, to: t[2]! } }];
  const kind = KINDS.find((k) => from.startsWith(`${k} `));
  return kind ? [{ kind, from, to }] : [];
}

const KINDS: ReadonlyArray<RenameHint['kind']> = ['schema', 'table', 'column', 'index', 'constraint', 'view', 'sequence', 'type', 'function'];

/** The tables both states have, a renamed one under each of its names (`from[k]` is `to[k]`): their rows must survive. */
function keptTables(current: Snapshot, desired: Snapshot, renames: readonly RenameHint[]): { from: string[]; to: string[] } {
  const tables = (s: Snapshot) => new Set(s.objects.filter((o) => o.kind === 'table').map((o) => o.identity));
  const [a, b] = [tables(current), tables(desired)];
  const renamed = new Map(renames.filter((r) => r.kind === 'table').map((r) => [r.from, r.to]));
  const from = [...a].filter((t) => b.has(renamed.get(t) ?? t)).sort();
  return { from, to: from.map((t) => renamed.get(t) ?? t) };
}

async function rowCounts(client: pg.Client, tables: readonly string[]): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const table of tables) {
    const { rows } = await client.query<{ n: number }>(`select count(*)::int as n from ${table.slice('table '.length)}`);
    counts.set(table, rows[0]!.n);
  }
  return counts;
}

/** Kept tables with fewer rows than before, unless a destructive statement (said as such) is about them. */
function lostRows(before: readonly string[], after: readonly string[], rowsBefore: ReadonlyMap<string, number>, rowsAfter: ReadonlyMap<string, number>, statements: readonly GeneratedStatement[]): string[] {
  const destroyed = new Set(statements.filter((s) => s.destructive !== undefined).flatMap((s) => [s.group, s.identity]));
  return before.flatMap((table, k) => {
    const was = rowsBefore.get(table) ?? 0;
    const now = rowsAfter.get(after[k]!) ?? 0;
    return now < was && !destroyed.has(table) ? [`${table}: ${was} rows before, ${now} after`] : [];
  });
}

const BUDGET_KINDS: Record<string, string> = { table: 'table', column: 'column', view: 'view', materializedView: 'materialized view', foreignTable: 'foreign table', policy: 'policy' };

/** `replacement:<kind>` forbidden: an object of that kind both states have is dropped (to be made again) by up.sql. */
function budgetBreaches(up: readonly GeneratedStatement[], forbid: readonly string[], current: Snapshot, desired: Snapshot): string[] {
  const inBoth = new Set(current.objects.map((o) => o.identity).filter((identity) => desired.objects.some((o) => o.identity === identity)));
  return forbid.flatMap((entry) => {
    const [action, kind] = entry.split(':');
    const ours = kind === undefined ? undefined : BUDGET_KINDS[kind];
    if (action !== 'replacement' || ours === undefined) return [];
    const drops = up.filter((s) => s.identity.startsWith(`${ours} `) && inBoth.has(s.identity) && (ours === 'column' ? /\bdrop column\b/i.test(s.sql) : new RegExp(`^drop ${ours}\\b`, 'i').test(s.sql)));
    return drops.map((s) => `${entry}: ${firstLine(s.sql)}`);
  });
}
