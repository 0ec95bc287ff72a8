import path from 'node:path';
import { displayPath, type StrataConfig } from '../config.js';
import { databaseProblem } from '../db/database-problem.js';
import type { Database } from '../db/database.js';
import { readApplied } from '../db/tracking.js';
import type { DevEventListener } from './dev-events.js';
import { invalidResult, runDevStep, waitingResult } from './dev-actions.js';
import type { DevConnection } from './dev-connection.js';
import type { DevReporter, RunInfo } from './dev-reporter.js';
import { decideDevStep, isStillBeingWritten, olderDownEdits } from './dev-step.js';
import { databaseView } from '../plan/squashes.js';
import { changedFiles, readFolder, type FolderReading } from './read-folder.js';
import { createRunQueue, type RunQueue } from './run-queue.js';
import { RevertCheck } from './revert-check.js';

/** How long after a run the files are all checked once more (see verifyQuietly). */
const VERIFY_DELAY_MS = 500;
/** How long a save that emptied a file waits for the rest of it. */
const EMPTIED_FILE_WAIT_MS = 30;
/** Actions in one run: e.g. revert a deleted folder, then apply the folder that replaced it. */
const MAX_ACTIONS_PER_RUN = 4;

/** What a save changed, as one run sees it. */
interface Save {
  trigger: 'startup' | 'change';
  reading: FolderReading;
  /** the revision folders on disk at the run before */
  previousIds: ReadonlySet<string>;
  /** the folders of the files that changed */
  changedIds: ReadonlySet<string>;
  /** a file that changed is now empty */
  emptied: boolean;
  info: () => RunInfo;
}

/**
 * The runs of a dev session, one at a time (the queue): each reads what the watcher said changed,
 * compares it with the reading before, and acts until the database matches the files.
 */
