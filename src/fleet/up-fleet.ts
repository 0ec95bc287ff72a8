import type { StrataConfig } from '../config.js';
import { databaseProblem } from '../db/database-problem.js';
import { openDatabase } from '../db/open-database.js';
import { readApplied } from '../db/tracking.js';
import type { Problem, Unavailable } from '../errors.js';
import type { RunEvent } from '../executor/events.js';
import type { Failure, StepOutcome } from '../executor/execute-steps.js';
import { checkSteps } from '../executor/check-steps.js';
import { runPipeline, type RunOptions, type RunReport } from '../executor/run.js';
import { planners, type Planner } from '../plan/planners.js';
import type { RevisionSet } from '../revision/build-revisions.js';
import { memoryParseCache, openParseCache } from '../revision/parse-cache.js';
import { createRedactor } from '../text/redact.js';
import { forEachTarget } from './schedule.js';
import type { FleetTarget } from './targets.js';

/**
 * `strata up --targets`: the same history applied to each database of a fleet, `parallel` at a
 * time, each with the run pipeline of a single database (its own lock, its own transactions, its
 * own report). The revisions are read and parsed once for the whole fleet, before any target is
 * opened: a broken history touches no database.
 */

export type TargetStatus = 'ok' | 'invalid' | 'failed' | 'unavailable' | 'interrupted' | 'not-started';
export const TARGET_STATUSES: readonly TargetStatus[] = ['ok', 'invalid', 'failed', 'unavailable', 'interrupted', 'not-started'];

export interface FleetTargetResult {
  name: string;
  /** its URL, password hidden */
  database: string;
  /** its tracking schema */
  schema: string;
  status: TargetStatus;
  /** the revision it was at before the run ('base' for none); null when it was not read (not started, unreachable) */
  from: string | null;
  /** the revision it is at after the run; null when it was not read */
  to: string | null;
  /** revisions applied by this run */
  applied: number;
  /** null when not started */
  durationMs: number | null;
  steps: StepOutcome[];
  /** why it is invalid or unavailable */
  problems: Problem[];
  /** the revision that failed, when it failed */
  failure: Failure | null;
}

export type FleetCounts = Record<TargetStatus, number>;

export type FleetRunReport =
  | { ok: true; command: 'up'; targets: FleetTargetResult[]; counts: FleetCounts }
  /** nothing ran on any database: the targets or the revisions on disk have problems */
  | { ok: false; reason: 'invalid'; command: 'up'; problems: Problem[] }
  /** the catalog database of --targets-query could not be read */
  | (Unavailable & { command: 'up' })
  /** at least one target is not `ok` (see each one's status) */
  | { ok: false; reason: 'failed'; command: 'up'; targets: FleetTargetResult[]; counts: FleetCounts }
  /** asked to stop (Ctrl-C): running targets stopped at a revision boundary, the rest did not start */
  | { ok: false; reason: 'interrupted'; command: 'up'; targets: FleetTargetResult[]; counts: FleetCounts };

export interface FleetOptions extends Omit<RunOptions, 'parseCache' | 'afterStep' | 'awaitSqlIn'> {
  /** how many targets run at once; default 4 */
  parallel?: number;
  /** after the first target that does not end `ok`, start no other and stop the running ones at their next revision boundary */
  failFast?: boolean;
}

/** What a fleet run says while it goes: each target's run events, and each target's end. */
export type FleetEvent =
  | { type: 'target-event'; target: string; event: RunEvent }
  | { type: 'target-done'; result: FleetTargetResult };

export interface FleetRequest {
  targets: readonly FleetTarget[];
  planner: Planner;
  revisions: RevisionSet;
  options: FleetOptions;
}

