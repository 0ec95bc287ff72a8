import { recordDownStatement, recordUpStatement, type DurationStart } from '../db/tracking.js';
import type { Step } from '../plan/plan.js';

/**
 * The exact SQL for one step. `strata up`/`down` send it and `strata sql` prints it, so what a
 * DBA reviews is what runs. A transactional step is one script (one round trip):
 *   begin; <body> ; <bookkeeping>; commit;
 * The body is sent byte for byte, after a prefix of known length, so error positions map back.
 */
export const BEGIN_PREFIX = 'begin;\n';

export interface TransactionalScript {
  text: string;
  /** UTF-16 index of the body in `text` */
  userStart: number;
  userLength: number;
  /** statements before the body (begin, set local): to find the failing body statement */
  leadingStatements: number;
}

/** `action` records the event as something other than up/down: 'dev' (strata dev), 'stamp' (strata stamp, up steps only). */
export function bookkeepingStatement(step: Step, schema: string, actor: string, action?: 'dev' | 'stamp'): string {
  if (step.direction === 'up') {
    const r = step.revision;
    return recordUpStatement(schema, {
      id: r.id, parent: r.parent, message: r.message ?? null, tags: r.tags,
      upChecksum: r.up.checksum, downChecksum: r.down.checksum, downText: r.down.text, actor,
    }, action ?? 'up', durationStart(step, action));
  }
  return recordDownStatement(schema, step.id, actor, step.source, action ?? 'down', durationStart(step, action));
}

export interface TransactionalScriptOptions {
  /** false inside --single-transaction, where the run has one BEGIN/COMMIT */
  ownTransaction: boolean;
  /**
   * Commit without waiting for the WAL flush: every step of a run but the last. Each revision
   * still commits atomically with its bookkeeping; the last step's synchronous commit flushes
   * all earlier ones before strata reports success. Only a server crash during the run can
   * lose the newest few, and then the tracking rows and the objects are lost together.
   */
  deferFlush: boolean;
  action?: 'dev' | undefined;
}

export function transactionalScript(step: Step, schema: string, actor: string, options: TransactionalScriptOptions): TransactionalScript {
  const prefix = options.ownTransaction ? (options.deferFlush ? `${BEGIN_PREFIX}${DEFER_FLUSH}` : BEGIN_PREFIX) : '';
  const body = step.script.body;
  const suffix = `\n;\n${bookkeepingStatement(step, schema, actor, options.action)}${options.ownTransaction ? '\ncommit;' : ''}`;
  return {
    text: prefix + body + suffix,
    userStart: prefix.length,
    userLength: body.length,
    leadingStatements: options.ownTransaction ? (options.deferFlush ? 2 : 1) : 0,
  };
}

const DEFER_FLUSH = 'set local synchronous_commit = off;\n';

/** A stamp runs no SQL of the revision; a Transaction: off step starts its clock with STEP_STARTED_MARKER. */
function durationStart(step: Step, action: string | undefined): DurationStart {
  return step.script.transactional || action === 'stamp' ? 'transaction' : 'marker';
}
