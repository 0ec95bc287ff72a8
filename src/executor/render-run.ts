import { describeDatabase, type StrataConfig } from '../config.js';
import { isEmbeddedAbsent, type OpenedDatabase } from '../db/open-database.js';
import { readApplied, recordSquashStatement } from '../db/tracking.js';
import { readTrackingVersion, TRACKING_VERSION, trackingRefusal } from '../db/tracking-schema.js';
import { problem, type Problem } from '../errors.js';
import type { AppliedRevision } from '../plan/applied-revision.js';
import { assumeApplied } from '../plan/assume-applied.js';
import type { Step } from '../plan/plan.js';
import { planners } from '../plan/planners.js';
import { databaseView, squashRecordOf } from '../plan/squashes.js';
import type { RevisionSet } from '../revision/build-revisions.js';
import type { Revision } from '../revision/revision.js';
import { gitRestoreCommand } from '../project/git-restore.js';
import { loadRevisions } from '../revision/load-revisions.js';
import { currentActor } from './actor.js';
import { planAndCheck } from './check-steps.js';
import { renderScript, type SquashRecord } from './render-script.js';

export interface SqlOptions {
  /** plan as if exactly the revisions up to this target (base, head, id, tag) were applied, without a database */
  from?: string;
  singleTransaction?: boolean;
  allowOutOfOrder?: boolean;
}

export interface ScriptStep {
  id: string;
  direction: 'up' | 'down';
  transactional: boolean;
  /** the file the SQL comes from, as printed (a stored down.sql says so) */
  file: string;
}

export type SqlReport =
  | { ok: true; command: 'sql'; direction: 'up' | 'down'; from: string | null; steps: ScriptStep[]; script: string }
  /** nothing printed: bad files, headers, chain, checksums, SQL that does not parse, arguments, or a tracking schema newer than this strata */
  | { ok: false; reason: 'invalid'; command: 'sql'; direction: 'up' | 'down'; problems: Problem[] }
  /** nothing printed: the database to plan against could not be read */
  | { ok: false; reason: 'unavailable'; command: 'sql'; direction: 'up' | 'down'; problems: Problem[] };

type Unavailable = { ok: false; reason: 'unavailable'; problems: Problem[] };
type WithDatabase = <T>(fn: (opened: OpenedDatabase) => Promise<T>) => Promise<T | Unavailable>;

/**
 * `strata sql`: the script `strata up`/`down` would run, with every check they make first (the
 * run pipeline's planners and checks), rendered instead of executed. Reads the applied revisions
 * from the database, or with `from` assumes them and opens no database at all.
 */
export async function buildSqlScript(
  config: StrataConfig,
  direction: 'up' | 'down',
  target: string,
  options: SqlOptions,
  withDatabase: WithDatabase,
): Promise<SqlReport> {
  const invalid = (problems: Problem[]): SqlReport => ({ ok: false, reason: 'invalid', command: 'sql', direction, problems });
  if (direction !== 'up' && direction !== 'down') {
    return invalid([problem('ARGUMENT_INVALID', { message: `strata sql takes up or down, got '${String(direction)}'`, hint: 'strata sql up [target] or strata sql down [target]' })]);
  }
  const set = loadRevisions(config);
  if (set.problems.length > 0) return invalid(set.problems);

  let applied: AppliedRevision[];
  /** the tracking schema's version the script starts from (0: none) */
  let trackingVersion: number;
  let plannedAgainst: string;
  let serverVersionNum: number | undefined;
  if (options.from !== undefined) {
    const assumed = assumeApplied(set.revisions, options.from);
    if (!assumed.ok) return invalid([assumed.problem]);
    applied = assumed.applied;
    // without a database, a tracking schema that has revisions in it is assumed to be this strata's
    trackingVersion = applied.length > 0 ? TRACKING_VERSION : 0;
    plannedAgainst = applied.length === 0
      ? 'no database: as if no revision were applied (--from base)'
      : `no database: as if ${applied.at(-1)!.id} and every revision before it were applied (--from ${options.from})`;
  } else if (isEmbeddedAbsent(config)) {
    // printing a script creates no embedded database: before it exists, nothing is applied in it
    applied = [];
    trackingVersion = 0;
    plannedAgainst = `the revisions applied in ${describeDatabase(config)} (none)`;
  } else {
    const read = await withDatabase(async ({ db, description }) => ({
      ok: true as const, ...(await readApplied(db, config.schema)), trackingVersion: await readTrackingVersion(db, config.schema), description, serverVersionNum: db.serverVersionNum,
    }));
    if (!read.ok) return { ...read, command: 'sql', direction };
    const refused = trackingRefusal(config.schema, read.trackingVersion);
    if (refused) return invalid([refused]);
    serverVersionNum = read.serverVersionNum;
    applied = read.applied;
    trackingVersion = read.trackingVersion!;
    plannedAgainst = `the revisions applied in ${read.description}${applied.length === 0 ? ' (none)' : ` (up to ${applied.at(-1)!.id})`}`;
  }

  const runOptions = { singleTransaction: options.singleTransaction ?? false, allowOutOfOrder: options.allowOutOfOrder ?? false };
  const planner = direction === 'up' ? planners.up(target, { ...runOptions, restoreCommand: (file) => gitRestoreCommand(config.cwd, file) }) : planners.down(target);
  // planned against a database, the scripts are checked against its server's grammar too
  const plan = await planAndCheck(set, applied, planner, { ...runOptions, serverVersionNum });
  if (!plan.ok) return invalid(plan.problems);

  const script = renderScript(plan.steps, {
    squashRecords: squashRecords(set, applied, plan.steps, config.schema, `${currentActor()} (strata sql)`),
    direction,
    schema: config.schema,
    actor: `${currentActor()} (strata sql)`,
    singleTransaction: runOptions.singleTransaction,
    trackingVersion,
    plannedAgainst,
    statementsOf: (step) => plan.statements.get(step.script) ?? [],
    timeouts: config.ddl,
  });
  return {
    ok: true, command: 'sql', direction, from: options.from ?? null, script,
    steps: plan.steps.map((s) => ({ id: s.id, direction: s.direction, transactional: s.script.transactional, file: s.script.path })),
  };
}

/**
 * What `strata up` records of squashed revisions around its steps (run.ts): those whose whole range
 * the database applied already, before the steps; those whose range the steps finish, after them.
 */
function squashRecords(set: RevisionSet, applied: readonly AppliedRevision[], steps: readonly Step[], schema: string, actor: string): { before: SquashRecord[]; after: SquashRecord[] } {
  const record = (squash: Revision): SquashRecord => ({
    id: squash.id,
    statement: recordSquashStatement(schema, { ...squashRecordOf(squash), actor }, squash.replaces),
  });
  const before = databaseView(set, applied).unrecorded;
  const ids = new Set(applied.map((a) => a.id));
  for (const step of steps) {
    if (step.direction === 'up') ids.add(step.id);
    else ids.delete(step.id);
  }
  const after = set.revisions.filter((r) => r.replaces.length > 0 && !before.includes(r) && !ids.has(r.id) && r.replaces.every((id) => ids.has(id)));
  return { before: before.map(record), after: after.map(record) };
}
