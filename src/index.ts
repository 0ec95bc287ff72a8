/**
 * strata's programmatic API. The CLI is a thin layer over it.
 *
 * @example
 *   import { createStrata } from 'strata';
 *   const strata = createStrata({ databaseUrl: process.env.DATABASE_URL });
 *   const report = await strata.up();
 *   if (!report.ok) console.error(report.reason === 'invalid' ? report.problems : report.failure);
 */
import { describeDatabase, resolveConfig, type StrataConfig, type StrataOptions } from './config.js';
import { databaseProblem } from './db/database-problem.js';
import { isEmbeddedAbsent, openDatabase, type OpenedDatabase } from './db/open-database.js';
import { readApplied } from './db/tracking.js';
import { readProgress, type ProgressRow } from './db/progress.js';
import { problem, type Problem, type Unavailable } from './errors.js';
import type { RunEvent } from './executor/events.js';
import type { CurrentReport, HistoryReport, ShowReport } from './executor/inspect.js';
import type { SqlOptions, SqlReport } from './executor/render-run.js';
import { checkBeforeCreating, runPipeline, type RunCommand, type RunOptions, type RunReport, type RunRequest } from './executor/run.js';
import type { StampReport } from './executor/stamp.js';
import type { LogEvent } from './db/events.js';
import { findHeads, type HeadsReport } from './plan/find-heads.js';
import { planners, type Planner } from './plan/planners.js';
import { computeStatus, type RevisionState } from './plan/revision-status.js';
import { databaseView } from './plan/squashes.js';
import type { RebaseReport } from './release/rebase.js';
import type { SquashOptions, SquashReport } from './release/squash.js';
import { addTag, deleteTag, listTags, type TagEntry, type TagReport } from './release/tags.js';
import { gitRestoreCommand } from './project/git-restore.js';
import { createRevisionFolder, initProject, type InitReport, type NewRevisionReport } from './project/project-files.js';
import { loadRevisions } from './revision/load-revisions.js';
import type { RevisionSet } from './revision/build-revisions.js';
import type { AppliedRevision } from './plan/applied-revision.js';
import type { DevEvent, DevOptions, DevSession } from './watch/dev-events.js';
import type { CheckOptions, CheckReport } from './proof/check.js';
import type { DumpReport } from './proof/dump.js';
import type { ProofEvents } from './proof/proof-events.js';
import type { DeclareOptions } from './declare/declared-schema.js';
import type { DiffReport, NewFromSchemaReport } from './declare/from-schema.js';
import type { FleetEvent, FleetOptions, FleetRunReport } from './fleet/up-fleet.js';
import type { FleetStatusReport } from './fleet/fleet-status.js';
import type { FleetTarget, TargetsResult } from './fleet/targets.js';
import type { LintOptions } from './lint/lint-files.js';
import type { LintReport } from './lint/lint-revisions.js';

