import { TRACKING_VERSION, trackingUpgradeSql } from '../db/tracking-schema.js';
import { quoteLiteral } from '../sql/quote.js';
import type { Step } from '../plan/plan.js';
import type { ScriptStatement } from '../sql/split-statements.js';
import { LOCK_CLASS } from './advisory-lock.js';
import { PINNED_SETTINGS, recordingStatements, SESSION_RESET, timeoutSettings, transactionalScript } from './step-script.js';
import type { DdlTimeouts } from '../config.js';
import type { LockGuard } from './advisory-lock.js';

export interface RenderScriptOptions {
  direction: 'up' | 'down';
  schema: string;
  actor: string;
  singleTransaction: boolean;
  /** the version of the tracking schema the script starts from (0: none): it creates or upgrades it first when not TRACKING_VERSION */
  trackingVersion: number;
  /** one line on what the plan was made against, for the header */
  plannedAgainst: string;
  /** statements of each step's script, from the check (to know whether the body ends with a semicolon) */
  statementsOf(step: Step): readonly ScriptStatement[];
  /** squashed revisions recorded in place of the rows of the revisions they replace: before the steps (the database applied the range already) and after them (the steps finish a range) */
  squashRecords?: { before: SquashRecord[]; after: SquashRecord[] };
  /** --lock-timeout-ddl, --statement-timeout: set for each revision's SQL, as up sets them */
  timeouts?: DdlTimeouts | undefined;
}

export interface SquashRecord {
  id: string;
  statement: string;
}

/**
 * The whole run as one psql script: what `strata up`/`down` would send, in the order it would
 * send it, built from the same functions (`transactionalScript`, `bookkeepingStatement`,
 * `trackingUpgradeSql`) so that the reviewed text is the executed text. Meant for
 * `psql -X -v ON_ERROR_STOP=1 -f script.sql`: on the first error psql stops and the server rolls
 * back the open transaction, as the executor does.
 */
export function renderScript(steps: readonly Step[], options: RenderScriptOptions): string {
  const { direction, schema } = options;
  const verb = direction === 'up' ? 'apply' : 'revert';
  const lines: string[] = [];
  const comment = (text: string) => lines.push(...text.split('\n').map((l) => `-- ${l}`.trimEnd()));
  comment(`strata sql ${direction}: ${steps.length === 0 ? `nothing to ${verb}` : `${verb} ${steps.length} ${steps.length === 1 ? 'revision' : 'revisions'}`}`);
  comment(`planned against: ${options.plannedAgainst}`);
  comment(`tracking schema: ${schema}`);
  const records = [...(options.squashRecords?.before ?? []), ...(options.squashRecords?.after ?? [])];
  if (steps.length === 0 && records.length === 0) return `${lines.join('\n')}\n`;
  comment('run with: psql -X -v ON_ERROR_STOP=1 -f <this file>');
  comment(options.singleTransaction
    ? 'the whole run is one transaction (--single-transaction): an error rolls everything back'
    : "each revision runs in its own transaction together with its bookkeeping ('Transaction: off' ones statement by statement): an error leaves the database at the previous revision");
  const t = options.timeouts;
  if (t?.lockTimeoutMs !== undefined || t?.statementTimeoutMs !== undefined) {
    const bounds = [t.lockTimeoutMs !== undefined ? `lock_timeout ${t.lockTimeoutMs}ms (--lock-timeout-ddl)` : '', t.statementTimeoutMs !== undefined ? `statement_timeout ${t.statementTimeoutMs}ms (--statement-timeout)` : ''].filter(Boolean);
    comment(`each revision's SQL runs with ${bounds.join(' and ')}${t.retries > 0 ? `; strata up tries a revision that hits its lock_timeout again, up to ${t.retries} times: this script does not` : ''}`);
  }
  lines.push('');
  const lockKey = `${LOCK_CLASS}, hashtext(${quoteLiteral(schema)})`;
  comment("strata's migration lock for this tracking schema: a concurrent strata run waits for this script");
  lines.push(`select pg_advisory_lock(${lockKey});`, '');
  comment('the settings strata reads every revision with (psql splits statements by them too)');
  lines.push(...PINNED_SETTINGS.map((s) => s.sql), '');
  const tracking = trackingUpgradeSql(schema, options.trackingVersion, options.actor);
  if (tracking !== '' && options.trackingVersion === 0) {
    comment(`the tracking schema (version ${TRACKING_VERSION}), created`);
    lines.push(tracking, '');
  } else if (tracking !== '') {
    // one transaction, as strata up upgrades it: half an upgrade would be a version no strata knows
    comment(`the tracking schema, upgraded from version ${options.trackingVersion} to ${TRACKING_VERSION} (recorded as an 'upgrade' event)`);
    lines.push('begin;', tracking, 'commit;', '');
  }
  const squashed = (records: readonly SquashRecord[]) => {
    for (const record of records) {
      comment(`${record.id} recorded as applied in place of the revisions it replaces (recorded as a 'squash' event)`);
      lines.push(record.statement, '');
    }
  };
  squashed(options.squashRecords?.before ?? []);
  if (options.singleTransaction) lines.push('begin;', '');
  for (const [index, step] of steps.entries()) {
    const revision = step.direction === 'up' ? step.revision : undefined;
    comment(`revision ${index + 1} of ${steps.length}: ${step.id} (${step.direction}${step.script.transactional ? '' : ', Transaction: off: statement by statement, outside any transaction'})`);
    const message = revision?.message ?? (step.direction === 'down' ? step.applied.message : null);
    if (message) comment(`message: ${message}`);
    comment(`from: ${step.script.path}`);
    if (step.direction === 'down' && step.note) comment(`note: ${step.note}`);
    if (step.script.transactional) {
      lines.push(transactionalScript(step, schema, options.actor, { ownTransaction: !options.singleTransaction, deferFlush: index < steps.length - 1, lock: THIS_SESSION, timeouts: options.timeouts }).text);
    } else {
      // for the session until the reset after the body (strata up also retries after a lock timeout; psql does not)
      const settings = timeoutSettings(options.timeouts, 'session');
      if (settings !== '') lines.push(settings.trimEnd());
      lines.push(withTerminator(step.script.body, options.statementsOf(step)));
      lines.push(SESSION_RESET);
      // a psql run has no clock outside the session, which the reset clears: it records 0 ms
      lines.push(recordingStatements(step, schema, options.actor, THIS_SESSION, { durationMs: 0 }));
    }
    lines.push('');
  }
  if (options.singleTransaction) lines.push('commit;', '');
  squashed(options.squashRecords?.after ?? []);
  lines.push(`select pg_advisory_unlock(${lockKey});`);
  return `${lines.join('\n')}\n`;
}

/** psql holds the lock in the session that runs the revisions: each bookkeeping checks pg_locks. */
const THIS_SESSION: LockGuard = { kind: 'this-session' };

/** The body as in the file, with a semicolon after its last statement when it has none, so the bookkeeping that follows stays a statement of its own. */
function withTerminator(body: string, statements: readonly ScriptStatement[]): string {
  const trimmed = body.replace(/\s+$/, '');
  const last = statements.at(-1);
  if (!last || last.text.trimEnd().endsWith(';')) return trimmed;
  return `${trimmed}\n;`;
}