export class DevRuns {
  readonly queue: RunQueue;
  /** what the last run read: what the database was brought to, as far as dev knows */
  private previous: FolderReading | undefined;
  /** revision folders the watcher named since the last read */
  private touchedFolders = new Set<string>();
  private isStartup = true;
  private readonly revertCheck: RevertCheck;
  /** the tracking rows as the last run left them (see act) */
  private known: Awaited<ReturnType<typeof readApplied>> | undefined;
  private verifyTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly config: StrataConfig,
    private readonly connection: DevConnection,
    private readonly reporter: DevReporter,
    private readonly emit: DevEventListener,
    private readonly isStopping: () => boolean,
  ) {
    this.revertCheck = new RevertCheck(config.schema, config.ddl);
    this.queue = createRunQueue(() => this.runOnce(), (error) => {
      connection.markBroken();
      reporter.reportCrash(error);
    });
  }

  /** The watcher saw `file` change: its revision folder is read again at the next run. */
  fileChanged(file: string): void {
    const folder = path.relative(this.config.dir, file).split(path.sep)[0];
    if (folder) this.touchedFolders.add(folder);
    this.queue.trigger();
  }

  /** No more runs; resolves when the run in progress (if any) has ended. */
  close(): Promise<void> {
    clearTimeout(this.verifyTimer);
    return this.queue.close();
  }

  private async runOnce(): Promise<void> {
    clearTimeout(this.verifyTimer);
    try {
      const save = this.readSave();
      // An editor that saves in place empties the file, then writes it: an emptied file read is
      // most likely the first half of a save (as a down.sql, it would even run). The rest is given
      // a moment; a file that stays empty is what the user saved.
      if (save && save.emptied && (await sleepThen(EMPTIED_FILE_WAIT_MS, this.isStale(save)))) return;
      if (save) await this.act(save);
    } finally {
      this.verifyTimer = setTimeout(() => this.verifyQuietly(), VERIFY_DELAY_MS).unref();
    }
  }

  /** After the runs of a save, out of the way of the next one: read every file's stat to catch a change the watcher missed. */
  private verifyQuietly(): void {
    if (this.isStopping() || this.queue.isBusy || !this.previous) return;
    const missed = changedFiles(this.previous, readFolder(this.config, this.previous, new Set(), 'verify'));
    if (missed.length === 0) return;
    for (const file of missed) this.touchedFolders.add(path.basename(path.dirname(file)));
    this.queue.trigger();
  }

  /**
   * Whether the files changed since `save` read them: then what it found is not what is there, and
   * a run for the change is queued (the watcher's event for it may still be on its way).
   */
  private isStale(save: Save): () => boolean {
    return () => {
      const missed = changedFiles(save.reading, readFolder(this.config, save.reading, new Set(), 'verify'));
      if (missed.length === 0) return false;
      for (const file of missed) this.touchedFolders.add(path.basename(path.dirname(file)));
      this.queue.trigger();
      return true;
    };
  }

  /** Reads the folders the watcher named; undefined when nothing changed (an echo of a save already handled). */
  private readSave(): Save | undefined {
    const started = performance.now();
    const trigger = this.isStartup ? 'startup' : 'change';
    this.isStartup = false;
    const touched = this.touchedFolders;
    this.touchedFolders = new Set();
    const reading = readFolder(this.config, this.previous, touched, 'trust-events');
    const changed = changedFiles(this.previous, reading);
    if (trigger === 'change' && changed.length === 0) return undefined;
    this.reporter.cancelLater();
    const previousIds = this.previous?.folderIds ?? new Set<string>();
    this.previous = reading;
    return {
      trigger, reading, previousIds,
      emptied: trigger === 'change' && changed.some((file) => reading.files.get(file)?.bytes.length === 0),
      changedIds: new Set(changed.map((file) => path.basename(path.dirname(file)))),
      info: () => ({ trigger, durationMs: Math.round(performance.now() - started), changedFiles: changed.map((file) => displayPath(this.config.cwd, file)) }),
    };
  }

  /** Decides and runs one step after another until nothing is left to do, a step fails, or the files have problems. */
  private async act(save: Save): Promise<void> {
    let db: Database;
    try {
      db = await this.connection.database();
    } catch (error) {
      this.reporter.report(save.info(), { status: 'error', message: (error as Error).message });
      return;
    }
    try {
      await this.actOn(db, save);
    } finally {
      // What the run left in the tracking table, read now that its lines are out: the next save
      // then reads only a digest of the rows (readApplied) unless someone else changed them; after a
      // run that changed nothing, this read too is only the digest.
      this.known = this.isStopping() ? undefined : await readApplied(db, this.config.schema, this.known).catch(() => undefined);
    }
  }

  private async actOn(db: Database, save: Save): Promise<void> {
    const { config, reporter } = this;
    const { set } = save.reading;
    for (let action = 0; action < MAX_ACTIONS_PER_RUN && !this.isStopping(); action++) {
      let tracking;
      try {
        tracking = await readApplied(db, config.schema, this.known);
      } catch (error) {
        this.connection.markBroken();
        // a lost connection said as one (dev opens a new one at the next save)
        const found = databaseProblem(error, config.schema);
        reporter.report(save.info(), { status: 'error', message: `cannot read ${config.schema}.revisions: ${found?.code === 'CONNECTION_FAILED' ? `${found.message} (the server ended the session, or the database was dropped?)` : (error as Error).message}` });
        return;
      }
      const { applied } = tracking;
      if (set.problems.length > 0) {
        reporter.reportLater(save.info(), isStillBeingWritten(set.problems, applied) ? waitingResult(set.problems) : invalidResult(set.problems, save.reading, config), this.isStale(save));
        return;
      }
      // the chain this database follows (a squashed revision, or the revisions it replaces)
      const view = databaseView(set, applied);
      if (view.problems.length > 0) {
        reporter.reportLater(save.info(), invalidResult(view.problems, save.reading, config), this.isStale(save));
        return;
      }
      if (action === 0) {
        const downEdits = olderDownEdits(view.revisions, view.applied, save.changedIds);
        if (downEdits.length > 0) reporter.report(save.info(), { status: 'not-reapplied', revisions: downEdits, head: set.revisions.at(-1)?.id ?? null });
      }
      const step = decideDevStep(view.revisions, view.applied, { previousIds: save.previousIds });
      if (step.kind === 'none') {
        if (action === 0) reporter.report(save.info(), { status: 'unchanged', head: set.revisions.at(-1)?.id ?? null, isStartup: save.trigger === 'startup' });
        return;
      }
      // at startup dev brings the database to head as up does; after that, the newest revision is
      // the one being written, and a draft of comments only is waited for rather than recorded
      const awaitSqlIn = save.trigger === 'startup' ? undefined : set.revisions.at(-1)?.id;
      const result = await runDevStep(step, { db, config, set, tracking, forward: this.forward, emit: this.emit, isStopping: this.isStopping, awaitSqlIn, revertCheck: this.revertCheck });
      if (result.status === 'waiting' || result.status === 'invalid') {
        reporter.reportLater(save.info(), result.status === 'invalid' ? invalidResult(result.problems, save.reading, config) : result, this.isStale(save));
        return;
      }
      if (result.status === 'failed' && result.failure.sqlstate.startsWith('08')) this.connection.markBroken();
      reporter.report(save.info(), result);
      if (result.status !== 'applied' && result.status !== 'reverted') return;
    }
  }

  // only the lock events of the run pipeline are worth showing in dev: each run is reported as one line
  private readonly forward: DevEventListener = (event) => {
    if (event.type === 'lock-wait' || event.type === 'lock-acquired') this.emit(event);
  };
}

function sleepThen<T>(ms: number, then: () => T): Promise<T> {
  return new Promise((resolve) => setTimeout(() => resolve(then()), ms));
}
