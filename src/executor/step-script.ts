import type { DdlTimeouts } from '../config.js';
import { recordDownStatement, recordUpStatement, type Duration, type EventAction } from '../db/tracking.js';
import type { Step } from '../plan/plan.js';
import { lockGuardSql, type LockGuard } from './advisory-lock.js';

/**
 * The exact SQL for one step. `strata up`/`down` send it and `strata sql` prints it, so what a
 * DBA reviews is what runs. A transactional step is one script (one round trip):
 *   begin; [set local lock_timeout / statement_timeout;] <body> ; <session reset>; [set local synchronous_commit = off;] <lock guard>; <bookkeeping>; commit;
 * The body is sent byte for byte, after a prefix of known length, so error positions map back.
 */
export const BEGIN_PREFIX = 'begin;\n';

/**
 * What a revision may have changed in the session, undone after its body and before the
 * bookkeeping: so that the bookkeeping runs as strata's own role with the default settings
 * (whatever role, search_path, read-only mode or timeouts the revision set), and so that every
 * revision starts from a fresh session's state, as it would when run alone — not from what the
 * revisions before it in the same run left (temporary tables, prepared statements, cursors,
 * LISTENs, settings). It is DISCARD ALL, which cannot run in a transaction block, less the
 * release of advisory locks; RESET ROLE puts back a role configured for the user or database
 * (ALTER ROLE ... SET role), which SET SESSION AUTHORIZATION DEFAULT drops; and
 * standard_conforming_strings goes back on, for the reason given at PINNED_SETTINGS.
 */
export const SESSION_RESET = `close all;
set session authorization default;
reset role;
reset all;
set standard_conforming_strings = on;
deallocate all;
unlisten *;
discard plans;
discard temp;
discard sequences;`;
export const SESSION_RESET_STATEMENTS = 10;

/**
 * Settings that decide how the server splits and reads the text strata sends: the checker
 * splits every script with standard_conforming_strings on (in `'a\'`, the backslash is a
 * character), and the text is UTF-8. A server whose session has them otherwise (a legacy
 * database's ALTER DATABASE ... SET standard_conforming_strings = off, a revision's SET) would see
 * other statements than strata counted, so they are set again before any message that would be
 * read otherwise. The server reports both (ParameterStatus) whenever they change.
 */
export const PINNED_SETTINGS: ReadonlyArray<{ name: string; value: string; sql: string }> = [
  { name: 'standard_conforming_strings', value: 'on', sql: 'set standard_conforming_strings = on;' },
  { name: 'client_encoding', value: 'UTF8', sql: "set client_encoding = 'UTF8';" },
];

export interface TransactionalScript {
  text: string;
  /** UTF-16 index of the body in `text` */
  userStart: number;
  userLength: number;
  /** statements before the body (begin): to find the failing body statement */
  leadingStatements: number;
  /** statements after the body: the reset, the flush setting, the guard, the bookkeeping, the commit */
  trailingStatements: number;
}

/** What a step's event is recorded as: 'dev' for every step of strata dev, stamp/unstamp for a record-only step, else its direction. */
export function eventActionOf(step: Step, runAction: 'dev' | undefined): EventAction {
  if (step.recordOnly) return step.direction === 'up' ? 'stamp' : 'unstamp';
  return runAction ?? step.direction;
}

/** Whether the step runs as one transaction: a record-only step always does, whatever its revision's Transaction says. */
export function runsInTransaction(step: Step): boolean {
  return step.recordOnly === true || step.script.transactional;
}

/** What the step did, for messages: applied, reverted, recorded, or its record removed. */
export function doneWord(step: Step): string {
  if (step.recordOnly) return step.direction === 'up' ? 'recorded' : 'unrecorded';
  return step.direction === 'up' ? 'applied' : 'reverted';
}

export interface BookkeepingOptions {
  /** 'dev': record the event as strata dev's */
  action?: 'dev' | undefined;
  /** for a Transaction: off step: how long its statements took, measured by the client */
  durationMs?: number | undefined;
}

