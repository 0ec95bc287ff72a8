import type { Database } from '../db/database.js';
import type { Step } from '../plan/plan.js';
import { takeSnapshot } from '../schema/introspect/take-snapshot.js';
import { diffSnapshots, formatChange } from '../schema/model/diff.js';
import type { Snapshot } from '../schema/model/snapshot.js';

/**
 * strata dev's proof that down.sql undoes up.sql, on every re-apply: the schema after the revert
 * must be the schema from before the version being reverted was applied. The snapshot from before
 * an apply is kept until the next save, so a re-apply takes one snapshot (after its revert, inside
 * its transaction), not three. The first re-apply after dev starts has nothing to compare with.
 */
export class RevertCheck {
  /** the schema before the newest revision's applied version was applied */
  private before: { id: string; snapshot: Snapshot } | undefined;

  constructor(private readonly trackingSchema: string, private readonly privileges: boolean) {}

  /** Before one revision is applied as new (a folder added while dev watches): what its down.sql must give back. */
  async beforeApplying(db: Database, ids: readonly string[]): Promise<void> {
    this.before = ids.length === 1 ? { id: ids[0]!, snapshot: await this.snapshot(db, false) } : undefined;
  }

  /** Forget what was kept (a revision reverted for good, a run that failed halfway). */
  forget(): void {
    this.before = undefined;
  }

  /**
   * The hook for the re-apply of `id`: snapshots after the revert, inside the run's transaction.
   * `finish` then says what the revert did not give back.
   */
  hookFor(db: Database, id: string): { afterStep: (done: Step, next: Step) => Promise<void>; finish(isApplied: boolean): string[] } {
    let reverted: Snapshot | undefined;
    const before = this.before?.id === id ? this.before.snapshot : undefined;
    return {
      afterStep: async (done) => {
        if (done.direction === 'down' && done.id === id) reverted = await this.snapshot(db, true);
      },
      finish: (isApplied) => {
        if (!isApplied) return [];
        // the state before the version now applied: what the next save's revert must give back
        this.before = reverted ? { id, snapshot: reverted } : undefined;
        if (!before || !reverted) return [];
        return diffSnapshots(before, reverted).map((change) => formatChange(change, { added: 'left behind', removed: 'missing (dropped, not re-created)' }));
      },
    };
  }

  private snapshot(db: Database, withinTransaction: boolean): Promise<Snapshot> {
    return takeSnapshot(db, { excludedSchemas: [this.trackingSchema], privileges: this.privileges, serverVersionNum: db.serverVersionNum, withinTransaction });
  }
}
