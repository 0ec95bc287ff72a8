import type { DevEventListener } from './dev-events.js';
import type { DevRunInfo, DevRunResult } from './dev-events.js';

/**
 * A problem found in the files is reported this long after the run, unless another change arrives
 * first: a file read in the middle of a save (an editor truncates, then writes) fails to parse, and
 * the rest of the save is already on its way. Runs that change the database are reported at once.
 */
const PROBLEM_REPORT_DELAY_MS = 30;

/** What a run says, before its sequence number: when it ran, on which files. */
export type RunInfo = Omit<DevRunInfo, 'sequence'>;

/** Numbers the runs and emits one `dev-run` event for each, at once or (problems in the files) a little later. */
export class DevReporter {
  /** runs reported so far */
  runs = 0;
  private lastWaiting: string | undefined;
  private delayed: NodeJS.Timeout | undefined;

  constructor(private readonly emit: DevEventListener, private readonly isStopping: () => boolean) {}

  report(info: RunInfo, result: DevRunResult): void {
    if (result.status === 'error' && this.isStopping()) return; // a cancelled bookkeeping query while stopping is no news
    // "waiting for <id>" is said once, not on every save of an unfinished revision
    const waitingKey = result.status === 'waiting' ? JSON.stringify(result) : undefined;
    if (waitingKey !== undefined && waitingKey === this.lastWaiting) return;
    this.lastWaiting = waitingKey;
    this.emit({ type: 'dev-run', run: { sequence: ++this.runs, ...info, ...result } });
  }

  /**
   * Reports after PROBLEM_REPORT_DELAY_MS, unless cancelLater() or another reportLater() comes
   * first, or `isStale()` then says the files changed since they were read (the rest of the save
   * landed, but its event has not been handled yet, as on a busy machine): the run it causes reports.
   */
  reportLater(info: RunInfo, result: DevRunResult, isStale: () => boolean = () => false): void {
    this.cancelLater();
    this.delayed = setTimeout(() => {
      this.delayed = undefined;
      if (!this.isStopping() && !isStale()) this.report(info, result);
    }, PROBLEM_REPORT_DELAY_MS);
  }

  cancelLater(): void {
    clearTimeout(this.delayed);
    this.delayed = undefined;
  }

  /** A run that threw: a programmer error or a connection lost between two queries. */
  reportCrash(error: unknown): void {
    if (this.isStopping()) return;
    this.emit({ type: 'dev-run', run: { sequence: ++this.runs, trigger: 'change', durationMs: 0, changedFiles: [], status: 'error', message: (error as Error).message } });
  }
}
