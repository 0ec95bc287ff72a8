import type { DdlTimeouts } from '../config.js';
import type { Step } from '../plan/plan.js';
import type { Failure } from './failure.js';
import type { RunState } from './run-state.js';

/**
 * --lock-timeout-ddl with --retries: a statement of a revision that waits longer than its
 * lock_timeout for a lock fails with SQLSTATE 55P03 (lock_not_available) instead of queueing every
 * later query on that table behind its request. Such a revision is rolled back (a Transaction: off
 * one: that statement, or the transaction block it is in) and tried again after a wait that doubles
 * each time, with jitter so that two runners that met once do not meet again.
 */
export const LOCK_NOT_AVAILABLE = '55P03';

export function isLockTimeout(sqlstate: string): boolean {
  return sqlstate === LOCK_NOT_AVAILABLE;
}

const MAX_WAIT_MS = 10_000;

/** The wait before attempt `attempt + 1` (attempt 1 is the first try): base × 2^(attempt-1), capped, the upper half of it at random. */
export function backoffMs(attempt: number, timeouts: DdlTimeouts, random: () => number = Math.random): number {
  const base = Math.min(Math.max(timeouts.lockTimeoutMs ?? 500, 100), 1000);
  const ceiling = Math.min(base * 2 ** (attempt - 1), MAX_WAIT_MS);
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/** What a run says before it waits and tries a revision again. */
export interface LockRetry {
  id: string;
  direction: 'up' | 'down';
  /** the attempt about to be made (2 for the first retry) and how many there may be */
  attempt: number;
  attempts: number;
  waitMs: number;
  lockTimeoutMs: number | undefined;
  /** where the statement that timed out is */
  file: string;
  line: number | undefined;
  statement: string | undefined;
}

export function lockRetryOf(step: Step, failure: Failure, attempt: number, timeouts: DdlTimeouts, waitMs: number): LockRetry {
  return {
    id: step.id, direction: step.direction, attempt: attempt + 1, attempts: timeouts.retries + 1, waitMs,
    lockTimeoutMs: timeouts.lockTimeoutMs,
    file: failure.file, line: failure.statement?.line ?? failure.line, statement: failure.statement?.label,
  };
}

/** Says that `step` waits, and waits; false when the run was asked to stop meanwhile. */
export async function waitToRetry(run: RunState, step: Step, failure: Failure, attempt: number): Promise<boolean> {
  const timeouts = run.options.timeouts!;
  const waitMs = backoffMs(attempt, timeouts);
  run.options.events?.lockRetry?.(lockRetryOf(step, failure, attempt, timeouts, waitMs));
  return waitUnlessAborted(waitMs, run.options.signal);
}

/** Resolves true after `ms`, or false as soon as `signal` aborts (Ctrl-C during the wait: the revision was rolled back, so the run stops at that boundary). */
export function waitUnlessAborted(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The last failure after every attempt met a lock timeout: how often it was tried, and what to do. */
export function givenUp(failure: Failure, attempts: number, timeouts: DdlTimeouts): Failure {
  const limit = timeouts.lockTimeoutMs !== undefined ? ` (lock_timeout ${timeouts.lockTimeoutMs}ms)` : '';
  const tries = attempts === 1 ? 'a statement gave up waiting for a lock' : `it was tried ${attempts} times, and each time a statement gave up waiting for a lock`;
  return {
    ...failure,
    attempts,
    effects: `${failure.effects}; ${tries}${limit} that another session holds`,
    hint: failure.hint ?? `run again when the sessions holding locks on the tables this statement alters are done (select pid, state, query from pg_stat_activity where pid = any(pg_blocking_pids(<pid of the waiting session>)) shows them while it waits); or raise --retries${timeouts.lockTimeoutMs !== undefined ? ' or --lock-timeout-ddl' : ''}`,
  };
}
