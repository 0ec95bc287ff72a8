import path from 'node:path';
import { displayPath, type StrataConfig } from '../config.js';
import { openDatabase, type OpenedDatabase } from '../db/open-database.js';
import type { Database } from '../db/database.js';
import { readApplied } from '../db/tracking.js';
import type { Problem } from '../errors.js';
import type { StepOutcome } from '../executor/execute-steps.js';
import { planners, runPlanned, type EventListener, type RunReport } from '../executor/run.js';
import type { RevisionSet } from '../revision/build-revisions.js';
import { withoutBom } from '../revision/parse-header.js';
import { loadSqlParser } from '../sql/sql-statements.js';
import { attachCodeFrames } from '../text/source-position.js';
import { gitRestoreCommand } from '../project/git-restore.js';
import type { DevOptions, DevResult, DevRunInfo, DevRunResult, DevSession } from './dev-events.js';
import { decideDevStep, hasNoSql, isStillBeingWritten, olderDownEdits, revisionIdOf, type DevStep } from './dev-step.js';
import { changedFiles, readFolder, type FolderReading } from './read-folder.js';
import { createRunQueue } from './run-queue.js';
import { POLL_INTERVAL_MS, watchMigrations, type MigrationsWatcher } from './watch-migrations.js';

/**
 * A problem found in the files is reported this long after the run, unless another change arrives
 * first: a file read in the middle of a save (an editor truncates, then writes) fails to parse, and
 * the rest of the save is already on its way. Runs that change the database are reported at once.
 */
const PROBLEM_REPORT_DELAY_MS = 30;
/** After stop(), how long a run in progress may go on by itself before its statement is cancelled (most runs take a few ms). */
const FINISH_GRACE_MS = 100;
/** ... and how long it may then take to roll back before its session is ended. */
const CANCEL_GRACE_MS = 500;
/** How long after a run the files are all checked once more (see verifyQuietly). */
const VERIFY_DELAY_MS = 500;
/** Actions in one run: e.g. revert a deleted folder, then apply the folder that replaced it. */
const MAX_ACTIONS_PER_RUN = 4;

/**
 * `strata dev`: brings the database to head, then watches the migrations folder and, on every
 * save, re-applies the newest revision (revert with the right down.sql, apply up.sql, one
 * transaction). One database connection for the whole session; the advisory lock only during a run.
 */
export function startDevLoop(config: StrataConfig, options: DevOptions, emit: EventListener): DevSession {
  let stopRequested: () => void = () => {};
  const stopping = new Promise<void>((resolve) => (stopRequested = resolve));
  let isStopping = false;
  const done = runSession(config, options, emit, stopping, () => isStopping);
  return {
    done,
    stop() {
      isStopping = true;
      stopRequested();
      return done;
    },
  };
}