export function bookkeepingStatement(step: Step, schema: string, actor: string, options: BookkeepingOptions = {}): string {
  const action = eventActionOf(step, options.action);
  const duration: Duration = options.durationMs !== undefined ? { ms: options.durationMs } : 'since-step-start';
  if (step.direction === 'up') {
    const r = step.revision;
    return recordUpStatement(schema, {
      id: r.id, parent: r.parent, message: r.message ?? null, tags: r.tags,
      upChecksum: r.up.checksum, downChecksum: r.down.checksum, downText: r.down.text, actor,
    }, action, duration);
  }
  return recordDownStatement(schema, step.id, actor, step.recordOnly ? undefined : step.source, action, duration);
}

/** The lock guard (when there is one) and the bookkeeping: what records a step, all or nothing. */
export function recordingStatements(step: Step, schema: string, actor: string, lock: LockGuard | undefined, options: BookkeepingOptions = {}): string {
  const record = bookkeepingStatement(step, schema, actor, options);
  return lock ? `${lockGuardSql(schema, lock)}\n${record}` : record;
}

/** How many statements recordingStatements gives. */
export function recordingStatementCount(lock: LockGuard | undefined): number {
  return lock ? 2 : 1;
}

export interface TransactionalScriptOptions {
  /** false inside --single-transaction, where the run has one BEGIN/COMMIT */
  ownTransaction: boolean;
  /**
   * Commit without waiting for the WAL flush: every step of a message but the last. Each
   * revision still commits atomically with its bookkeeping, and the message's last commit is
   * synchronous, which flushes the earlier ones too (WAL is flushed in order): strata reports a
   * revision applied only after the message that carried it has come back, so what it reports
   * applied is on disk. Set after the session reset, which would undo it.
   */
  deferFlush: boolean;
  action?: 'dev' | undefined;
  lock?: LockGuard | undefined;
  /** --lock-timeout-ddl, --statement-timeout: set before the body, for the body (the session reset clears them for the bookkeeping) */
  timeouts?: DdlTimeouts | undefined;
}

/**
 * The settings that bound the revision's own SQL, one statement a line: `local` inside its
 * transaction (SET LOCAL ends with it), `session` before a Transaction: off body (the session
 * reset after the body clears it). Empty without timeouts.
 */
export function timeoutSettings(timeouts: DdlTimeouts | undefined, scope: 'local' | 'session'): string {
  const set = scope === 'local' ? 'set local' : 'set';
  const lock = timeouts?.lockTimeoutMs !== undefined ? `${set} lock_timeout = '${timeouts.lockTimeoutMs}ms';\n` : '';
  const statement = timeouts?.statementTimeoutMs !== undefined ? `${set} statement_timeout = '${timeouts.statementTimeoutMs}ms';\n` : '';
  return lock + statement;
}

/** How many statements timeoutSettings gives. */
export function timeoutSettingsCount(timeouts: DdlTimeouts | undefined): number {
  return (timeouts?.lockTimeoutMs !== undefined ? 1 : 0) + (timeouts?.statementTimeoutMs !== undefined ? 1 : 0);
}

export function transactionalScript(step: Step, schema: string, actor: string, options: TransactionalScriptOptions): TransactionalScript {
  const prefix = options.ownTransaction ? BEGIN_PREFIX : '';
  const recording = recordingStatements(step, schema, actor, options.lock, { action: options.action });
  const flush = options.ownTransaction && options.deferFlush ? `${DEFER_FLUSH}\n` : '';
  const commit = options.ownTransaction ? '\ncommit;' : '';
  if (step.recordOnly) {
    // no SQL of the revision runs, so there is no session state of its to reset
    return {
      text: `${prefix}${flush}${recording}${commit}`,
      userStart: prefix.length,
      userLength: 0,
      leadingStatements: options.ownTransaction ? 1 : 0,
      trailingStatements: (flush ? 1 : 0) + recordingStatementCount(options.lock) + (options.ownTransaction ? 1 : 0),
    };
  }
  const body = step.script.body;
  const settings = timeoutSettings(options.timeouts, 'local');
  const suffix = `\n;\n${SESSION_RESET}\n${flush}${recording}${commit}`;
  return {
    text: prefix + settings + body + suffix,
    userStart: prefix.length + settings.length,
    userLength: body.length,
    leadingStatements: (options.ownTransaction ? 1 : 0) + timeoutSettingsCount(options.timeouts),
    trailingStatements: SESSION_RESET_STATEMENTS + (flush ? 1 : 0) + recordingStatementCount(options.lock) + (options.ownTransaction ? 1 : 0),
  };
}

export const DEFER_FLUSH = 'set local synchronous_commit = off;';