export type { StrataOptions, StrataConfig } from './config.js';
export type { InitReport, NewRevisionReport } from './project/project-files.js';
export type { Problem, ProblemCode, Unavailable } from './errors.js';
export { StrataError, formatLocation } from './errors.js';
export type { RunReport, RunOptions, RunCommand } from './executor/run.js';
export type { RunEvent } from './executor/events.js';
export type { Failure, StepOutcome } from './executor/execute-steps.js';
export type { RevisionState } from './plan/revision-status.js';
export type { SqlOptions, SqlReport, ScriptStep } from './executor/render-run.js';
export type { StampReport } from './executor/stamp.js';
export type { LogEvent, EventError } from './db/events.js';
export type { CurrentReport, HistoryReport, ShowReport } from './executor/inspect.js';
export type { HeadsReport, ForkHead, BranchMove } from './plan/find-heads.js';
export type { RevisionDetails, RevisionFileDetails, AppliedDetails } from './plan/describe-revision.js';
export type { HistoryEntry } from './plan/list-history.js';
export type { DevEvent, DevOptions, DevResult, DevRun, DevRunResult, DevSession } from './watch/dev-events.js';
export { redactUrl } from './text/redact.js';
export type { CheckOptions, CheckReport, CheckResult } from './proof/check.js';
export type { LockTrace, LockVerdict, RevisionTrace, TracedLock } from './proof/lock-trace.js';
export type { DumpReport } from './proof/dump.js';
export type { RoundTripEntry } from './proof/round-trip.js';
export type { DeclareOptions } from './declare/declared-schema.js';
export type { DiffReport, NewFromSchemaReport, GeneratedRevision, DestructiveChange, Refused } from './declare/from-schema.js';
export type { GeneratedStatement, MigrationPlan, Refusal, RenameHint } from './declare/plan-migration.js';
export type { ProofSummary } from './declare/prove-migration.js';
export type { RebaseReport } from './release/rebase.js';
export type { SquashOptions, SquashReport } from './release/squash.js';
export type { TagEntry, TagReport } from './release/tags.js';
export type { FleetEvent, FleetOptions, FleetRunReport, FleetTargetResult, FleetCounts, TargetStatus } from './fleet/up-fleet.js';
export type { FleetStatusReport, FleetTargetStatus } from './fleet/fleet-status.js';
export type { FleetTarget, TargetsResult } from './fleet/targets.js';

/** A fleet's databases: a targets file (relative to cwd), a query on the catalog database (the configured one), or the list itself. */
export type FleetSource = { file: string } | { query: string } | { targets: readonly FleetTarget[] };
export type { LintFinding, LintOptions } from './lint/lint-files.js';
export type { LintCounts, LintReport } from './lint/lint-revisions.js';

/** Everything a command reports while it runs (`onEvent`): the run's events and, for dev, its own. */
export type StrataEvent = RunEvent | DevEvent | FleetEvent;
export type EventListener = (event: StrataEvent) => void;

export interface StatusEntry {
  id: string;
  state: RevisionState;
  message: string | null;
  tags: string[];
  appliedAt: string | null;
  /** down.sql changed since it was applied (up.sql unchanged): `down` will run the new one */
  isDownEdited: boolean;
  /** a squashed revision: the revisions it replaces (`--! Replaces:`); else empty */
  replaces: string[];
  /** a Transaction: off revision that failed part way: how far it got (the next up or down resumes it); else null */
  partial: PartialProgress | null;
}

export interface PartialProgress {
  direction: 'up' | 'down';
  /** statements 1..done took effect */
  done: number;
  statementCount: number;
  /** the statement (1-based) that failed, when the run saw it fail; null when it ended unseen (killed) */
  failedAt: number | null;
  updatedAt: string;
}

export interface StatusResult {
  /** false when the files have problems (listed) */
  ok: boolean;
  database: string;
  schema: string;
  /** newest applied revision, or null at base */
  current: string | null;
  /** newest revision on disk */
  head: string | null;
  revisions: StatusEntry[];
  counts: Record<RevisionState, number>;
  problems: Problem[];
}

/** `reason` is there only when the database could not be read; a report with problems in the files has none */
export type StatusReport = StatusResult | Unavailable;

export type LogReport =
  | { ok: true; database: string; schema: string; events: LogEvent[] }
  | { ok: false; reason: 'invalid'; problems: Problem[] }
  | Unavailable;

