import type { StrataConfig } from '../config.js';
import { databaseProblem } from '../db/database-problem.js';
import { openDatabase } from '../db/open-database.js';
import { readApplied } from '../db/tracking.js';
import type { Problem, Unavailable } from '../errors.js';
import { computeStatus, type RevisionState } from '../plan/revision-status.js';
import { databaseView } from '../plan/squashes.js';
import type { RevisionSet } from '../revision/build-revisions.js';
import { createRedactor } from '../text/redact.js';
import { forEachTarget } from './schedule.js';
import type { FleetTarget } from './targets.js';
import { urlOf } from './up-fleet.js';

/** `strata status --targets`: where each database of a fleet is, read `parallel` at a time. */

export interface FleetTargetStatus {
  name: string;
  database: string;
  schema: string;
  /** 'ok': read, nothing edited or missing; 'invalid': edited or missing revisions (see problems); 'unavailable': not read */
  status: 'ok' | 'invalid' | 'unavailable';
  /** newest applied revision, 'base' for none; null when not read */
  current: string | null;
  counts: Record<RevisionState, number> | null;
  problems: Problem[];
}

export type FleetStatusReport =
  | { ok: true; head: string | null; targets: FleetTargetStatus[] }
  /** the revisions on disk or the targets have problems: no database was read */
  | { ok: false; reason: 'invalid'; problems: Problem[] }
  | Unavailable
  /** at least one target is not `ok` */
  | { ok: false; reason: 'failed'; head: string | null; targets: FleetTargetStatus[] };

export async function fleetStatus(config: StrataConfig, targets: readonly FleetTarget[], revisions: RevisionSet, parallel = 4): Promise<FleetStatusReport> {
  if (revisions.problems.length > 0) return { ok: false, reason: 'invalid', problems: revisions.problems };
  if (!Number.isInteger(parallel) || parallel < 1) {
    return { ok: false, reason: 'invalid', problems: [{ code: 'ARGUMENT_INVALID', message: `--parallel must be a whole number of at least 1, got '${parallel}'`, hint: 'e.g. --parallel 8' }] };
  }
  const redact = createRedactor([config.databaseUrl, config.shadowDatabaseUrl, ...targets.map((t) => t.url)]);
  const results = await forEachTarget(targets.length, { parallel, failFast: false }, (index) => {
    const target = targets[index]!;
    return statusOf({ ...config, databaseUrl: urlOf(target), schema: target.schema ?? config.schema, redact }, target, revisions);
  }, () => false);
  const all = results.map((r) => r!);
  const head = revisions.revisions.at(-1)?.id ?? null;
  return all.every((r) => r.status === 'ok') ? { ok: true, head, targets: all } : { ok: false, reason: 'failed', head, targets: all };
}

async function statusOf(config: StrataConfig, target: FleetTarget, set: RevisionSet): Promise<FleetTargetStatus> {
  const base = { name: target.name, database: config.redact(target.url), schema: config.schema };
  const open = await openDatabase(config, { command: 'status', urlSetting: `its URL (${target.origin})` });
  if (!open.ok) return { ...base, status: 'unavailable', current: null, counts: null, problems: open.problems };
  try {
    const view = databaseView(set, (await readApplied(open.opened.db, config.schema)).applied);
    const counts: Record<RevisionState, number> = { applied: 0, pending: 0, edited: 0, missing: 0 };
    for (const s of computeStatus(view.revisions, view.applied)) counts[s.state]++;
    const isSettled = view.problems.length === 0 && counts.edited === 0 && counts.missing === 0;
    return { ...base, status: isSettled ? 'ok' : 'invalid', current: view.applied.at(-1)?.id ?? 'base', counts, problems: view.problems };
  } catch (error) {
    const found = databaseProblem(error, config.schema);
    if (found) return { ...base, status: 'unavailable', current: null, counts: null, problems: [found] };
    throw error;
  } finally {
    await open.opened.close();
  }
}
