import type { DdlTimeouts } from '../config.js';
import type { Database } from '../db/database.js';
import type { Step } from '../plan/plan.js';
import { downScriptOf, hasNoSql } from '../plan/plan.js';
import type { RevisionScript } from '../revision/revision.js';
import { CatalogStamper, type CatalogStamp } from '../schema/introspect/catalog-stamp.js';
import { listObjects, type ListedObject } from '../schema/introspect/object-list.js';
import { SESSION_RESET, timeoutSettings, timeoutSettingsCount } from '../executor/step-script.js';
import { checkScripts } from '../revision/check-scripts.js';
import { lineColumnAt, utf16IndexFromCodePointPosition } from '../text/source-position.js';

/** What a run's revert check found: objects a revert did not give back as they were; why the new down.sql could not be tried. */
export interface RevertFindings {
  differences: string[];
  failure?: string;
}

/** The objects at one moment, and a stamp of the catalogs then (when this role can read them all). */
interface Reading {
  objects: ListedObject[];
  stamp: CatalogStamp | undefined;
}

/** The longest a trial revert waits for a lock an application holds (--lock-timeout-ddl, when shorter, bounds it instead): it holds up the next save. */
const TRIAL_LOCK_TIMEOUT_MS = 1000;

/**
 * strata dev's proof that down.sql undoes up.sql: reverting the applied version must give back the
 * objects from before it was applied (each by name with a digest of its definition: object-list.ts).
 *
 * Once a version is applied (a save re-applied it, or a new folder was applied), its down.sql is
 * tried under the run's lock, in a transaction that is rolled back, and the objects then are
 * compared with those it was applied on. So a down.sql that does not undo its up.sql is named at
 * the save that made it so, and the save itself does no reading: the object list the trial found
 * is what the next save's revert gives back when it runs the same down.sql (an up.sql-only save),
 * so it is the schema the next version is applied on. A save that reverts with another down.sql
 * (down.sql changed, or a Transaction: off down.sql, which cannot be tried) reads the objects after
 * its revert, inside its transaction, and compares them too. The first save after dev starts has
 * nothing to compare with. (strata check compares whole snapshots.)
 *
 * Listing every object scales with the whole schema, not with the revision. So each reading also
 * takes a catalog stamp (catalog-stamp.ts): when the stamp proves the catalogs are row for row
 * those of the reading compared with, the objects are those and are not listed again.
 */
export class RevertCheck {
  /** the schema the newest revision's applied version was applied on: what its revert must give back */
  private base: ({ id: string } & Reading) | undefined;
  /** what the trial revert of that version with `downBody` gave: the base of the next version, when the next revert runs the same down.sql */
  private predicted: ({ id: string; downBody: string } & Reading) | undefined;
  private readonly stamper = new CatalogStamper();

  /** `timeouts`: --lock-timeout-ddl and --statement-timeout, which bound a trial as they bound a revert */
  constructor(private readonly trackingSchema: string, private readonly timeouts: Pick<DdlTimeouts, 'lockTimeoutMs' | 'statementTimeoutMs'> = { lockTimeoutMs: undefined, statementTimeoutMs: undefined }) {}

  /** The objects now: those of `kept` when the catalogs provably did not change since it was read. */
  private async read(db: Database, kept: Reading | undefined): Promise<Reading> {
    const stamped = await this.stamper.stamp(db, kept?.stamp);
    if (kept && stamped?.isUnchanged) return { objects: kept.objects, stamp: stamped.stamp };
    return { objects: await listObjects(db, [this.trackingSchema]), stamp: stamped?.stamp };
  }

  /** Before one revision is applied as new (a folder added while dev watches): what its down.sql must give back. */
  async beforeApplying(db: Database, ids: readonly string[]): Promise<void> {
    this.predicted = undefined;
    this.base = ids.length === 1 ? { id: ids[0]!, ...await this.read(db, undefined) } : undefined;
  }

  /** Forget what was kept (a revision reverted for good). */
  forget(): void {
    this.base = undefined;
    this.predicted = undefined;
  }