async function runSession(
  config: StrataConfig,
  options: DevOptions,
  emit: EventListener,
  stopping: Promise<void>,
  isStopping: () => boolean,
): Promise<DevResult> {
  const first = readFolder(config, undefined, new Set(), 'verify');
  const dirProblem = first.set.problems.find((p) => p.code === 'DIR_MISSING' || p.code === 'DIR_UNREADABLE');
  if (dirProblem) return { ok: false, reason: 'invalid', problems: [dirProblem] };

  // the line while the embedded database is created; the lock file tells other commands that dev holds it
  const openOptions = { command: 'dev', onNote: (message: string) => emit({ type: 'note', message }) };
  let opened: OpenedDatabase | undefined = await openDatabase(config, openOptions);
  let backendPid = 0;
  let isConnectionBroken = false;
  const connection = async (): Promise<Database> => {
    if (opened && !isConnectionBroken) return opened.db;
    if (opened) await opened.close().catch(() => {});
    opened = undefined;
    opened = await openDatabase(config, openOptions);
    backendPid = await opened.db.backendPid();
    isConnectionBroken = false;
    return opened.db;
  };

  let runs = 0;
  let watcher: MigrationsWatcher | undefined;
  try {
    backendPid = await opened.db.backendPid();
    // the parser is kept loaded for the whole session: the first save should be as fast as the others
    await loadSqlParser();
    if (isStopping()) return { ok: true, runs };

    let previous: FolderReading | undefined;
    /** revision folders the watcher named since the last read */
    let touchedFolders = new Set<string>();
    let verifyTimer: NodeJS.Timeout | undefined;
    let isStartup = true;
    let lastWaiting: string | undefined;
    let delayedReport: NodeJS.Timeout | undefined;
    const report = (info: Omit<DevRunInfo, 'sequence'>, result: DevRunResult) => {
      if (result.status === 'error' && isStopping()) return; // a cancelled bookkeeping query while stopping is no news
      // "waiting for <id>" is said once, not on every save of an unfinished revision
      const waitingKey = result.status === 'waiting' ? JSON.stringify(result) : undefined;
      if (waitingKey !== undefined && waitingKey === lastWaiting) return;
      lastWaiting = waitingKey;
      emit({ type: 'dev-run', run: { sequence: ++runs, ...info, ...result } });
    };
    const reportLater = (info: Omit<DevRunInfo, 'sequence'>, result: DevRunResult) => {
      clearTimeout(delayedReport);
      delayedReport = setTimeout(() => {
        delayedReport = undefined;
        if (!isStopping()) report(info, result);
      }, PROBLEM_REPORT_DELAY_MS);
    };
    // only the lock events of runPlanned are worth showing in dev: each run is reported as one line
    const forward: EventListener = (event) => {
      if (event.type === 'lock-wait' || event.type === 'lock-acquired') emit(event);
    };

    const runOnce = async () => {
      clearTimeout(verifyTimer);
      try {
        await runChanges();
      } finally {
        verifyTimer = setTimeout(verifyQuietly, VERIFY_DELAY_MS).unref();
      }
    };
    /** After the runs of a save, out of the way of the next one: read every file's stat to catch a change the watcher missed. */
    const verifyQuietly = () => {
      if (isStopping() || queue.isBusy || !previous) return;
      const missed = changedFiles(previous, readFolder(config, previous, new Set(), 'verify'));
      if (missed.length === 0) return;
      for (const file of missed) touchedFolders.add(path.basename(path.dirname(file)));
      queue.trigger();
    };

    const runChanges = async () => {
      const started = performance.now();
      const trigger = isStartup ? 'startup' : 'change';
      isStartup = false;
      const touched = touchedFolders;
      touchedFolders = new Set();
      const reading = readFolder(config, previous, touched, 'trust-events');
      const changed = changedFiles(previous, reading);
      if (trigger === 'change' && changed.length === 0) return; // an echo of a save already handled
      clearTimeout(delayedReport);
      const previousIds = previous?.folderIds ?? new Set<string>();
      previous = reading;
      const changedIds = new Set(changed.map((file) => path.basename(path.dirname(file))));
      const info = (): Omit<DevRunInfo, 'sequence'> => ({
        trigger, durationMs: Math.round(performance.now() - started), changedFiles: changed.map((file) => displayPath(config.cwd, file)),
      });
      const set = reading.set;
      let db: Database;
      try {
        db = await connection();
      } catch (error) {
        report(info(), { status: 'error', message: (error as Error).message });
        return;
      }
      for (let action = 0; action < MAX_ACTIONS_PER_RUN && !isStopping(); action++) {
        let tracking;
        try {
          tracking = await readApplied(db, config.schema);
        } catch (error) {
          isConnectionBroken = true;
          report(info(), { status: 'error', message: `cannot read ${config.schema}.revisions: ${(error as Error).message}` });
          return;
        }
        const { applied } = tracking;
        if (set.problems.length > 0) {
          reportLater(info(), isStillBeingWritten(set.problems, applied) ? waitingResult(set.problems) : invalidResult(set.problems, reading, config));
          return;
        }
        if (action === 0) {
          const downEdits = olderDownEdits(set.revisions, applied, changedIds);
          if (downEdits.length > 0) report(info(), { status: 'not-reapplied', revisions: downEdits, head: set.revisions.at(-1)?.id ?? null });
        }
        const step = decideDevStep(set.revisions, applied, { previousIds });
        if (step.kind === 'none') {
          if (action === 0) report(info(), { status: 'unchanged', head: set.revisions.at(-1)?.id ?? null, isStartup: trigger === 'startup' });
          return;
        }
        // at startup dev brings the database to head as up does; after that, the newest revision is
        // the one being written, and a draft of comments only is waited for rather than recorded
        const awaitSqlIn = trigger === 'startup' ? undefined : set.revisions.at(-1)?.id;
        const result = await runStep(db, config, step, set, tracking, forward, emit, isStopping, awaitSqlIn);
        if (result.status === 'waiting' || result.status === 'invalid') {
          reportLater(info(), result.status === 'invalid' ? invalidResult(result.problems, reading, config) : result);
          return;
        }
        if (result.status === 'failed' && result.failure.sqlstate.startsWith('08')) isConnectionBroken = true;
        report(info(), result);
        if (result.status !== 'applied' && result.status !== 'reverted') return;
      }
    };

    const queue = createRunQueue(runOnce, (error) => {
      isConnectionBroken = true;
      if (!isStopping()) emit({ type: 'dev-run', run: { sequence: ++runs, trigger: 'change', durationMs: 0, changedFiles: [], status: 'error', message: (error as Error).message } });
    });
    watcher = await watchMigrations(config.dir, {
      isPolling: options.isPolling ?? false,
      onChange: (file) => {
        const folder = path.relative(config.dir, file).split(path.sep)[0];
        if (folder) touchedFolders.add(folder);
        queue.trigger();
      },
      onError: (error) => emit({ type: 'dev-warning', message: `watching ${config.dirLabel}: ${error.message}${watchErrorHint(error)}` }),
    });
    if (isStopping()) return { ok: true, runs };
    emit({
      type: 'dev-watching', dir: config.dirLabel, database: opened.description,
      isEmbedded: opened.db.isEmbedded, pollIntervalMs: options.isPolling ? POLL_INTERVAL_MS : null,
    });
    queue.trigger();

    await stopping;
    await watcher.close();
    watcher = undefined;
    clearTimeout(delayedReport);
    clearTimeout(verifyTimer);
    const finished = queue.close();
    if (queue.isBusy && opened?.db.canCancel && config.databaseUrl) {
      const hasFinished = await Promise.race([finished.then(() => true), sleep(FINISH_GRACE_MS).then(() => false)]);
      if (!hasFinished) await interruptRun(config.databaseUrl, backendPid, finished);
    }
    // the run lock lives on the database's lock session, which a cancel of the run's statements never reaches
    await finished;
    return { ok: true, runs };
  } finally {
    await watcher?.close();
    await opened?.close();
    emit({ type: 'dev-stopped', runs });
  }
}