export interface Strata {
  readonly config: StrataConfig;
  status(): Promise<StatusReport>;
  /** apply pending revisions up to `target` (head, +N, id or prefix, tag) */
  up(target?: string, options?: RunOptions): Promise<RunReport>;
  /** revert applied revisions down to `target` (-N, base, id or prefix, tag); default -1 */
  down(target?: string, options?: RunOptions): Promise<RunReport>;
  /** revert the newest applied revision and apply it again */
  redo(options?: Pick<RunOptions, 'signal'>): Promise<RunReport>;
  newRevision(message: string, now?: Date): NewRevisionReport;
  init(): InitReport;
  /** the exact script `up`/`down` to `target` would run, for review or psql; `options.from` plans without a database */
  sql(direction: 'up' | 'down', target?: string, options?: SqlOptions): Promise<SqlReport>;
  /** record revisions up to `target` as applied, or remove the records after it, without running SQL */
  stamp(target: string): Promise<StampReport>;
  /** the newest applied revision (null at base), and how the head on disk compares */
  current(): Promise<CurrentReport | Unavailable>;
  /** the head of the history on disk, or the heads of a fork and how to join them; reads only files */
  heads(): HeadsReport;
  /** one revision (head, an id or its prefix, a tag): header, files, checksums, applied when and by whom */
  show(target: string): Promise<ShowReport | Unavailable>;
  /** the revision chain, newest first, with each revision's state (as Alembic's history lists it) */
  history(): Promise<HistoryReport | Unavailable>;
  /** the events log, newest first (default 20) */
  log(options?: { limit?: number }): Promise<LogReport>;
  /**
   * Bring the database to head, then watch the migrations folder and re-apply the newest revision
   * on every save until `stop()`. Each run is reported through `onEvent` as a `dev-run` event.
   */
  dev(options?: DevOptions): DevSession;
  /** apply every revision to a shadow database and write schema.sql from its schema */
  dump(options?: Pick<RunOptions, 'signal'>): Promise<DumpReport>;
  /** the CI gate: every revision valid, every down.sql undoes its up.sql (on a shadow), schema.sql current */
  check(options?: CheckOptions): Promise<CheckReport>;
  /** the SQL of the revision that takes the migrations' schema to schema.sql's (up and down), without writing anything */
  diff(options?: DeclareOptions): Promise<DiffReport>;
  /** that revision, proven on a shadow (up gives schema.sql's schema, down the migrations' back, seeded rows kept), then written; schema.sql is written again at the new head */
  newFromSchema(message: string, options?: DeclareOptions & { now?: Date }): Promise<NewFromSchemaReport>;
  /** a range of revisions replaced by one (`--! Replaces:`), proven on shadows to reach what the range reaches and back, then written */
  squash(options: SquashOptions): Promise<SquashReport>;
  /** write `name` into a revision's Tags header (default: the head) */
  tag(name: string, revision?: string): TagReport;
  /** take `name` out of the Tags header that has it */
  deleteTag(name: string): TagReport;
  /** every tag, with whether the database applied its revision */
  tags(): Promise<TagsReport>;
  /** after a merge fork: the branches this database has not applied (all but the first with `fromBase`) moved after the rest */
  rebase(options?: { fromBase?: boolean }): Promise<RebaseReport | Unavailable>;
  /** the databases of a fleet, read and checked (each problem names its file:line or row) */
  fleetTargets(source: FleetSource): Promise<TargetsResult | Unavailable>;
  /** `up` to `target` on each database of a fleet, `parallel` at a time (default 4); one report per target; events come as `target-event` and `target-done` */
  upFleet(source: FleetSource, target?: string, options?: FleetOptions): Promise<FleetRunReport>;
  /** where each database of a fleet is: current revision, pending, edited, missing */
  statusFleet(source: FleetSource, options?: { parallel?: number }): Promise<FleetStatusReport>;
  /** the lint rules over up.sql and down.sql of the revisions `selection` names (ids, prefixes, or one `<from>..<to>`; default all); reads only files */
  lint(selection?: readonly string[], options?: LintOptions): Promise<LintReport>;
}

export type TagsReport = { ok: true; database: string; tags: TagEntry[]; problems: Problem[] } | Unavailable;

