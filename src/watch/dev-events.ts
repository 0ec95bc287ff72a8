import type { Problem } from '../errors.js';
import type { RunEvent } from '../executor/events.js';
import type { Failure, StepOutcome } from '../executor/execute-steps.js';
import type { OlderEdit } from './dev-step.js';

/** What the dev loop hears and says: the runs' own events (lock waits, notes) and its own. */
export type DevEventListener = (event: RunEvent | DevEvent) => void;

/** What `strata dev` reports through the event listener: one `dev-run` per run, as data. */
export type DevEvent =
  /** `pollIntervalMs`: null on native file-system events */
  | { type: 'dev-watching'; dir: string; database: string; isEmbedded: boolean; pollIntervalMs: number | null }
  | { type: 'dev-run'; run: DevRun }
  | { type: 'dev-warning'; message: string }
  | { type: 'dev-stopped'; runs: number };

export interface DevRunInfo {
  /** 1, 2, 3 ... in the order the runs happened (they never overlap) */
  sequence: number;
  trigger: 'startup' | 'change';
  /** from reading the files to the end of the run */
  durationMs: number;
  /** revision files that changed since the previous run, as printed */
  changedFiles: string[];
}

export type DevRunResult =
  /** revisions that were not applied yet (startup, or a new folder) were applied, as `up` does */
  | { status: 'applied'; ids: string[]; steps: StepOutcome[] }
  /** the newest revision was reverted and applied again in one transaction (two, with Transaction: off) */
  | { status: 're-applied'; id: string; changed: 'up' | 'down' | 'up and down'; steps: StepOutcome[] }
  /** revision folders deleted while dev watched were reverted with their stored down.sql */
  | { status: 'reverted'; ids: string[]; now: string; steps: StepOutcome[] }
  /** nothing to do: the files match what is applied */
  | { status: 'unchanged'; head: string | null; isStartup: boolean }
  /** a new revision is still being written (no up.sql or down.sql yet, or no SQL in up.sql) */
  | { status: 'waiting'; id: string; problems: Problem[] }
  /** an applied revision other than the newest changed: nothing was run for it */
  | { status: 'not-reapplied'; revisions: OlderEdit[]; head: string | null }
  /** the files have problems (syntax, headers, chain ...): nothing ran. `codeFrames[i]`: the lines around problem i, with a caret */
  | { status: 'invalid'; problems: Problem[]; codeFrames: Array<string | null> }
  /** SQL failed while running; what it left behind is in `failure.effects` */
  | { status: 'failed'; failure: Failure; steps: StepOutcome[]; wasInterrupted: boolean }
  /** the run could not talk to the database (connection lost ...); the next save reconnects */
  | { status: 'error'; message: string };

export type DevRun = DevRunInfo & DevRunResult;

export interface DevOptions {
  /** poll the files instead of native file-system events */
  isPolling?: boolean;
}

/** A running `strata dev`. */
export interface DevSession {
  /** settles when the session has ended: after stop(), or at once when it cannot start */
  readonly done: Promise<DevResult>;
  /** stops watching; a run in progress is cancelled (it rolls back); resolves with `done` */
  stop(): Promise<DevResult>;
}

export type DevResult =
  | { ok: true; runs: number }
  /** could not start (e.g. no migrations folder) */
  | { ok: false; reason: 'invalid'; problems: Problem[] }
  /** could not open the database (a server that cannot be reached, an embedded database another process holds) */
  | { ok: false; reason: 'unavailable'; problems: Problem[] };
