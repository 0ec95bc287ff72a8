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

/** `ownTransaction: false` inside --single-transaction, where the run has one BEGIN/COMMIT. */
export function transactionalScript(step: Step, schema: string, actor: string, ownTransaction: boolean, action?: 'dev'): TransactionalScript {
  const prefix = ownTransaction ? BEGIN_PREFIX : '';
  const body = step.script.body;
  const suffix = `\n;\n${bookkeepingStatement(step, schema, actor, action)}${ownTransaction ? '\ncommit;' : ''}`;
  return { text: prefix + body + suffix, userStart: prefix.length, userLength: body.length };
}

/** A stamp runs no SQL of the revision; a Transaction: off step starts its clock with STEP_STARTED_MARKER. */
function durationStart(step: Step, action: string | undefined): DurationStart {
  return step.script.transactional || action === 'stamp' ? 'transaction' : 'marker';
}