/**
 * The API over one project and database. The options are checked here, once: options it cannot
 * use (an unusable DATABASE_URL, a lock timeout that is not a number) throw a StrataError with
 * CONFIG_INVALID problems, before anything is read or opened. After that, no command throws for
 * anything a user can cause: each returns its report (docs/json.md); only a bug in strata throws.
 */
export function createStrata(options: StrataOptions & { onEvent?: EventListener } = {}): Strata {
  const config = resolveConfig(options);
  const emit: EventListener = options.onEvent ?? (() => {});
  /**
   * Opens the database for one command and closes it after. A database that cannot be opened, or
   * that refuses strata's own queries (rights, a statement_timeout, a terminated session), is
   * reported as `unavailable`: not a bug, and nothing was changed.
   */
  const withDatabase = async <T>(command: string, fn: (opened: OpenedDatabase) => Promise<T>, { embeddedWaitMs = config.lockTimeoutMs } = {}): Promise<T | Unavailable> => {
    const open = await openDatabase(config, { command, embeddedWaitMs, onNote: (message) => emit({ type: 'note', message }) });
    if (!open.ok) return open;
    const { opened } = open;
    emit({ type: 'database', description: opened.description, isEmbedded: opened.db.isEmbedded });
    try {
      return await fn(opened);
    } catch (error) {
      const found = databaseProblem(error, config.schema);
      if (found) return { ok: false, reason: 'unavailable', problems: [found] };
      throw error;
    } finally {
      await opened.close();
    }
  };
  // a shadow database is said in one line, as the database a command opens is
  const proofEvents: ProofEvents = {
    shadow: (description) => emit({ type: 'database', description, isEmbedded: false }),
    note: (message) => emit({ type: 'note', message }),
  };
  const restoreCommand = (file: string) => gitRestoreCommand(config.cwd, file);
  const run = async (command: RunCommand, planner: Planner, runOptions: RunOptions): Promise<RunReport> => {
    // files are checked before connecting: a broken history never opens the database
    const revisions = loadRevisions(config);
    if (revisions.problems.length > 0) return { ok: false, reason: 'invalid', command, problems: revisions.problems };
    const request: RunRequest = { command, planner, revisions, options: runOptions };
    const decided = isEmbeddedAbsent(config) ? await checkBeforeCreating(config, request) : undefined;
    if (decided) return decided;
    const report = await withDatabase(command, ({ db }) => runPipeline(db, config, request, emit));
    return 'command' in report ? report : { ...report, command };
  };

  return {
    config,
    status: async () => {
      const set = loadRevisions(config);
      if (isEmbeddedAbsent(config)) return statusOf(config, set, describeDatabase(config), [], async () => []);
      return withDatabase('status', async ({ db, description }) =>
        statusOf(config, set, description, (await readApplied(db, config.schema)).applied, () => readProgress(db, config.schema)));
    },
    up: (target = 'head', runOptions = {}) => run('up', planners.up(target, { ...runOptions, restoreCommand }), runOptions),
    down: (target = '-1', runOptions = {}) => run('down', planners.down(target), runOptions),
    redo: (runOptions = {}) => run('redo', planners.redo(), { ...runOptions, singleTransaction: 'when-possible' }),
    newRevision: (message, now = new Date()) => createRevisionFolder(config, message, now),
    init: () => initProject(config),
    dev: (devOptions = {}) => startDev(config, devOptions, emit),
    sql: async (direction, target = direction === 'up' ? 'head' : '-1', sqlOptions = {}) => {
      const { buildSqlScript } = await import('./executor/render-run.js');
      return buildSqlScript(config, direction, target, sqlOptions, (fn) => withDatabase('sql', fn));
    },
    stamp: async (target) => {
      const revisions = loadRevisions(config);
      if (revisions.problems.length > 0) return { ok: false, reason: 'invalid', command: 'stamp', problems: revisions.problems };
      const { stampRequest, toStampReport } = await import('./executor/stamp.js');
      const request = stampRequest(target, revisions);
      const decided = isEmbeddedAbsent(config) ? await checkBeforeCreating(config, request) : undefined;
      const report = decided ?? await withDatabase('stamp', ({ db }) => runPipeline(db, config, request, emit));
      return 'command' in report ? toStampReport(report) : { ...report, command: 'stamp' };
    },
    current: async () => (await import('./executor/inspect.js')).readCurrent(config, (fn, options) => withDatabase('current', fn, options)),
    heads: () => {
      const set = loadRevisions(config);
      return findHeads(set.revisions, set.problems, config.dirLabel);
    },
    show: async (target) => (await import('./executor/inspect.js')).showRevision(config, target, (fn, options) => withDatabase('show', fn, options)),
    history: async () => (await import('./executor/inspect.js')).readHistory(config, (fn, options) => withDatabase('history', fn, options)),
    dump: async ({ signal } = {}) => (await import('./proof/dump.js')).dumpSchema(config, loadRevisions(config), proofEvents, signal),
    check: async (checkOptions = {}) => (await import('./proof/check.js')).checkProject(config, loadRevisions(config), proofEvents, checkOptions),
    diff: async (declareOptions = {}) => (await import('./declare/from-schema.js')).diffFromSchema(config, loadRevisions(config), proofEvents, declareOptions),
    newFromSchema: async (message, declareOptions = {}) => (await import('./declare/from-schema.js')).newFromSchema(config, loadRevisions(config), proofEvents, message, declareOptions),
    squash: async (squashOptions) => (await import('./release/squash.js')).squashRevisions(config, loadRevisions(config), proofEvents, squashOptions, async () =>
      isEmbeddedAbsent(config)
        ? { ok: true, database: describeDatabase(config), applied: [] }
        : withDatabase('squash', async ({ db, description }) => ({ ok: true as const, database: description, applied: (await readApplied(db, config.schema)).applied.map((a) => a.id) }))),
    tag: (name, revision) => addTag(config, loadRevisions(config), name, revision),
    deleteTag: (name) => deleteTag(config, loadRevisions(config), name),
    tags: async () => {
      const set = loadRevisions(config);
      if (isEmbeddedAbsent(config)) return { ok: true as const, database: describeDatabase(config), tags: listTags(set, []), problems: set.problems };
      return withDatabase('tags', async ({ db, description }) => ({ ok: true as const, database: description, tags: listTags(set, (await readApplied(db, config.schema)).applied), problems: set.problems }));
    },
    rebase: async ({ fromBase = false } = {}) => {
      const set = loadRevisions(config);
      const read = fromBase || isEmbeddedAbsent(config) ? [] : await withDatabase('rebase', async ({ db }) => (await readApplied(db, config.schema)).applied);
      if (!Array.isArray(read)) return read;
      // a squashed revision counted as applied is applied too
      const applied = new Set([...read.map((a) => a.id), ...databaseView(set, read).applied.map((a) => a.id)]);
      return (await import('./release/rebase.js')).rebaseHistory(config, set, applied);
    },
    fleetTargets: (source) => fleetTargetsOf(config, source),
    upFleet: async (source, target = 'head', fleetOptions = {}) => {
      const listed = await fleetTargetsOf(config, source);
      if (!listed.ok) return { ...listed, command: 'up' };
      const { upFleet } = await import('./fleet/up-fleet.js');
      const planner = planners.up(target, { ...fleetOptions, restoreCommand });
      return upFleet(config, { targets: listed.targets, planner, revisions: loadRevisions(config), options: fleetOptions }, emit);
    },
    statusFleet: async (source, { parallel } = {}) => {
      const listed = await fleetTargetsOf(config, source);
      if (!listed.ok) return listed;
      return (await import('./fleet/fleet-status.js')).fleetStatus(config, listed.targets, loadRevisions(config), parallel);
    },
    lint: async (selection = [], lintOptions = {}) => {
      const set = loadRevisions(config);
      if (set.problems.length > 0) return { ok: false, reason: 'invalid', problems: set.problems };
      const { lintRevisions, selectRevisions } = await import('./lint/lint-revisions.js');
      const picked = selectRevisions(set.revisions, selection);
      return picked.ok ? lintRevisions(picked.revisions, lintOptions) : { ok: false, reason: 'invalid', problems: [picked.problem] };
    },
    log: async ({ limit = 20 } = {}) => {
      if (!Number.isInteger(limit) || limit < 1) {
        return { ok: false, reason: 'invalid', problems: [problem('ARGUMENT_INVALID', { message: `--limit must be a whole number of at least 1, got '${limit}'`, hint: 'e.g. strata log --limit 50' })] };
      }
      const { readEvents } = await import('./db/events.js');
      if (isEmbeddedAbsent(config)) return { ok: true, database: describeDatabase(config), schema: config.schema, events: [] };
      return withDatabase('log', async ({ db, description }) => ({ ok: true, database: description, schema: config.schema, events: await readEvents(db, config.schema, limit) }));
    },
  };
}

