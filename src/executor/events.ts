import type { LintFinding } from '../lint/lint-files.js';
import type { LintCounts } from '../lint/lint-revisions.js';
import type { Step } from '../plan/plan.js';
import type { LockHolder } from './advisory-lock.js';
import type { LockRetry } from './lock-retry.js';
import type { StepOutcome } from './run-state.js';

/** What a run reports while it goes, through the listener given to createStrata (`onEvent`). */
export type RunEvent =
  | { type: 'database'; description: string; isEmbedded: boolean }
  | { type: 'lock-wait'; holder: LockHolder | undefined; timeoutMs: number }
  | { type: 'lock-acquired'; waitedMs: number }
  | { type: 'step-start'; step: Step; index: number; total: number }
  | { type: 'step-done'; outcome: StepOutcome; index: number; total: number }
  | { type: 'note'; message: string }
  /** a statement of the revision gave up waiting for a lock (--lock-timeout-ddl): it is tried again after `waitMs` */
  | ({ type: 'lock-retry' } & LockRetry)
  /** up: the error-severity lint findings in the pending revisions' up.sql (counts: all findings), before anything runs; never blocking */
  | { type: 'lint'; findings: LintFinding[]; counts: LintCounts };

export type RunEventListener = (event: RunEvent) => void;
