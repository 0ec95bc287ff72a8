/**
 * strata's programmatic API. The CLI is a thin layer over it.
 *
 * @example
 *   import { createStrata } from 'strata';
 *   const strata = createStrata({ databaseUrl: process.env.DATABASE_URL });
 *   const report = await strata.up();
 *   if (!report.ok) console.error(report.reason === 'invalid' ? report.problems : report.failure);
 */
import { resolveConfig, type StrataConfig, type StrataOptions } from './config.js';
import { openDatabase, type OpenedDatabase } from './db/open-database.js';
import { readApplied } from './db/tracking.js';
import { problem, StrataError, type Problem } from './errors.js';
import { loadRevisions, planners, runPlanned, type EventListener, type RunOptions, type RunReport } from './executor/run.js';
import { computeStatus, type RevisionState } from './plan/revision-status.js';
import { gitRestoreCommand } from './project/git-restore.js';
import { databaseProblem } from './db/database-problem.js';
import { createRevisionFolder, initProject, type InitReport, type NewRevisionReport } from './project/project-files.js';
import type { SqlOptions, SqlReport } from './executor/offline-script.js';
import type { StampReport } from './executor/stamp.js';
import type { LogEvent } from './db/events.js';
import { findHeads, type HeadsReport } from './plan/find-heads.js';
import type { CurrentReport, HistoryReport, ShowReport } from './executor/inspect.js';
import type { DevOptions, DevSession } from './watch/dev-events.js';

export type { StrataOptions, StrataConfig } from './config.js';
export type { InitReport, NewRevisionReport } from './project/project-files.js';
export type { Problem, ProblemCode } from './errors.js';
export { StrataError, formatLocation } from './errors.js';
export type { RunReport, StrataEvent, RunOptions } from './executor/run.js';
export type { Failure, StepOutcome } from './executor/execute-steps.js';
export type { RevisionState } from './plan/revision-status.js';
export type { SqlOptions, SqlReport, ScriptStep } from './executor/offline-script.js';
export type { StampReport, StampFailure } from './executor/stamp.js';
export type { LogEvent, EventError } from './db/events.js';
export type { CurrentReport, HistoryReport, ShowReport } from './executor/inspect.js';
export type { HeadsReport, ForkHead, BranchMove } from './plan/find-heads.js';
export type { RevisionDetails, RevisionFileDetails, AppliedDetails } from './plan/describe-revision.js';
export type { HistoryEntry } from './plan/list-history.js';
export type { DevEvent, DevOptions, DevResult, DevRun, DevRunResult, DevSession } from './watch/dev-events.js';
export { redactUrl } from './text/redact.js';

export interface StatusEntry {
  id: string;
  state: RevisionState;
  message: string | null;
  tags: string[];
  appliedAt: string | null;
  /** down.sql changed since it was applied (up.sql unchanged): `down` will run the new one */
  isDownEdited: boolean;
}

export interface StatusReport {
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

export type LogReport =
  | { ok: true; database: string; schema: string; events: LogEvent[] }
  | { ok: false; reason: 'invalid'; problems: Problem[] };

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
  current(): Promise<CurrentReport>;
  /** the head of the history on disk, or the heads of a fork and how to join them; reads only files */
  heads(): HeadsReport;
  /** one revision (head, an id or its prefix, a tag): header, files, checksums, applied when and by whom */
  show(target: string): Promise<ShowReport>;
  /** the revision chain, newest first, with each revision's state (as Alembic's history lists it) */
  history(): Promise<HistoryReport>;
  /** the events log, newest first (default 20) */
  log(options?: { limit?: number }): Promise<LogReport>;
  /**
   * Bring the database to head, then watch the migrations folder and re-apply the newest revision
   * on every save until `stop()`. Each run is reported through `onEvent` as a `dev-run` event.
   */
  dev(options?: DevOptions): DevSession;
}