/** The status of the revisions on disk against the rows `applied`; progress rows are read only when a Transaction: off script could have left one. */
async function statusOf(config: StrataConfig, set: RevisionSet, description: string, appliedRows: AppliedRevision[], readProgressRows: () => Promise<ProgressRow[]>): Promise<StatusResult> {
  // the chain this database follows: a squashed revision, or the revisions it replaces
  const view = databaseView(set, appliedRows);
  const { applied } = view;
  const appliedIds = new Set(applied.map((a) => a.id));
  // a row for a revision since done in its direction (stamped) is history, as a run treats it
  // progress rows come only from Transaction: off scripts: without one on disk, no round trip for them
  const mayBePartial = view.revisions.some((r) => !r.transactional || !r.down.transactional);
  const progress = (mayBePartial ? await readProgressRows() : []).filter((p) => (p.direction === 'up') !== appliedIds.has(p.revisionId));
  const partialOf = (id: string): PartialProgress | null => {
    const row = progress.find((p) => p.revisionId === id);
    return row ? { direction: row.direction, done: row.done, statementCount: row.statementCount, failedAt: row.failedAt, updatedAt: row.updatedAt.toISOString() } : null;
  };
  const statuses = computeStatus(view.revisions, applied);
  const counts: Record<RevisionState, number> = { applied: 0, pending: 0, edited: 0, missing: 0 };
  for (const s of statuses) counts[s.state]++;
  return {
    ok: set.problems.length === 0 && view.problems.length === 0,
    database: description,
    schema: config.schema,
    current: applied.at(-1)?.id ?? null,
    head: set.revisions.at(-1)?.id ?? null,
    revisions: statuses.map((s) => ({
      id: s.id, state: s.state, message: s.message, tags: s.tags,
      appliedAt: s.appliedAt?.toISOString() ?? null, isDownEdited: s.isDownEdited, replaces: s.revision?.replaces ?? [],
      partial: partialOf(s.id),
    })),
    counts,
    problems: [...set.problems, ...view.problems],
  };
}

async function fleetTargetsOf(config: StrataConfig, source: FleetSource): Promise<TargetsResult | Unavailable> {
  if ('targets' in source) return { ok: true, targets: [...source.targets] };
  if ('file' in source) return (await import('./fleet/targets.js')).readTargetsFile(config.cwd, source.file);
  return (await import('./fleet/targets-query.js')).queryTargets(config, source.query);
}

/** chokidar, the SQL parser and the dev loop load only for `dev` */
function startDev(config: StrataConfig, options: DevOptions, emit: EventListener): DevSession {
  const session = import('./watch/dev-loop.js').then(({ startDevLoop }) => startDevLoop(config, options, emit));
  return { done: session.then((s) => s.done), stop: () => session.then((s) => s.stop()) };
}