/**
 * Ctrl-C during a run: cancel the statement that is running (the transaction rolls back and the
 * lock is released as usual); if the run has not ended after a grace period, end its session,
 * which rolls back and releases everything on the server's side.
 */
async function interruptRun(url: string, pid: number, finished: Promise<void>): Promise<void> {
  let hasFinished = false;
  void finished.then(() => (hasFinished = true));
  const { connectPostgres } = await import('../db/pg-database.js');
  let side: Database | undefined;
  try {
    side = await connectPostgres(url, 'strata dev (stopping)');
    const deadline = performance.now() + CANCEL_GRACE_MS;
    // repeated: a cancel that arrives between two statements does nothing
    while (!hasFinished && performance.now() < deadline) {
      await side.query('select pg_cancel_backend($1)', [pid]);
      await Promise.race([finished, new Promise((resolve) => setTimeout(resolve, 50))]);
    }
    if (!hasFinished) await side.query('select pg_terminate_backend($1)', [pid]);
  } catch {
    // the server is unreachable: the run ends with its connection
  } finally {
    await side?.close();
  }
}

async function runStep(
  db: Database,
  config: StrataConfig,
  step: Exclude<DevStep, { kind: 'none' }>,
  set: RevisionSet,
  tracking: Awaited<ReturnType<typeof readApplied>>,
  forward: EventListener,
  emit: EventListener,
  isStopping: () => boolean,
  awaitSqlIn: string | undefined,
): Promise<DevRunResult> {
  switch (step.kind) {
    case 'invalid':
      return { status: 'invalid', problems: step.problems, codeFrames: step.problems.map((p) => p.codeFrame ?? null) };
    case 'older-edited':
      return {
        status: 'not-reapplied',
        revisions: step.revisions.map((r) => (r.isBlocking ? { ...r, restoreCommand: gitRestoreCommand(config.cwd, r.file) } : r)),
        head: set.revisions.at(-1)?.id ?? null,
      };
    case 'revert-deleted': {
      const report = await runPlanned(db, config, 'down', planners.down(step.target), {}, forward, set, tracking);
      return fromReport(report, (steps) => ({ status: 'reverted', ids: step.ids, now: step.target, steps }), isStopping);
    }
    case 'apply-pending': {
      const report = await runPlanned(db, config, 'up', planners.up('head', {}), { awaitSqlIn }, forward, set, tracking);
      if (!report.ok && report.reason === 'invalid' && isStillBeingWritten(report.problems, [])) return waitingResult(report.problems);
      return fromReport(report, (steps) => ({ status: 'applied', ids: steps.map((s) => s.id), steps }), isStopping);
    }
    case 'reapply': {
      if (!step.isTransactional) {
        emit({
          type: 'dev-warning',
          message: `${step.id} has 'Transaction: off': it is reverted and applied again statement by statement, so a failure can leave partial effects`,
        });
      }
      const planner = planners.redo();
      const plan = planner(set, tracking.applied);
      const revert = plan.ok ? plan.steps[0] : undefined;
      if (revert?.direction === 'down' && hasNoSql(revert.script.body)) {
        emit({
          type: 'dev-warning',
          message: `${step.id}: the down.sql that reverts the applied version has no SQL, so that version stays in place and applying up.sql again can fail on its own objects ("already exists"); write down.sql (how to undo up.sql) and save it`,
        });
      }
      const report = await runPlanned(db, config, 'dev', planner, { singleTransaction: 'when-possible', awaitSqlIn }, forward, set, tracking);
      const result = fromReport(report, (steps) => ({ status: 're-applied', id: step.id, changed: step.changed, steps }), isStopping);
      if (result.status === 'failed' && step.isTransactional && result.steps.length === 0) {
        result.failure.effects = `rolled back: the database still has the version of ${step.id} that was applied before this save`;
      }
      return result;
    }
  }
}