export function createStrata(options: StrataOptions & { onEvent?: EventListener } = {}): Strata {
  const config = resolveConfig(options);
  const emit: EventListener = options.onEvent ?? (() => {});
  const withDatabase = async <T>(command: string, fn: (opened: OpenedDatabase) => Promise<T>, { embeddedWaitMs = config.lockTimeoutMs } = {}): Promise<T> => {
    const opened = await openDatabase(config, { command, embeddedWaitMs, onNote: (message) => emit({ type: 'note', message }) });
    emit({ type: 'database', description: opened.description, isEmbedded: opened.db.isEmbedded });
    try {
      return await fn(opened);
    } catch (error) {
      // the database refusing strata's own queries (rights, a statement_timeout, a terminated session) is not a bug
      const found = databaseProblem(error, config.schema);
      if (found) throw new StrataError(found.code, found);
      throw error;
    } finally {
      await opened.close();
    }
  };
  const restoreCommand = (file: string) => gitRestoreCommand(config.cwd, file);
  const run = (command: 'up' | 'down' | 'redo', planner: Parameters<typeof runPlanned>[3], runOptions: RunOptions) => {
    // files are checked before connecting: a broken history never opens the database
    const set = loadRevisions(config);
    if (set.problems.length > 0) return Promise.resolve<RunReport>({ ok: false, reason: 'invalid', command, problems: set.problems });
    return withDatabase(command, ({ db }) => runPlanned(db, config, command, planner, runOptions, emit, set));
  };

  return {
    config,
    status: () => withDatabase('status', async ({ db, description }) => {
      const set = loadRevisions(config);
      const { applied } = await readApplied(db, config.schema);
      const statuses = computeStatus(set.revisions, applied);
      const counts: Record<RevisionState, number> = { applied: 0, pending: 0, edited: 0, missing: 0 };
      for (const s of statuses) counts[s.state]++;
      return {
        ok: set.problems.length === 0,
        database: description,
        schema: config.schema,
        current: applied.at(-1)?.id ?? null,
        head: set.revisions.at(-1)?.id ?? null,
        revisions: statuses.map((s) => ({
          id: s.id, state: s.state, message: s.message, tags: s.tags,
          appliedAt: s.appliedAt?.toISOString() ?? null, isDownEdited: s.isDownEdited,
        })),
        counts,
        problems: set.problems,
      };
    }),
    up: (target = 'head', runOptions = {}) => run('up', planners.up(target, { ...runOptions, restoreCommand }), runOptions),
    down: (target = '-1', runOptions = {}) => run('down', planners.down(target), runOptions),
    redo: (runOptions = {}) => run('redo', planners.redo(), { ...runOptions, singleTransaction: 'when-possible' }),
    newRevision: (message, now = new Date()) => createRevisionFolder(config, message, now),
    init: () => initProject(config),
    dev: (devOptions = {}) => startDev(config, devOptions, emit),
    sql: async (direction, target = direction === 'up' ? 'head' : '-1', sqlOptions = {}) => {
      const { buildSqlScript } = await import('./executor/offline-script.js');
      return buildSqlScript(config, direction, target, sqlOptions, (fn) => withDatabase('sql', fn));
    },
    stamp: async (target) => {
      const set = loadRevisions(config);
      if (set.problems.length > 0) return { ok: false, reason: 'invalid', command: 'stamp', problems: set.problems };
      const { runStamp } = await import('./executor/stamp.js');
      return withDatabase('stamp', ({ db }) => runStamp(db, config, target, set, emit));
    },
    current: async () => (await import('./executor/inspect.js')).readCurrent(config, (fn, options) => withDatabase('current', fn, options)),
    heads: () => {
      const set = loadRevisions(config);
      return findHeads(set.revisions, set.problems, config.dirLabel);
    },
    show: async (target) => (await import('./executor/inspect.js')).showRevision(config, target, (fn, options) => withDatabase('show', fn, options)),
    history: async () => (await import('./executor/inspect.js')).readHistory(config, (fn, options) => withDatabase('history', fn, options)),
    log: async ({ limit = 20 } = {}) => {
      if (!Number.isInteger(limit) || limit < 1) {
        return { ok: false, reason: 'invalid', problems: [problem('ARGUMENT_INVALID', { message: `--limit must be a whole number of at least 1, got '${limit}'`, hint: 'e.g. strata log --limit 50' })] };
      }
      const { readEvents } = await import('./db/events.js');
      return withDatabase('log', async ({ db, description }) => ({ ok: true, database: description, schema: config.schema, events: await readEvents(db, config.schema, limit) }));
    },
  };
}

/** chokidar, the SQL parser and the dev loop load only for `dev` */
function startDev(config: StrataConfig, options: DevOptions, emit: EventListener): DevSession {
  const session = import('./watch/dev-loop.js').then(({ startDevLoop }) => startDevLoop(config, options, emit));
  return { done: session.then((s) => s.done), stop: () => session.then((s) => s.stop()) };
}