  /**
   * The hooks for a run that applies a version of `id`, after reverting the one applied (a
   * re-apply) or not (a new folder). `afterStep` reads the objects after the revert when no trial
   * predicted them (undefined when one did: then nothing is read on the save's path). `afterRun`,
   * called under the run's lock once the run has committed `steps`, tries the new version's
   * down.sql; `findings()` then says what it did not give back (`differences`), or why it could
   * not be tried (`failure`): undefined when the run did not commit.
   */
  hooksFor(db: Database, id: string, revertBody: string | undefined): {
    afterStep: ((done: Step, next: Step) => Promise<void>) | undefined;
    afterRun: (steps: readonly Step[]) => Promise<void>;
    findings: () => RevertFindings | undefined;
  } {
    const predicted = revertBody !== undefined && this.predicted?.id === id && this.predicted.downBody === revertBody ? this.predicted : undefined;
    let reverted: Reading | undefined;
    const afterStep = revertBody === undefined || predicted ? undefined : async (done: Step) => {
      if (done.direction === 'down' && done.id === id) reverted = await this.read(db, this.base?.id === id ? this.base : undefined);
    };
    let findings: RevertFindings | undefined;
    const prove = async (steps: readonly Step[]): Promise<RevertFindings> => {
      const differences: string[] = [];
      const kept = this.base?.id === id ? this.base : undefined;
      const revert = steps.find((s) => s.direction === 'down' && s.id === id);
      this.predicted = undefined;
      if (reverted) {
        if (kept) differences.push(...compare(kept.objects, reverted.objects));
        this.base = { id, ...reverted };
      } else if (predicted && revert?.script.body === predicted.downBody) {
        this.base = { id, objects: predicted.objects, stamp: predicted.stamp };
      } else if (revert) {
        // the revert was planned again under the lock, with another down.sql than predicted
        this.base = undefined;
      }
      // (a new folder: its base was read before it was applied, by beforeApplying)
      const applied = steps.findLast((s) => s.direction === 'up' && s.id === id);
      const down = applied?.direction === 'up' ? downScriptOf(applied.revision) : undefined;
      const base = this.base?.id === id ? this.base : undefined;
      if (!base || !down || !down.transactional || hasNoSql(down.body)) return { differences };
      const trial = await this.tryRevert(db, down, base);
      if ('failure' in trial) return { differences, failure: trial.failure };
      this.predicted = { id, downBody: down.body, ...trial.reading };
      for (const line of compare(base.objects, trial.reading.objects)) if (!differences.includes(line)) differences.push(line);
      return { differences };
    };
    return { afterStep, afterRun: async (steps) => void (findings = await prove(steps)), findings: () => findings };
  }

  /** Runs `down` in a transaction, reads the objects, and rolls back. */
  private async tryRevert(db: Database, down: RevisionScript, base: Reading): Promise<{ reading: Reading } | { failure: string }> {
    const lineOf = (index: number) => lineColumnAt(down.text, down.bodyOffset + index).line;
    // The run checked this down.sql before anything ran (checkSteps checks an up step's down.sql
    // too); its statements are needed again for the line of a failure, and the same checks guard
    // the try (a COMMIT would make it real). Off the save's path: the save has committed.
    const checked = await checkScripts([{ script: down, role: 'down' }]);
    const refused = checked.problems[0];
    if (refused) return { failure: `${down.path}: it was not tried: ${refused.message}${refused.line === undefined ? '' : ` (line ${refused.line})`}; the next save reverts with it unless it is fixed` };
    const statements = checked.statements.get(down) ?? [];
    const lockTimeoutMs = Math.min(this.timeouts.lockTimeoutMs ?? TRIAL_LOCK_TIMEOUT_MS, TRIAL_LOCK_TIMEOUT_MS);
    const timeouts = { ...this.timeouts, lockTimeoutMs, retries: 0 };
    const prefix = `begin;\n${timeoutSettings(timeouts, 'local')}`;
    try {
      const ran = await db.runScript(`${prefix}${down.body}\n;\n${SESSION_RESET}`);
      if (ran.status === undefined) return { failure: `${down.path}: it could not be tried: the connection was lost` };
      if (!ran.ok) {
        const { error } = ran;
        const at = error.position === undefined ? undefined : utf16IndexFromCodePointPosition(prefix + down.body, error.position) - prefix.length;
        const failed = statements[ran.completedStatements - 1 - timeoutSettingsCount(timeouts)];
        const index = at !== undefined && at >= 0 && at <= down.body.length ? at : failed?.start;
        const where = index === undefined ? '' : ` (line ${lineOf(index)})`;
        const why = error.code === '55P03'
          ? `a lock was not free within ${lockTimeoutMs} ms, so it could not be tried: ${error.message}${where}`
          : `it fails when tried: ${error.message}${where}`;
        return { failure: `${down.path}: ${why}; the next save reverts with it (the try was rolled back: nothing changed)` };
      }
      return { reading: await this.read(db, base) };
    } catch (error) {
      return { failure: `${down.path}: it could not be tried: ${(error as Error).message}` };
    } finally {
      await db.runScript('rollback');
    }
  }
}

/** What `after` (the objects after a revert) has that `before` had not, or has otherwise, or lacks. */
function compare(before: readonly ListedObject[], after: readonly ListedObject[]): string[] {
  if (after === before) return [];
  const had = new Map(before.map((o) => [o.name, o.state]));
  const has = new Map(after.map((o) => [o.name, o.state]));
  // a table left behind or missing is named, not each of its columns as well
  const whole = (list: readonly ListedObject[]) => list.filter((o) => o.parent === undefined || !list.some((p) => p.name === o.parent));
  return [
    ...whole(after.filter((o) => !had.has(o.name))).map((o) => `${o.name}: left behind`),
    ...after.filter((o) => had.has(o.name) && had.get(o.name) !== o.state).map((o) => `${o.name}: left changed (not as it was before up.sql)`),
    ...whole(before.filter((o) => !has.has(o.name))).map((o) => `${o.name}: missing (dropped, not re-created)`),
  ];
}