export async function upFleet(config: StrataConfig, request: FleetRequest, emit: (event: FleetEvent) => void): Promise<FleetRunReport> {
  const { targets, planner, revisions, options } = request;
  const invalid = (problems: Problem[]): FleetRunReport => ({ ok: false, reason: 'invalid', command: 'up', problems });
  if (revisions.problems.length > 0) return invalid(revisions.problems);
  const parallel = options.parallel ?? 4;
  if (!Number.isInteger(parallel) || parallel < 1) {
    return invalid([{ code: 'ARGUMENT_INVALID', message: `--parallel must be a whole number of at least 1, got '${parallel}'`, hint: 'e.g. --parallel 8' }]);
  }
  // every script of the history parsed once, before any database is opened; each target's run
  // then finds its scripts parsed (the server's own grammar, when older, once per major version)
  const parseCache = config.cacheDir === undefined ? memoryParseCache() : openParseCache(config.cacheDir, config.dir);
  const fromBase = planners.up('head', {})(revisions, []);
  if (fromBase.ok) {
    const checked = await checkSteps(fromBase.steps, { parseCache, singleTransaction: options.singleTransaction === true });
    if (checked.problems.length > 0) return invalid(checked.problems);
  }
  const redact = createRedactor([config.databaseUrl, config.shadowDatabaseUrl, ...targets.map((t) => t.url)]);
  const results = await forEachTarget(targets.length, { parallel, failFast: options.failFast ?? false, signal: options.signal }, async (index, signal) => {
    const target = targets[index]!;
    const result = await upTarget({ ...config, databaseUrl: urlOf(target), schema: target.schema ?? config.schema, redact }, target, planner, revisions, { ...options, signal, parseCache }, (event) => emit({ type: 'target-event', target: target.name, event }));
    emit({ type: 'target-done', result });
    return result;
  }, (result) => result.status !== 'ok');
  const all = results.map((result, index) => result ?? notStarted(targets[index]!, redact, config.schema));
  const counts = countStatuses(all);
  if (options.signal?.aborted) return { ok: false, reason: 'interrupted', command: 'up', targets: all, counts };
  return counts.ok === all.length ? { ok: true, command: 'up', targets: all, counts } : { ok: false, reason: 'failed', command: 'up', targets: all, counts };
}

/** The target's URL with its search_path (if any) as the session's default: RESET in a revision keeps it. */
export function urlOf(target: FleetTarget): string {
  if (target.searchPath === undefined) return target.url;
  const options = encodeURIComponent(`-c search_path=${target.searchPath}`);
  return `${target.url}${target.url.includes('?') ? '&' : '?'}options=${options}`;
}

export function countStatuses(results: readonly { status: TargetStatus }[]): FleetCounts {
  const counts = Object.fromEntries(TARGET_STATUSES.map((s) => [s, 0])) as FleetCounts;
  for (const r of results) counts[r.status]++;
  return counts;
}

function notStarted(target: FleetTarget, redact: (text: string) => string, schema: string): FleetTargetResult {
  return { name: target.name, database: redact(target.url), schema: target.schema ?? schema, status: 'not-started', from: null, to: null, applied: 0, durationMs: null, steps: [], problems: [], failure: null };
}

async function upTarget(config: StrataConfig, target: FleetTarget, planner: Planner, revisions: RevisionSet, options: RunOptions, emit: (event: RunEvent) => void): Promise<FleetTargetResult> {
  const started = performance.now();
  const base = { name: target.name, database: config.redact(target.url), schema: config.schema };
  const end = (fields: Pick<FleetTargetResult, 'status' | 'from' | 'to'> & Partial<FleetTargetResult>): FleetTargetResult =>
    ({ ...base, applied: 0, steps: [], problems: [], failure: null, ...fields, durationMs: Math.round(performance.now() - started) });
  const open = await openDatabase(config, { command: 'up', urlSetting: `its URL (${target.origin})`, onNote: (message) => emit({ type: 'note', message }) });
  if (!open.ok) return end({ status: 'unavailable', from: null, to: null, problems: open.problems });
  const { db } = open.opened;
  let from: string | null = null;
  try {
    const tracking = await readApplied(db, config.schema);
    from = tracking.applied.at(-1)?.id ?? 'base';
    const report: RunReport = await runPipeline(db, config, { command: 'up', planner, revisions, options, justRead: tracking }, emit);
    const to = (await readApplied(db, config.schema)).applied.at(-1)?.id ?? 'base';
    const steps = 'steps' in report ? report.steps : [];
    const applied = steps.filter((s) => s.direction === 'up').length;
    if (report.ok) return end({ status: 'ok', from, to, applied, steps });
    if (report.reason === 'failed') return end({ status: 'failed', from, to, applied, steps, failure: report.failure });
    if (report.reason === 'interrupted') return end({ status: 'interrupted', from, to, applied, steps });
    return end({ status: report.reason, from, to, problems: report.problems });
  } catch (error) {
    const found = databaseProblem(error, config.schema);
    if (found) return end({ status: 'unavailable', from, to: null, problems: [found] });
    throw error;
  } finally {
    await open.opened.close();
  }
}
