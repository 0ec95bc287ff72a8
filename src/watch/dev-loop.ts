import type { StrataConfig } from '../config.js';
import type { Database } from '../db/database.js';
import type { DevEventListener } from './dev-events.js';
import { loadSqlParser } from '../sql/parser.js';
import { DevConnection } from './dev-connection.js';
import type { DevOptions, DevResult, DevSession } from './dev-events.js';
import { DevReporter } from './dev-reporter.js';
import { DevRuns } from './dev-runs.js';
import { readFolder } from './read-folder.js';
import { POLL_INTERVAL_MS, watchMigrations, type MigrationsWatcher } from './watch-migrations.js';

/** After stop(), how long a run in progress may go on by itself before its statement is cancelled (most runs take a few ms). */
const FINISH_GRACE_MS = 100;
/** ... and how long it may then take to roll back before its session is ended. */
const CANCEL_GRACE_MS = 500;

/**
 * `strata dev`: brings the database to head, then watches the migrations folder and, on every
 * save, re-applies the newest revision (revert with the right down.sql, apply up.sql, one
 * transaction). One database connection for the whole session; the advisory lock only during a run.
 */
export function startDevLoop(config: StrataConfig, options: DevOptions, emit: DevEventListener): DevSession {
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
  emit: DevEventListener,
  stopping: Promise<void>,
  isStopping: () => boolean,
): Promise<DevResult> {
  const first = readFolder(config, undefined, new Set(), 'verify');
  const dirProblem = first.set.problems.find((p) => p.code === 'DIR_MISSING' || p.code === 'DIR_UNREADABLE');
  if (dirProblem) return { ok: false, reason: 'invalid', problems: [dirProblem] };

  const connection = await DevConnection.open(config, (message) => emit({ type: 'note', message }));
  if (!(connection instanceof DevConnection)) return connection;
  const reporter = new DevReporter(emit, isStopping);
  let watcher: MigrationsWatcher | undefined;
  try {
    await connection.readBackendPid();
    // the parser is kept loaded for the whole session: the first save should be as fast as the others
    await loadSqlParser();
    if (isStopping()) return { ok: true, runs: reporter.runs };

    const runs = new DevRuns(config, connection, reporter, emit, isStopping);
    watcher = await watchMigrations(config.dir, {
      isPolling: options.isPolling ?? false,
      onChange: (file) => runs.fileChanged(file),
      onError: (error) => emit({ type: 'dev-warning', message: `watching ${config.dirLabel}: ${error.message}${watchErrorHint(error)}` }),
    });
    if (isStopping()) return { ok: true, runs: reporter.runs };
    const opened = connection.current!;
    emit({
      type: 'dev-watching', dir: config.dirLabel, database: opened.description,
      isEmbedded: opened.db.isEmbedded, pollIntervalMs: options.isPolling ? POLL_INTERVAL_MS : null,
    });
    runs.queue.trigger();

    await stopping;
    await watcher.close();
    watcher = undefined;
    reporter.cancelLater();
    const finished = runs.close();
    if (runs.queue.isBusy && connection.current?.db.canCancel && config.databaseUrl) {
      const hasFinished = await Promise.race([finished.then(() => true), sleep(FINISH_GRACE_MS).then(() => false)]);
      if (!hasFinished) await interruptRun(config.databaseUrl, connection.backendPid, finished);
    }
    // the run lock lives on the database's lock session, which a cancel of the run's statements never reaches
    await finished;
    return { ok: true, runs: reporter.runs };
  } finally {
    await watcher?.close();
    await connection.close();
    emit({ type: 'dev-stopped', runs: reporter.runs });
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

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function watchErrorHint(error: Error): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC' || code === 'EMFILE') return ' (too many watched files: raise fs.inotify.max_user_watches, or run strata dev --poll)';
  return '';
}