function fromReport(report: RunReport, ok: (steps: StepOutcome[]) => DevRunResult, isStopping: () => boolean): DevRunResult {
  if (report.ok) return ok(report.steps);
  if (report.reason === 'interrupted') return ok(report.steps);
  if (report.reason !== 'failed') return { status: 'invalid', problems: report.problems, codeFrames: report.problems.map((p) => p.codeFrame ?? null) };
  return { status: 'failed', failure: report.failure, steps: report.steps, wasInterrupted: isStopping() && report.failure.sqlstate === '57014' };
}

/** Each problem with a line and column gets the lines around it with a caret, from the bytes this run read. */
function invalidResult(problems: Problem[], reading: FolderReading, config: StrataConfig): DevRunResult {
  const framed = attachCodeFrames(problems, (file) => {
    const stamp = reading.files.get(path.resolve(config.cwd, file));
    return stamp && withoutBom(Buffer.from(stamp.bytes).toString('utf8'));
  });
  return { status: 'invalid', problems: framed, codeFrames: framed.map((p) => p.codeFrame ?? null) };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function waitingResult(problems: Problem[]): DevRunResult {
  const id = problems.map((p) => (p.file ? revisionIdOf(p.file) : undefined)).find((x) => x !== undefined) ?? '';
  return { status: 'waiting', id, problems };
}

function watchErrorHint(error: Error): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC' || code === 'EMFILE') return ' (too many watched files: raise fs.inotify.max_user_watches, or run strata dev --poll)';
  return '';
}
